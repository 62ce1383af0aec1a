"""The run-time library: Rtl routines that are plain library code over memory.

Like ReactOS's ``sdk/lib/rtl`` linked into ntoskrnl, these routines own no kernel
state. They read and write the memory driver code hands them (a counted string's
header and the buffer it points at) and take pool through the executive's allocator
(``..mm.pool``), as ``RtlpAllocateStringMemory`` does. Only ``harness.blocks`` imports
this package; the kernel's own subsystems do not need it.
"""

from .string import (ANSI_CODE_PAGE, MAX_USTRING, STATUS_INVALID_PARAMETER_2,  # noqa: F401
                     STRING_TAG, CountedString, StringFault, ansi_decode, ansi_encode,
                     format_integer, parse_integer, rtl_ansi_string_to_unicode_string,
                     rtl_append_unicode_string_to_string, rtl_append_unicode_to_string,
                     rtl_compare_unicode_string, rtl_copy_unicode_string,
                     rtl_equal_unicode_string, rtl_free_ansi_string, rtl_free_unicode_string,
                     rtl_init_ansi_string, rtl_init_empty_unicode_string,
                     rtl_init_unicode_string, rtl_integer_to_unicode_string,
                     rtl_unicode_string_to_ansi_string, rtl_unicode_string_to_integer,
                     rtl_upcase_unicode_string, string_literal, string_text, upcase_char)
