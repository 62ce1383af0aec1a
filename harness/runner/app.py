"""The application: runs ``app:`` steps as Win32 calls on simulated user threads."""

from __future__ import annotations

from typing import Any, Generator

from ..kernel import Instrument
from ..scenario.app_plan import AppPlan, AppStep
from ..usermode import (FILE_FLAG_OVERLAPPED, GENERIC_READ, GENERIC_WRITE, INVALID_HANDLE_VALUE,
                        Overlapped, Win32)
from ..usermode.ntdll import wait_on_object
from ..usermode.scm import CONTROLS, START_TYPES, Advapi32, ServiceControlManager
from ..usermode.setupapi import (DIGCF, SP_DEVICE_INTERFACE_DATA_SIZE,
                                 SP_DEVICE_INTERFACE_DETAIL_DATA_SIZE, DeviceInterfaceData,
                                 SetupApi)
from ..scenario.schema_app import MAX_BUFFER
from .app_apc import ApcVerbs
from .app_error import AppError
from .app_cancel import CancelVerbs
from .app_file import FileVerbs
from .app_helpers import Verb
from .app_iocp import CompletionPortVerbs
from .result import Request

_ACCESS = {"read": GENERIC_READ, "write": GENERIC_WRITE,
           "read_write": GENERIC_READ | GENERIC_WRITE, "none": 0}


class Application(ApcVerbs, CancelVerbs, CompletionPortVerbs, FileVerbs, Instrument):
    """The user-mode program of a scenario, and the record of what it saw.

    It is also an instrument: the final completion phase of an IRP it issued tells it
    the request's status and completion time.
    """

    def __init__(self, kernel: Any, plan: AppPlan, process: str = "test.exe",
                 scm: ServiceControlManager | None = None):
        self.kernel = kernel
        self.win32 = Win32(kernel, process)
        self.advapi32 = Advapi32(scm or ServiceControlManager(kernel))
        self.setupapi = SetupApi(self.win32)
        self.interface_data: dict[str, DeviceInterfaceData] = {}   # by request name
        self.plan = plan
        self.handles: dict[str, int] = {}
        self.requests: dict[str, Request] = {}
        self.vars: dict[str, int] = {}
        self.output: list[str] = []
        self.process = process
        self.threads: dict[str, Any] = {}
        self.thread_handles: dict[str, int] = {}   # _beginthreadex's handles
        self._anonymous = 0
        self._error_marks: dict[int, int] = {}   # per thread: SetLastError count when
        #                                           its current step began
        kernel.add_instrument(self)

    # -- instrument hooks ------------------------------------------------------------------
    def irp_call(self, irp: Any, device: Any) -> None:
        request = irp.tag
        if isinstance(request, Request) and request.irp is None:
            request.irp = irp.id

    def irp_final(self, irp: Any, status: int, info: int) -> None:
        request = irp.tag
        if isinstance(request, Request):
            request.status, request.information = status, info
            request.completed_at = self.kernel.now

    def app_print(self, text: str) -> None:
        self.output.append(text)

    # -- running steps -------------------------------------------------------------------
    def thread_body(self, steps: Any, thread_name: str) -> Generator[Any, Any, None]:
        for step in steps:
            yield from self.run_step(step, thread_name)

    def run_step(self, step: AppStep, thread_name: str) -> Generator[Any, Any, Request | None]:
        handler = getattr(self, f"_do_{step.verb}")
        tid = self.kernel.current_thread.tid
        outer = self._error_marks.get(tid)        # a step nested in an APC's body
        self._error_marks[tid] = self._error_writes()
        try:
            return (yield from handler(step.args, step.name, step, thread_name))
        finally:
            if outer is not None:
                self._error_marks[tid] = outer

    def _request(self, name: str | None, api: str, thread: str, handle: str | None) -> Request:
        if name is None:
            self._anonymous += 1
            name = f"{api}#{self._anonymous}"
        request = Request(name, api, thread, handle, issued_at=self.kernel.now)
        self.requests[name] = request
        return request

    def _error_writes(self) -> int:
        """How many times this thread's last error was written so far (win32-io 1.1)."""
        return self.win32.last_error_writes.get(self.kernel.current_thread.tid, 0)

    def _handle(self, name: str | None) -> int:
        """The HANDLE in the app's variable ``name``: INVALID_HANDLE_VALUE until an open
        stores one (or when the open failed), which Win32 answers ERROR_INVALID_HANDLE."""
        if name is None:                          # a request made without a handle
            return INVALID_HANDLE_VALUE
        return self.handles.get(name, INVALID_HANDLE_VALUE)

    def _returned(self, request: Request, ok: bool, count: int | None) -> Request:
        """The call returned: BOOL, its count (None: not written, the DWORD keeps its
        value from before the call, ``bytes_init``), GetLastError now and whether the
        call wrote it (1.1: a TRUE return leaves it untouched)."""
        request.ok = ok
        if count is not None:
            request.bytes = count
        request.last_error = self.win32.get_last_error()
        request.error_set = self._error_writes() != self._error_marks.get(
            self.kernel.current_thread.tid, -1)
        request.returned_at = self.kernel.now
        return request

    def _do_open(self, path: Any, name: str | None, step: AppStep, thread: str) -> Verb:
        if isinstance(path, dict):                # {path: '{detail.path}'}
            path = step.compiled["path"](self)
        access = step.step.get("access", "read_write")
        access = _ACCESS[access] if isinstance(access, str) else access
        flags = FILE_FLAG_OVERLAPPED if step.step.get("overlapped") else 0
        request = self._request(name, "CreateFile", thread, None)
        value = yield from self.win32.create_file(path, access, 0, flags, tag=request)
        ok = value != INVALID_HANDLE_VALUE
        if name is not None:
            # A failed open leaves INVALID_HANDLE_VALUE in the variable, as C code does.
            self.handles[name] = value
        return self._returned(request, ok, 0)

    def _do_read(self, args: dict, name: str | None, step: AppStep, thread: str) -> Verb:
        return (yield from self._transfer("ReadFile", args, name, step, thread))

    def _do_write(self, args: dict, name: str | None, step: AppStep, thread: str) -> Verb:
        return (yield from self._transfer("WriteFile", args, name, step, thread))

    def _transfer(self, api: str, args: dict, name: str | None, step: AppStep,
                  thread: str) -> Verb:
        h = self._handle(args["handle"])
        request = self._request(name, api, thread, args["handle"])
        if api == "WriteFile":
            payload = step.compiled["payload"](self)
            length = len(payload)
            buffer = self._user_pointer(args.get("buffer", "valid"), length,
                                        lambda: self._allocated(payload))
        else:
            length = args["length"]
            buffer = self._user_pointer(args.get("buffer", "valid"), length,
                                        lambda: self.win32.alloc(length,
                                                                 args.get("fill", 0xCC)))
        request.buffer = buffer if buffer is not None and buffer.resident else None
        overlapped = self._overlapped(h, args)
        request.overlapped = overlapped
        request.bytes = args.get("bytes_init", 0)
        call = self.win32.read_file if api == "ReadFile" else self.win32.write_file
        ok, count = yield from call(h, buffer, length, overlapped, tag=request)
        request.bytes_set = count is not None
        return self._returned(request, ok, count)

    def _overlapped(self, h: int, args: dict) -> Overlapped | None:
        handle = self.win32.handles.get(h)
        if handle is None or not handle.overlapped:
            return None
        low_bit = bool(args.get("event_low_bit"))     # win32-io 1.3: hEvent | 1
        event = (self.win32.overlapped_event(f"OVERLAPPED event {len(self.requests)}")
                 if args.get("event") or low_bit else None)
        return Overlapped(event, args.get("offset", 0), low_bit)

    def _do_ioctl(self, args: dict, name: str | None, step: AppStep, thread: str) -> Verb:
        h = self._handle(args["handle"])
        code = step.compiled["code"]
        request = self._request(name, "DeviceIoControl", thread, args["handle"])
        payload = step.compiled["payload"](self) if "payload" in step.compiled else b""
        in_length = args.get("input_length", len(payload))
        in_buffer = self._user_pointer(args.get("input_buffer", "valid"), in_length,
                                       lambda: self._allocated(payload) if payload else None)
        out_length = args.get("output_length", 0)
        out_buffer = self._user_pointer(args.get("output_buffer", "valid"), out_length,
                                        lambda: self.win32.alloc(out_length)
                                        if out_length else None)
        request.buffer = out_buffer if out_buffer is not None and out_buffer.resident else None
        overlapped = self._overlapped(h, args)
        request.overlapped = overlapped
        request.bytes = args.get("bytes_init", 0)     # 1.2: never pre-zeroed
        ok, count = yield from self.win32.device_io_control(
            h, code, in_buffer, in_length, out_buffer, out_length, overlapped, tag=request)
        request.bytes_set = count is not None
        return self._returned(request, ok, count)

    def _do_cancel_io(self, handle: str, name: str | None, step: AppStep, thread: str) -> Verb:
        request = self._request(name, "CancelIo", thread, handle)
        ok = yield from self.win32.cancel_io(self._handle(handle))
        return self._returned(request, ok, 0)

    def _do_close(self, handle: str, name: str | None, step: AppStep, thread: str
                  ) -> Verb:
        request = self._request(name, "CloseHandle", thread, handle)
        ok = yield from self.win32.close_handle(self._handle(handle))
        return self._returned(request, ok, 0)

    def _do_read_file_ex(self, args: dict, name: str | None, step: AppStep, thread: str
                         ) -> Verb:
        h = self._handle(args["handle"])
        request = self._request(name, "ReadFileEx", thread, args["handle"])
        buffer = request.buffer = self.win32.alloc(args["length"])
        overlapped = Overlapped(None, args.get("offset", 0))
        completion = step.compiled["completion"]

        def routine(error: int, count: int, _overlapped: Any) -> Generator[Any, Any, None]:
            # FileIOCompletionRoutine(dwErrorCode, dwNumberOfBytesTransfered, lpOverlapped)
            request.result, request.bytes = error, count
            request.completed_at = self.kernel.now
            yield from self.thread_body(completion, thread)
        ok = yield from self.win32.read_file_ex(h, buffer, args["length"], overlapped, routine,
                                                tag=request)
        request.ok = ok
        request.last_error = self.win32.get_last_error()
        request.returned_at = self.kernel.now
        return request

    def _do_sleep_ex(self, args: dict, name: str | None, step: AppStep, thread: str
                     ) -> Verb:
        request = self._request(name, "SleepEx", thread, None)
        request.result = yield from self.win32.sleep_ex(step.compiled["ms"],
                                                        bool(args.get("alertable")))
        return self._returned(request, True, 0)

    def _do_sleep(self, value: Any, name: str | None, step: AppStep, thread: str) -> Verb:
        yield from self.win32.sleep(step.compiled["ms"])
        return None

    def _do_get_overlapped_result(self, args: dict, name: str | None, step: AppStep,
                                  thread: str) -> Verb:
        target = self._find(args["request"])
        if target.overlapped is None:
            raise AppError(f"{step.where}: {args['request']!r} has no OVERLAPPED (not an "
                           "overlapped read, write or ioctl)")
        ex = "timeout" in args or "alertable" in args      # GetOverlappedResultEx
        request = self._request(name, "GetOverlappedResult" + ("Ex" if ex else ""), thread,
                                target.handle)
        request.bytes = args.get("bytes_init", 0)
        request.overlapped = target.overlapped
        h = self._handle(target.handle)
        if ex:
            ok, count = yield from self.win32.get_overlapped_result_ex(
                h, target.overlapped, step.compiled["ms"], bool(args.get("alertable")))
        else:
            ok, count = yield from self.win32.get_overlapped_result(
                h, target.overlapped, args.get("wait", True))
        request.buffer = target.buffer
        request.bytes_set = count is not None
        return self._returned(request, ok, count)

    def _do_set_last_error(self, error: int, name: str | None, step: AppStep, thread: str
                           ) -> Verb:
        """SetLastError(dwErrCode): a value a later call may leave untouched (1.1)."""
        self.win32.set_last_error(error & 0xFFFFFFFF)
        return None
        yield

    def _do_wait(self, target_name: str, name: str | None, step: AppStep, thread: str) -> Verb:
        target = self._find(target_name)
        ov = target.overlapped
        if ov is None:
            raise AppError(f"{target_name!r} is not an overlapped request")
        value = -1 if target.handle is None else self.handles.get(target.handle, -1)
        handle = self.win32.handles.get(value)
        event = ov.h_event or (handle.file.event if handle else None)
        if event is None:
            raise AppError(f"nothing to wait on for {target_name!r}")
        yield from wait_on_object(event)
        return None

    def _do_get_file_size(self, handle: str, name: str | None, step: dict,
                          thread: str) -> Verb:
        request = self._request(name, "GetFileSize", thread, handle)
        size = yield from self.win32.get_file_size(self._handle(handle))
        request.size = size
        return self._returned(request, size != 0xFFFFFFFF, 0)

    # -- synchronization objects (win32-io §9) -------------------------------------------
    def _created(self, name: str | None, api: str, thread: str, value: int) -> Request:
        request = self._request(name, api, thread, None)
        if name is not None:
            self.handles[name] = value          # NULL (0) when the create failed
        request.result = value
        return self._returned(request, value != 0, 0)

    def _do_create_event(self, args: dict | None, name: str | None, step: AppStep,
                         thread: str) -> Verb:
        args = args or {}
        value = self.win32.create_event(bool(args.get("manual_reset")),
                                        bool(args.get("initial_state")), args.get("name"))
        return self._created(name, "CreateEvent", thread, value)
        yield

    def _do_create_semaphore(self, args: dict, name: str | None, step: AppStep,
                             thread: str) -> Verb:
        value = self.win32.create_semaphore(args["initial"], args["maximum"], args.get("name"))
        return self._created(name, "CreateSemaphore", thread, value)
        yield

    def _do_create_mutex(self, args: dict | None, name: str | None, step: AppStep,
                         thread: str) -> Verb:
        args = args or {}
        value = self.win32.create_mutex(bool(args.get("initial_owner")), args.get("name"))
        return self._created(name, "CreateMutex", thread, value)
        yield

    def _do_open_event(self, args: dict, name: str | None, step: AppStep, thread: str
                       ) -> Verb:
        value = self.win32.open_event(0x1F0003, args["name"])      # EVENT_ALL_ACCESS
        return self._created(name, "OpenEvent", thread, value)
        yield

    def _do_get_exit_code_thread(self, target: str, name: str | None, step: AppStep,
                                 thread: str) -> Verb:
        request = self._request(name, "GetExitCodeThread", thread, None)
        handle = self.thread_handles.get(target, 0xFFFFFFFF)   # never started: no handle
        ok, code = self.win32.get_exit_code_thread(handle)
        request.result = code
        return self._returned(request, ok, 0)
        yield

    # -- the Service Control Manager (win32-io §7) ------------------------------------
    def _sc(self, api: str, name: str | None, thread: str, handle: str | None,
            result: int, error: int) -> Request:
        """An advapi32 call's Request: {r.ok}, {r.result}, {r.error} (the last error a
        failing call sets; a succeeding one leaves it)."""
        request = self._request(name, api, thread, handle)
        request.result = result
        if error:
            self.win32.set_last_error(error)
        return self._returned(request, bool(result), 0)

    def _sc_handle(self, name: str | None, api: str, thread: str, value: int,
                   error: int) -> Request:
        if name is not None:
            self.handles[name] = value            # NULL when the call failed
        return self._sc(api, name, thread, None, value, error)

    def _do_open_sc_manager(self, args: Any, name: str | None, step: AppStep, thread: str
                            ) -> Verb:
        return self._sc_handle(name, "OpenSCManager", thread, *self.advapi32.open_sc_manager())
        yield

    def _do_create_service(self, args: dict, name: str | None, step: AppStep, thread: str
                           ) -> Verb:
        value, error = self.advapi32.create_service(
            self._handle(args["manager"]), args["name"], args.get("display_name", args["name"]),
            START_TYPES[args.get("start", "demand")], args["binary"])
        return self._sc_handle(name, "CreateService", thread, value, error)
        yield

    def _do_open_service(self, args: dict, name: str | None, step: AppStep, thread: str
                         ) -> Verb:
        value, error = self.advapi32.open_service(self._handle(args["manager"]), args["name"])
        return self._sc_handle(name, "OpenService", thread, value, error)
        yield

    def _do_start_service(self, handle: str, name: str | None, step: AppStep, thread: str
                          ) -> Verb:
        ok, error = yield from self.advapi32.start_service(self._handle(handle))
        return self._sc("StartService", name, thread, handle, ok, error)

    def _do_control_service(self, args: dict, name: str | None, step: AppStep, thread: str
                            ) -> Verb:
        ok, error, state = yield from self.advapi32.control_service(
            self._handle(args["service"]), CONTROLS[args["control"]])
        request = self._sc("ControlService", name, thread, args["service"], ok, error)
        request.result = state or 0                # dwCurrentState; 0: not filled
        return request

    def _do_delete_service(self, handle: str, name: str | None, step: AppStep, thread: str
                           ) -> Verb:
        return self._sc("DeleteService", name, thread, handle,
                        *self.advapi32.delete_service(self._handle(handle)))
        yield

    def _do_close_service_handle(self, handle: str, name: str | None, step: AppStep,
                                 thread: str) -> Verb:
        return self._sc("CloseServiceHandle", name, thread, handle,
                        *self.advapi32.close_service_handle(self._handle(handle)))
        yield

    def _net(self, service: str, stop: bool) -> Generator[Any, Any, tuple[int, int]]:
        """net start / net stop: the service opened by name, started or stopped, closed."""
        api = self.advapi32
        manager, _ = api.open_sc_manager()
        handle, error = api.open_service(manager, service)
        if handle:
            if stop:
                ok, error, _ = yield from api.control_service(handle, CONTROLS["stop"])
            else:
                ok, error = yield from api.start_service(handle)
            api.close_service_handle(handle)
        api.close_service_handle(manager)
        return (1, 0) if handle and ok else (0, error)

    def _do_net_start(self, service: str, name: str | None, step: AppStep, thread: str
                      ) -> Verb:
        return self._sc("net start", name, thread, None, *(yield from self._net(service, False)))

    def _do_net_stop(self, service: str, name: str | None, step: AppStep, thread: str
                     ) -> Verb:
        return self._sc("net stop", name, thread, None, *(yield from self._net(service, True)))

    # -- setupapi (win32-io §8) -----------------------------------------------------------
    def _do_setupdi_get_class_devs(self, args: dict, name: str | None, step: AppStep,
                                   thread: str) -> Verb:
        flags = 0
        for flag in args.get("flags", ["DIGCF_PRESENT", "DIGCF_DEVICEINTERFACE"]):
            flags |= DIGCF[flag]
        request = self._request(name, "SetupDiGetClassDevs", thread, None)
        value = self.setupapi.get_class_devs(args["guid"], flags)
        if name is not None:
            self.handles[name] = value            # an HDEVINFO
        request.result = value
        return self._returned(request, value != INVALID_HANDLE_VALUE, 0)
        yield

    def _do_setupdi_enum_device_interfaces(self, args: dict, name: str | None,
                                           step: AppStep, thread: str) -> Verb:
        data = DeviceInterfaceData(args.get("cb_size", SP_DEVICE_INTERFACE_DATA_SIZE))
        index = step.compiled["index"].fn(self) if "index" in step.compiled else 0
        request = self._request(name, "SetupDiEnumDeviceInterfaces", thread, args["info"])
        ok = self.setupapi.enum_device_interfaces(self._handle(args["info"]), args["guid"],
                                                  index & 0xFFFFFFFF, data)
        request.result = data.flags
        self.interface_data[request.name] = data
        return self._returned(request, ok, 0)
        yield

    def _do_setupdi_get_device_interface_detail(self, args: dict, name: str | None,
                                                step: AppStep, thread: str) -> Verb:
        size = step.compiled["size"].fn(self) & 0xFFFFFFFF if "size" in step.compiled else 0
        if size > MAX_BUFFER:
            raise AppError(f"{step.where}: a {size}-byte detail buffer is more than the "
                           f"model holds ({MAX_BUFFER})")
        buffer = self.win32.alloc(size) if size else None      # new char[ReqLen]
        # an SP_DEVICE_INTERFACE_DATA no enumeration filled in (it failed, or has not
        # run): setupapi rejects it
        data = self.interface_data.get(args["interface"], DeviceInterfaceData())
        request = self._request(name, "SetupDiGetDeviceInterfaceDetail", thread, args["info"])
        ok, required, path = self.setupapi.get_device_interface_detail(
            self._handle(args["info"]), data, buffer, size,
            args.get("cb_size", SP_DEVICE_INTERFACE_DETAIL_DATA_SIZE))
        request.size, request.path, request.buffer = required, path, buffer
        return self._returned(request, ok, 0)
        yield

    def _do_setupdi_destroy_device_info_list(self, handle: str, name: str | None,
                                             step: AppStep, thread: str) -> Verb:
        return self._bool("SetupDiDestroyDeviceInfoList", handle, name, thread,
                          self.setupapi.destroy_device_info_list)
        yield

    def _bool(self, api: str, handle: str, name: str | None, thread: str,
              call: Any) -> Request:
        request = self._request(name, api, thread, handle)
        return self._returned(request, call(self._handle(handle)), 0)

    def _do_set_event(self, handle: str, name: str | None, step: AppStep, thread: str
                      ) -> Verb:
        return self._bool("SetEvent", handle, name, thread, self.win32.set_event)
        yield

    def _do_reset_event(self, handle: str, name: str | None, step: AppStep, thread: str
                        ) -> Verb:
        return self._bool("ResetEvent", handle, name, thread, self.win32.reset_event)
        yield

    def _do_pulse_event(self, handle: str, name: str | None, step: AppStep, thread: str
                        ) -> Verb:
        return self._bool("PulseEvent", handle, name, thread, self.win32.pulse_event)
        yield

    def _do_release_mutex(self, handle: str, name: str | None, step: AppStep, thread: str
                          ) -> Verb:
        return self._bool("ReleaseMutex", handle, name, thread, self.win32.release_mutex)
        yield

    def _do_release_semaphore(self, args: dict, name: str | None, step: AppStep,
                              thread: str) -> Verb:
        request = self._request(name, "ReleaseSemaphore", thread, args["handle"])
        ok, previous = self.win32.release_semaphore(self._handle(args["handle"]),
                                                    args.get("count", 1))
        request.result = previous
        return self._returned(request, ok, 0)
        yield

    def _do_wait_for(self, args: Any, name: str | None, step: AppStep, thread: str
                     ) -> Verb:
        args = {"objects": [args]} if isinstance(args, str) else args
        handles = [self._handle(obj) if obj in self.handles or obj not in self.threads
                   else self.thread_handles[obj] for obj in args["objects"]]
        api = "WaitForSingleObject" if len(handles) == 1 else "WaitForMultipleObjects"
        request = self._request(name, api + ("Ex" if "alertable" in args else ""), thread,
                                None)
        result = yield from self.win32.wait_for_multiple_objects(   # alertable: the Ex form
            handles, bool(args.get("wait_all")), step.compiled["ms"], args.get("alertable"))
        request.result = result
        return self._returned(request, result != 0xFFFFFFFF, 0)

    def _do_spawn(self, name: str, _as: str | None, step: AppStep, thread: str) -> Verb:
        if name in self.threads:
            raise AppError(f"thread {name!r} was already started")
        self.thread_handles[name] = self.win32.thread_handle(self.start_thread(name))
        return None
        yield

    def _do_join(self, name: str, _as: str | None, step: AppStep, thread: str) -> Verb:
        if name not in self.threads:
            raise AppError(f"thread {name!r} was never started")
        yield from wait_on_object(self.threads[name])        # WaitForSingleObject(hThread)
        return None

    def start_thread(self, name: str) -> Any:
        """Start the app thread ``name`` (its steps from ``threads:``)."""
        self.threads[name] = self.kernel.create_thread(
            self._thread_start, self.plan.threads[name], name, name=name,
            process=self.process, user=True)
        return self.threads[name]

    def _thread_start(self, steps: Any, thread_name: str) -> Generator[Any, Any, None]:
        """A new thread: APCs queued to it before it ran go first (win32-io 2.6)."""
        yield from self.win32.thread_startup()
        yield from self.thread_body(steps, thread_name)

    def _do_print(self, text: str, name: str | None, step: AppStep, thread: str) -> Verb:
        self.win32.print(step.compiled["render"](self))
        return None
        yield

    # -- the app language: variables and control flow -----------------------------------
    def _do_set(self, args: dict, name: str | None, step: AppStep, thread: str) -> Verb:
        for target, compiled in step.compiled["assign"]:
            self.vars[target] = compiled.ctype.wrap(compiled.fn(self))
        return None
        yield

    def _do_if(self, args: dict, name: str | None, step: AppStep, thread: str) -> Verb:
        c = step.compiled
        yield from self.thread_body(c["body"] if c["cond"].fn(self) else c["orelse"], thread)
        return None

    def _do_repeat(self, args: dict, name: str | None, step: AppStep, thread: str
                   ) -> Verb:
        count = step.compiled["times"].fn(self)
        if count > 10**7:
            raise AppError(f"{step.where}: repeat {count} times is more than 10^7")
        for _ in range(count):
            yield from self.thread_body(step.compiled["body"], thread)
        return None

    def _do_while(self, args: dict, name: str | None, step: AppStep, thread: str) -> Verb:
        c = step.compiled
        for _ in range(c["max"]):
            if not c["cond"].fn(self):
                return None
            yield from self.thread_body(c["body"], thread)
        if c["cond"].fn(self):
            raise AppError(f"{step.where}: the loop ran {c['max']} times without ending "
                           "(its bound; raise 'max' if that is meant)")
        return None

    def _find(self, name: str) -> Request:
        if name not in self.requests:
            raise AppError(f"no request named {name!r}")
        return self.requests[name]
