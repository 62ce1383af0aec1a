"""The event trace: typed events, the recording instrument, renderers."""

from .events import KINDS, TraceEvent  # noqa: F401
from .recorder import TraceRecorder  # noqa: F401
from .diagram import render_sequence_svg  # noqa: F401
from .render import render_dbgview, render_json, render_text  # noqa: F401
