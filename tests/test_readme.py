"""The README's tour is executed, so its examples stay true."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _blocks(language: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def test_readme_opens_with_the_report_and_test_commands():
    first = _blocks("bash")[0]
    assert "scripts/book_report.sh" in first and "scripts/test.sh" in first
    for line in first.splitlines():
        script = line.split()[1]
        assert (ROOT / script).is_file(), script


def test_readme_tour_scenarios_and_features_pass(tmp_path):
    """Every `scenario: tour-NAME` of the README runs under the feature that names
    tour/NAME.yaml, in a fresh project holding the README's custom block module."""
    scenarios = {re.search(r"^scenario: tour-(\S+)", b, re.M).group(1): b
                 for b in _blocks("yaml") if re.search(r"^scenario: tour-", b, re.M)}
    features = _blocks("gherkin")
    assert set(scenarios) == {"completion", "language", "custom"}
    (tmp_path / "scenarios" / "tour").mkdir(parents=True)
    (tmp_path / "features" / "tour").mkdir(parents=True)
    for name, scenario in scenarios.items():
        (tmp_path / "scenarios" / "tour" / f"{name}.yaml").write_text(scenario)
        (feature,) = [f for f in features if f'"tour/{name}.yaml"' in f]
        (tmp_path / "features" / "tour" / f"{name}.feature").write_text(feature)
    (module,) = [b for b in _blocks("python") if b.startswith("# steps/tour_blocks.py")]
    (tmp_path / "steps").mkdir()
    (tmp_path / "steps" / "tour_blocks.py").write_text(module)
    (tmp_path / "test_tour.py").write_text("from pytest_bdd import scenarios\nscenarios('')\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\nbdd_features_base_dir = features/\n"
                                         "addopts = -p no:allure_pytest -p no:cacheprovider\n")
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", str(tmp_path / "test_tour.py")],
                         cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout


def test_readme_plain_pytest_example_passes(tmp_path):
    """The "Plain pytest, without Gherkin" example runs as a test file of this project."""
    (module,) = [b for b in _blocks("python") if b.startswith("# tests/test_plain_checks.py")]
    (tmp_path / "test_plain_checks.py").write_text(module)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-p", "no:allure_pytest", "--rootdir", str(ROOT),
                          str(tmp_path / "test_plain_checks.py")],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout
