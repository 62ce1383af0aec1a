"""Hooks the plugin adds to pytest."""


def pytest_irp_scenario_loaded(scenario):  # type: ignore[no-untyped-def]
    """A Gherkin step loaded an irp-harness scenario (an ``IrpScenario``)."""
