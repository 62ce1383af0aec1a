"""A replay: one run written down so that ``irp-harness run FILE`` repeats it exactly.

A Gherkin scenario may change machine settings (``with machine.cpus=2``) and drive the
machine step by step (When-steps that open, read, let time pass, pull a device) instead
of running the YAML ``app:``. The rerun command a failing step prints must reproduce
*that* run, so the steps record what they did here and the failure writes it out::

    replay: 1
    scenario: /abs/path/scenarios/book/ch09_x.yaml
    seed: 0
    machine: {cpus: 2}
    actions:
      - run_app
      - {call: {open: '\\\\.\\HelloDDK', as: h}}
      - {advance_100ns: 30000000}
      - {devnode: {instance: 'ROOT\\UNKNOWN\\0000', action: surprise_remove}}
      - {power: standby}

The actions are Session calls, applied in order to a fresh machine; the machine is
deterministic, so the same actions give the same trace.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..scenario import load_scenario
from ..scenario.resolve import resolve
from .result import RunResult
from .session import Session

FORMAT = 1
#: Where failing Gherkin steps write their replays (overridable for CI artefacts).
REPLAY_DIR_ENV = "IRP_HARNESS_REPLAY_DIR"


class ReplayError(ValueError):
    """A replay file that is not one (its scenario's own errors are ScenarioErrors)."""


@dataclass
class Replay:
    scenario: str                                   # an absolute path
    seed: int = 0
    machine: dict[str, Any] = field(default_factory=dict)
    actions: list[Any] = field(default_factory=list)

    @property
    def step_driven(self) -> bool:
        """Whether ``run SCENARIO --seed N`` alone would not repeat it."""
        return bool(self.machine) or self.actions not in ([], ["run_app"])

    def text(self) -> str:
        return yaml.safe_dump({"replay": FORMAT, "scenario": self.scenario, "seed": self.seed,
                               "machine": self.machine, "actions": self.actions},
                              sort_keys=False, allow_unicode=True, width=100)

    def save(self, directory: Path | None = None) -> Path:
        """Write the replay under ``directory`` (default: $IRP_HARNESS_REPLAY_DIR, else
        the temp dir); the name holds a digest of the content, so reruns of the same
        failure write the same file."""
        text = self.text()
        if directory is None:
            directory = Path(os.environ.get(REPLAY_DIR_ENV)
                             or Path(tempfile.gettempdir()) / "irp-harness-replays")
        directory.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        path = directory / f"{Path(self.scenario).stem}-{digest}.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    def session(self, seed: int | None = None) -> Session:
        """A fresh machine for the scenario with the replay's machine settings."""
        program = resolve(load_scenario(self.scenario), self.machine or None)
        return Session(program, self.seed if seed is None else seed)

    def run(self, seed: int | None = None) -> RunResult:
        session = self.session(seed)
        for action in self.actions:
            apply(session, action)
        return session.result()


def apply(session: Session, action: Any) -> None:
    """Carry out one recorded action on ``session``."""
    if action == "run_app":
        session.run_app()
        return
    (verb, argument), = action.items()
    if verb == "call":
        session.call(argument)
    elif verb == "advance_100ns":
        session.advance(int(argument))
    elif verb == "devnode":
        session.devnode_event(argument["instance"], argument["action"])
    elif verb == "power":
        session.power_action(argument)
    else:                                   # load() checked the verbs
        raise ReplayError(f"unknown replay action {verb!r}")


_VERBS = {"call", "advance_100ns", "devnode", "power"}


def is_replay(path: str | Path) -> bool:
    """Whether ``path`` is a replay file rather than a scenario: its first key is
    ``replay:`` (read without parsing the whole file)."""
    try:
        with open(path, encoding="utf-8") as stream:
            for line in stream:
                if line.strip() and not line.lstrip().startswith("#"):
                    return line.startswith("replay:")
    except (OSError, UnicodeDecodeError):
        return False
    return False


def load(path: str | Path) -> Replay:
    """Read a replay file, checking its shape (a wrong one is a ReplayError naming the
    file and what was expected)."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ReplayError(f"{path}: not a readable replay file: {error}") from None
    if not isinstance(data, dict) or data.get("replay") != FORMAT:
        raise ReplayError(f"{path}: expected 'replay: {FORMAT}' as the first key")
    scenario, seed = data.get("scenario"), data.get("seed", 0)
    machine, actions = data.get("machine") or {}, data.get("actions") or []
    if not isinstance(scenario, str):
        raise ReplayError(f"{path}: 'scenario' must be the path of a scenario file")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ReplayError(f"{path}: 'seed' must be a non-negative integer")
    if not isinstance(machine, dict) or not isinstance(actions, list):
        raise ReplayError(f"{path}: 'machine' must be a mapping and 'actions' a list")
    for index, action in enumerate(actions):
        if action != "run_app" and not (isinstance(action, dict) and len(action) == 1
                                        and next(iter(action)) in _VERBS):
            raise ReplayError(f"{path}: actions[{index}] must be run_app or one of "
                              f"{', '.join(sorted(_VERBS))}, got {action!r}")
    where = Path(path).parent
    return Replay(str((where / scenario).resolve()), seed, machine, actions)
