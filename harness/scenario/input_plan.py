"""Plan the ``raw_input:`` section: which keyboard class device the raw input thread
reads and how many records a read asks for (stacks-services 2.6)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The first keyboard class device (kbdclass's DD_KEYBOARD_CLASS_BASE_NAME + 0)
KEYBOARD_CLASS_0 = "\\Device\\KeyboardClass0"


@dataclass(frozen=True)
class RawInputPlan:
    keyboard: str = KEYBOARD_CLASS_0
    records: int = 1          # KEYBOARD_INPUT_DATA per read (ReactOS's RIT reads one)


def plan_raw_input(item: Any) -> RawInputPlan | None:
    """None without a ``raw_input:`` section; ``true`` is the defaults."""
    if item is None or item is False:
        return None
    if item is True:
        return RawInputPlan()
    return RawInputPlan(item.get("keyboard", KEYBOARD_CLASS_0), item.get("records", 1))
