"""The event trace: typed events, the recording instrument, renderers."""

from .events import KINDS, TraceEvent  # noqa: F401
from .recorder import TraceRecorder  # noqa: F401
from .view import TraceView  # noqa: F401
from .tracefile import (SUFFIX as TRACE_SUFFIX, TraceFile, TraceFileError,  # noqa: F401
                        TraceWriter, read_trace, write_trace)
from .diagram import render_sequence_svg  # noqa: F401
from .render import render_dbgview, render_irp_at, render_json, render_text  # noqa: F401
from .ctlcode import decode_ctl_code, format_ctl_code  # noqa: F401
from .irpview import irp_state, irp_table, render_irp  # noqa: F401
