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


def test_readme_tour_scenario_and_feature_pass(tmp_path):
    (scenario,) = [b for b in _blocks("yaml") if "scenario: tour-completion" in b]
    (feature,) = _blocks("gherkin")
    (tmp_path / "scenarios" / "tour").mkdir(parents=True)
    (tmp_path / "scenarios" / "tour" / "completion.yaml").write_text(scenario)
    (tmp_path / "features" / "tour").mkdir(parents=True)
    (tmp_path / "features" / "tour" / "completion.feature").write_text(feature)
    (tmp_path / "test_tour.py").write_text("from pytest_bdd import scenarios\nscenarios('')\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\nbdd_features_base_dir = features/\n"
                                         "addopts = -p no:allure_pytest -p no:cacheprovider\n")
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", str(tmp_path)],
                         cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
