"""The one error an app step raises when it cannot run as written."""
from __future__ import annotations


class AppError(Exception):
    """An app step cannot run as written (e.g. a loop that passed its bound). Names
    are checked when the scenario resolves, so a missing handle or request is not
    one of these."""
