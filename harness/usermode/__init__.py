"""What runs in the application's process: kernel32 over ntdll's system calls.

``ntdll`` is the boundary: the only module here that imports the kernel. ``kernel32``
(CreateFile, ReadFile, DeviceIoControl, GetOverlappedResult, events, waits, Sleep, ...)
is written against it, as kernelbase is written against ntdll; so are advapi32's SCM
(scm.py) and setupapi's SetupDi calls (setupapi.py).
"""

from .kernel32 import (FILE_FLAG_OVERLAPPED, GENERIC_READ, GENERIC_WRITE,  # noqa: F401
                       INVALID_HANDLE_VALUE, Overlapped, Win32)
