"""The Service Control Manager as an application sees it through advapi32, for kernel
drivers (win32-io §7).

services.exe keeps the service database (the ``Services`` keys NtLoadDriver reads) and
turns StartService into NtLoadDriver and a STOP control into NtUnloadDriver; both calls
wait for the work a System thread does (DriverEntry, DriverUnload). The app runs
elevated: its OpenSCManager may ask for every right (a non-elevated caller is not
modelled). SC_HANDLEs are the app's own pointers, not kernel handles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

from .ntdll import (DRVO_LEGACY_DRIVER, ERROR_DUPLICATE_SERVICE_NAME, ERROR_INVALID_HANDLE,
                    ERROR_INVALID_SERVICE_CONTROL, ERROR_SERVICE_ALREADY_RUNNING,
                    ERROR_SERVICE_DISABLED, ERROR_SERVICE_DOES_NOT_EXIST, ERROR_SERVICE_EXISTS,
                    ERROR_SERVICE_MARKED_FOR_DELETE, ERROR_SERVICE_NOT_ACTIVE, ERROR_SUCCESS,
                    NtLoadDriver, NtUnloadDriver, RtlNtStatusToDosError, nt_success)

if TYPE_CHECKING:
    from ..kernel import Kernel

SERVICE_KERNEL_DRIVER = 1
START_TYPES = {"boot": 0, "system": 1, "auto": 2, "demand": 3, "disabled": 4}
SERVICE_DISABLED = 4
SERVICE_STOPPED, SERVICE_START_PENDING, SERVICE_STOP_PENDING, SERVICE_RUNNING = 1, 2, 3, 4
SERVICE_STATE_NAMES = {SERVICE_STOPPED: "SERVICE_STOPPED",
                       SERVICE_START_PENDING: "SERVICE_START_PENDING",
                       SERVICE_STOP_PENDING: "SERVICE_STOP_PENDING",
                       SERVICE_RUNNING: "SERVICE_RUNNING"}
SERVICE_CONTROL_STOP, SERVICE_CONTROL_PAUSE, SERVICE_CONTROL_CONTINUE = 1, 2, 3
SERVICE_CONTROL_INTERROGATE = 4
CONTROLS = {"stop": SERVICE_CONTROL_STOP, "pause": SERVICE_CONTROL_PAUSE,
            "continue": SERVICE_CONTROL_CONTINUE, "interrogate": SERVICE_CONTROL_INTERROGATE}

SERVICES_KEY = "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\"
#: Where SC_HANDLEs point: the app's heap (deterministic stand-in addresses).
SC_HANDLE_BASE = 0x00150000


class Service:
    """One entry of the service database."""

    def __init__(self, name: str, display_name: str, image_path: str, start: int) -> None:
        self.name, self.display_name = name, display_name
        self.image_path, self.start = image_path, start
        self.marked_for_delete = False
        self.handles = 0


class ServiceControlManager:
    """services.exe: the service database and the load/unload requests it makes."""

    def __init__(self, kernel: "Kernel") -> None:
        self.kernel = kernel
        self.services: dict[str, Service] = {}      # by lowercase name

    def register(self, name: str, display_name: str, image_path: str, start: int) -> Service:
        """A service of the database (one the machine boots with: its key is there)."""
        service = Service(name, display_name, image_path, start)
        self.services[name.lower()] = service
        return service

    def install(self, name: str, display_name: str, image_path: str, start: int) -> Service:
        """CreateService (§7.2): the record and the key NtLoadDriver reads (Type, Start,
        ErrorControl, ImagePath)."""
        self.kernel.registry.create_service_key(name, start, image_path)
        return self.register(name, display_name, image_path, start)

    def state(self, service: Service) -> int:
        """SERVICE_RUNNING while its driver object stands; STOP_PENDING while an unload
        waits for the devices' last references (Windows' report; ReactOS says STOPPED
        at once: uncertain, win32-io §7.4); else STOPPED."""
        driver = self.kernel.namespace.lookup(f"\\Driver\\{service.name}")
        if driver is None:
            return SERVICE_STOPPED
        return SERVICE_STOP_PENDING if driver.unload_pending else SERVICE_RUNNING

    def _forget_if_deleted(self, service: Service) -> None:
        """DeleteService's key goes once the service is stopped and no handle is left
        (§7.6)."""
        if service.marked_for_delete and service.handles == 0 \
                and self.state(service) == SERVICE_STOPPED:
            self.services.pop(service.name.lower(), None)
            key = self.kernel.registry.lookup(SERVICES_KEY + service.name)
            if key is not None and not key.subkeys:
                self.kernel.registry.delete(key)


class Advapi32:
    """The SCM calls of one process: each returns (result, last error); a BOOL call's
    result is 1 or 0, a handle call's the SC_HANDLE or 0."""

    def __init__(self, scm: ServiceControlManager) -> None:
        self.scm = scm
        self.kernel = scm.kernel
        self.handles: dict[int, Service | None] = {}    # SC_HANDLE -> service (None: SCM)
        self._next = SC_HANDLE_BASE

    def _traced(self, api: str, args: dict, result: tuple) -> tuple:
        """The call's Win32Call / Win32Return pair in the trace (after the fact for the
        calls that do not wait: nothing happens between the two)."""
        self.kernel.hooks.win32_call(api, args)
        self.kernel.hooks.win32_return(api, {"result": result[0], "error": result[1]})
        return result

    def _new_handle(self, service: Service | None) -> int:
        self._next += 8
        self.handles[self._next] = service
        if service is not None:
            service.handles += 1
        return self._next

    def _service(self, handle: int) -> Service | None:
        service = self.handles.get(handle)
        return service if service is not None and service.name.lower() in \
            self.scm.services else None

    def open_sc_manager(self) -> tuple[int, int]:
        """OpenSCManager(NULL, NULL, SC_MANAGER_ALL_ACCESS) (§7.1)."""
        return self._traced("OpenSCManager", {}, (self._new_handle(None), ERROR_SUCCESS))

    def create_service(self, manager: int, name: str, display_name: str, start: int,
                       binary_path: str) -> tuple[int, int]:
        """CreateService(..., SERVICE_KERNEL_DRIVER, start, ..., binaryPath) (§7.2): records
        the service; it loads nothing and does not look for the image."""
        return self._traced("CreateService", {"name": name, "binary": binary_path},
                            self._create_service(manager, name, display_name, start,
                                                 binary_path))

    def _create_service(self, manager: int, name: str, display_name: str, start: int,
                        binary_path: str) -> tuple[int, int]:
        if manager not in self.handles or self.handles[manager] is not None:
            return 0, ERROR_INVALID_HANDLE
        existing = self.scm.services.get(name.lower())
        if existing is not None:
            return 0, (ERROR_SERVICE_MARKED_FOR_DELETE if existing.marked_for_delete
                       else ERROR_SERVICE_EXISTS)
        if any(s.display_name.lower() == display_name.lower()
               for s in self.scm.services.values()):
            return 0, ERROR_DUPLICATE_SERVICE_NAME
        return self._new_handle(self.scm.install(name, display_name, binary_path, start)), 0

    def open_service(self, manager: int, name: str) -> tuple[int, int]:
        """OpenService (§7.1): an unknown name is ERROR_SERVICE_DOES_NOT_EXIST."""
        return self._traced("OpenService", {"name": name}, self._open_service(manager, name))

    def _open_service(self, manager: int, name: str) -> tuple[int, int]:
        if manager not in self.handles or self.handles[manager] is not None:
            return 0, ERROR_INVALID_HANDLE
        service = self.scm.services.get(name.lower())
        if service is None:
            return 0, ERROR_SERVICE_DOES_NOT_EXIST
        return self._new_handle(service), ERROR_SUCCESS

    def start_service(self, handle: int) -> Generator[Any, Any, tuple[int, int]]:
        """StartService (§7.3): NtLoadDriver, synchronous: it returns once DriverEntry has;
        the failure is DriverEntry's status mapped (the driver object and image go
        without DriverUnload)."""
        service = self._service(handle)
        self.kernel.hooks.win32_call("StartService", {"service": getattr(service, "name", "")})
        ok, error = yield from self._start_service(service)
        self.kernel.hooks.win32_return("StartService", {"result": ok, "error": error})
        return ok, error

    def _start_service(self, service: Service | None) -> Generator[Any, Any, tuple[int, int]]:
        if service is None:
            return 0, ERROR_INVALID_HANDLE
        if service.start == SERVICE_DISABLED:
            return 0, ERROR_SERVICE_DISABLED
        if service.marked_for_delete:
            return 0, ERROR_SERVICE_MARKED_FOR_DELETE
        if self.scm.state(service) != SERVICE_STOPPED:
            return 0, ERROR_SERVICE_ALREADY_RUNNING
        status = yield from NtLoadDriver(self.kernel, SERVICES_KEY + service.name)
        if nt_success(status):
            return 1, ERROR_SUCCESS
        return 0, RtlNtStatusToDosError(status)

    def control_service(self, handle: int, control: int
                        ) -> Generator[Any, Any, tuple[int, int, int | None]]:
        """ControlService (§7.4): (result, error, dwCurrentState or None when the
        SERVICE_STATUS is not filled). STOP of a driver without DriverUnload never
        reaches the kernel: such a driver does not accept STOP (1052)."""
        service = self._service(handle)
        self.kernel.hooks.win32_call("ControlService", {"service": getattr(service, "name", ""),
                                                        "control": control})
        result = yield from self._control_service(service, control)
        self.kernel.hooks.win32_return("ControlService", {"result": result[0],
                                                          "error": result[1]})
        return result

    def _control_service(self, service: Service | None, control: int
                         ) -> Generator[Any, Any, tuple[int, int, int | None]]:
        if service is None:
            return 0, ERROR_INVALID_HANDLE, None
        state = self.scm.state(service)
        if control == SERVICE_CONTROL_INTERROGATE:
            if state == SERVICE_STOPPED:
                return 0, ERROR_SERVICE_NOT_ACTIVE, state
            return 1, ERROR_SUCCESS, state
        if control != SERVICE_CONTROL_STOP:
            return 0, ERROR_INVALID_SERVICE_CONTROL, state
        if state == SERVICE_STOPPED:
            return 0, ERROR_SERVICE_NOT_ACTIVE, state
        driver = self.kernel.namespace.lookup(f"\\Driver\\{service.name}")
        if driver.driver_unload is None or not driver.flags & DRVO_LEGACY_DRIVER:
            # no DriverUnload, or a PnP driver: it does not accept STOP (pnp-hardware §1.5)
            return 0, ERROR_INVALID_SERVICE_CONTROL, state
        status = yield from NtUnloadDriver(self.kernel, SERVICES_KEY + service.name)
        if not nt_success(status):
            return 0, RtlNtStatusToDosError(status), None
        self.scm._forget_if_deleted(service)
        return 1, ERROR_SUCCESS, self.scm.state(service)

    def delete_service(self, handle: int) -> tuple[int, int]:
        """DeleteService (§7.6): marks; the driver stays loaded."""
        return self._traced("DeleteService", {}, self._delete_service(handle))

    def _delete_service(self, handle: int) -> tuple[int, int]:
        service = self._service(handle)
        if service is None:
            return 0, ERROR_INVALID_HANDLE
        if service.marked_for_delete:
            return 0, ERROR_SERVICE_MARKED_FOR_DELETE
        service.marked_for_delete = True
        return 1, ERROR_SUCCESS

    def close_service_handle(self, handle: int) -> tuple[int, int]:
        """CloseServiceHandle."""
        if handle not in self.handles:
            return 0, ERROR_INVALID_HANDLE
        service = self.handles.pop(handle)
        if service is not None:
            service.handles -= 1
            self.scm._forget_if_deleted(service)
        return 1, ERROR_SUCCESS
