"""Loading and unloading drivers: NtLoadDriver / NtUnloadDriver (IopLoadDriver,
IopUnloadDriver), the deferred unload, and what is left of an image once it is gone
(pnp-hardware §1, win32-io §7.3-§7.5).

A driver's code is a :class:`DriverImage`: the scenario's driver, on disk as
``<Service>.sys``, and once loaded a range of system space. When the image is unmapped
its code is dead: a routine of it the kernel calls afterwards (a timer's DPC, a
completion or cancel routine, an ISR, a system thread that wakes up) is bug check 0xCE
(§1.8). Driver Verifier instead checks the timer and DPC queues when the image goes and
bug-checks 0xC7 there (verifier-rules R89).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Generator

from ..constants import (DO_DEVICE_INITIALIZING, NTSTATUS, BugCheckCode, nt_success)
from .device import (DOE_DELETE_PENDING, DOE_UNLOAD_PENDING, DeviceObject, DriverObject,
                     iop_unlink_device)
from .driver import io_create_driver, iop_invalid_device_request

VERIFIER = BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel

# DriverObject->Flags (pnp-hardware §0)
DRVO_UNLOAD_INVOKED, DRVO_LEGACY_DRIVER, DRVO_INITIALIZED = 0x1, 0x2, 0x10

#: Where driver images are mapped, one 64 KB range each in load order: stand-in
#: addresses for DriverStart and for bug-check parameters, the same in every process.
IMAGE_BASE, IMAGE_SPAN = 0xF8A00000, 0x10000

SERVICES_KEY = "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\"
SERVICES = "\\Registry\\Machine\\System\\CurrentControlSet\\Services"   # cm's spelling
HARDWARE_DATABASE = "\\REGISTRY\\MACHINE\\HARDWARE\\DESCRIPTION\\SYSTEM"

#: DriverEntry(DriverObject, RegistryPath) -> NTSTATUS, as the image's code runs it.
DriverEntry = Callable[[DriverObject, str], Generator[Any, Any, int]]


class DriverImage:
    """A driver's ``.sys`` file and, while mapped, the range its code occupies."""

    def __init__(self, service: str, entry: DriverEntry, file_name: str = "") -> None:
        self.service = service
        self.file_name = file_name or f"{service}.sys"
        self.entry = entry
        self.base = 0
        self.size = IMAGE_SPAN
        self.mapped = False
        self.unloaded = False             # was mapped and is gone: its code is dead
        self.wdm = False                      # IMAGE_DLLCHARACTERISTICS_WDM_DRIVER: PnP
        self.driver: DriverObject | None = None
        self.routine_addresses: dict[Any, int] = {}
        #: the objects in the image's global data (a driver's globals), for 0xC7
        self.global_objects: Callable[[], Any] = tuple

    def routine_address(self, routine: Any) -> int:
        """A routine's address inside the image: after a 4 KB header, in first-use order."""
        address = self.routine_addresses.get(routine)
        if address is None:
            address = self.base + 0x1000 + 0x10 * len(self.routine_addresses)
            self.routine_addresses[routine] = address
        return address

    def contains(self, address: int) -> bool:
        return self.base <= address < self.base + self.size

    def __repr__(self) -> str:
        state = "mapped" if self.mapped else "unloaded" if self.unloaded else "on disk"
        return f"<image {self.file_name} {state}>"


def mm_load_system_image(kernel: "Kernel", image: DriverImage) -> None:
    """MmLoadSystemImage: map the image at the next free range (its base is kept for a
    reload, so a driver loaded twice gives the same addresses)."""
    if not image.base:
        kernel.next_image_base = getattr(kernel, "next_image_base", IMAGE_BASE)
        image.base = kernel.next_image_base
        kernel.next_image_base += IMAGE_SPAN
    image.mapped, image.unloaded = True, False
    image.routine_addresses.clear()


def nt_load_driver(kernel: "Kernel", image: DriverImage) -> Generator[Any, Any, int]:
    """IopLoadDriver for one service, in a System thread (§1.1-§1.3).

    A driver object that exists already is STATUS_IMAGE_ALREADY_LOADED. DriverEntry
    runs at PASSIVE_LEVEL; a status that is not NT_SUCCESS (warnings included) means not
    loaded: the driver object goes, the image is unmapped and DriverUnload is never
    called, whatever DriverEntry left behind (§1.3). Windows returns DriverEntry's own
    status, which is what the SCM maps (ReactOS says STATUS_FAILED_DRIVER_ENTRY).
    """
    name = f"\\Driver\\{image.service}"
    if image.mapped or kernel.namespace.lookup(name) is not None:
        return NTSTATUS.STATUS_IMAGE_ALREADY_LOADED
    mm_load_system_image(kernel, image)
    driver = io_create_driver(kernel, name)
    driver.image = image
    driver.flags = 0 if image.wdm else DRVO_LEGACY_DRIVER   # the WDM_DRIVER PE flag
    driver.driver_start = image.base
    driver.driver_size = image.size
    driver.service_key_name = image.service
    driver.hardware_database = HARDWARE_DATABASE
    image.driver = driver
    kernel.hooks.service_call("DriverEntry", {"driver": name})
    status = yield from image.entry(driver, SERVICES_KEY + image.service)
    kernel.hooks.service_return("DriverEntry", {"status": status})
    if not nt_success(status):
        _forget_driver(kernel, driver)
        mm_unload_system_image(kernel, image)
        return status
    driver.flags |= DRVO_INITIALIZED
    for major, routine in enumerate(driver.major_function):
        if routine is None:                  # §1.2 step 4
            driver.major_function[major] = iop_invalid_device_request
    for device in driver.devices():          # IopReadyDeviceObjects (io-core §8.4)
        device.flags &= ~DO_DEVICE_INITIALIZING
    return status


def nt_unload_driver(kernel: "Kernel", service: str) -> Generator[Any, Any, int]:
    """IopUnloadDriver (§1.5): DriverUnload now, later (a device still referenced or
    attached to), or not at all (no DriverUnload: STATUS_INVALID_DEVICE_REQUEST)."""
    driver = kernel.namespace.lookup(f"\\Driver\\{service}")
    if not isinstance(driver, DriverObject):
        return NTSTATUS.STATUS_OBJECT_NAME_NOT_FOUND
    if driver.flags & DRVO_UNLOAD_INVOKED or driver.unload_pending:
        return NTSTATUS.STATUS_DELETE_PENDING
    if driver.driver_unload is None or not driver.flags & DRVO_LEGACY_DRIVER:
        # §1.5 step 2: nothing to call, or a PnP driver (it goes with its devices)
        return NTSTATUS.STATUS_INVALID_DEVICE_REQUEST
    driver.unload_pending = True
    for device in driver.devices():
        device.doe_flags |= DOE_UNLOAD_PENDING
    yield from iop_unload_if_idle(driver)
    return NTSTATUS.STATUS_SUCCESS


def _busy(device: DeviceObject) -> bool:
    return device.reference_count > 0 or device.attached_device is not None


def iop_unload_if_idle(driver: DriverObject) -> Generator[Any, Any, None]:
    """IopCheckUnloadDriver: with the unload pending and no device of the driver
    referenced or attached to, call DriverUnload in this thread (§1.5 step 3-4). Run
    from NtUnloadDriver, from the last IRP_MJ_CLOSE and from IoDetachDevice."""
    if not driver.unload_pending or driver.flags & DRVO_UNLOAD_INVOKED:
        return
    if any(_busy(device) for device in driver.devices()):
        return
    driver.flags |= DRVO_UNLOAD_INVOKED
    kernel = driver.kernel
    kernel.hooks.service_call("DriverUnload", {"driver": driver.name})
    assert driver.driver_unload is not None    # NtUnloadDriver set unload_pending only with one
    yield from driver.driver_unload(driver)
    kernel.hooks.service_return("DriverUnload", {})
    _forget_driver(kernel, driver)
    iop_release_image(driver)


def _forget_driver(kernel: "Kernel", driver: DriverObject) -> None:
    """ObMakeTemporaryObject on the driver object: its name goes at once."""
    kernel.namespace.remove(driver.name)
    driver.temporary = True


def iop_release_image(driver: DriverObject) -> None:
    """The driver object's last reference is gone once it is temporary and has no
    device left: then the image is unmapped (§1.5 step 4). A device DriverUnload did
    not delete keeps it mapped: a leak, not a crash."""
    image = getattr(driver, "image", None)
    if image is None or not image.mapped or not driver.temporary:
        return
    if driver.device_object is not None or driver.references:
        return
    mm_unload_system_image(driver.kernel, image)


def mm_unload_system_image(kernel: "Kernel", image: DriverImage) -> None:
    """Unmap the image: its code is dead from now on (§1.8). Under Driver Verifier the
    timer table and DPC queues are checked for the range first (0xC7, R89)."""
    if kernel.verifier:
        _check_for_timers_and_dpcs(kernel, image)
        _check_for_leaked_pool(kernel, image)
    image.mapped, image.unloaded = False, True
    kernel.hooks.service_call("MmUnloadSystemImage", {"image": image.file_name})


def _check_for_timers_and_dpcs(kernel: "Kernel", image: DriverImage) -> None:
    """0xC7 TIMER_OR_DPC_INVALID for a queued timer or DPC in the range being freed:
    parameter 1 = 0 the timer object lies in it, 1 the KDPC object, 2 the DPC routine
    (the chosen order of the checks is the parameter's: object, DPC, routine); 2 the
    object, 3 and 4 the range. Objects in the driver's global data lie in the image."""
    model_globals = list(image.global_objects())
    start, end = image.base, image.base + image.size

    def check(kind: int, obj: Any) -> None:
        kernel.bug_check(BugCheckCode.TIMER_OR_DPC_INVALID, kind,
                         kernel.objects.address_of(obj), start, end,
                         reason=f"{image.file_name} unloaded with {obj!r} still queued")

    def in_image(obj: Any) -> bool:
        return any(value is obj for value in model_globals)

    for timer in list(kernel.armed_timers.values()):
        dpc = timer.dpc
        if in_image(timer):
            return check(0, timer)
        if dpc is not None and in_image(dpc):
            return check(1, timer)
        if dpc is not None and getattr(dpc.routine, "image", None) is image:
            return check(2, timer)
    for cpu in kernel.cpus:
        for dpc in cpu.dpc_queue:
            if in_image(dpc):
                return check(1, dpc)
            if getattr(dpc.routine, "image", None) is image:
                return check(2, dpc)
    return None


def _check_for_leaked_pool(kernel: "Kernel", image: DriverImage) -> None:
    """Verifier's pool tracking at unload (verifier-rules R95): allocations the driver's
    code made and never freed are 0xC4 (0x62, the driver's name, 0, their count)."""
    leaked = [block for block in kernel.pool_blocks.blocks.values()
              if not block.freed and block.owner is image]
    if leaked:
        kernel.bug_check(VERIFIER, 0x62, kernel.objects.address_of(image), 0, len(leaked),
                         reason=f"{image.file_name} unloaded with {len(leaked)} pool "
                                "allocation(s) not freed")


def iop_dead_code(kernel: "Kernel", routine: Any) -> None:
    """The CPU reached code of an unloaded image: 0xCE (the routine, 0, the routine, 0);
    parameter 2 = 0 for an execute is the spec's inference (pnp-hardware §1.8)."""
    image = routine.image
    address = kernel.routine_address(routine)
    kernel.bug_check(BugCheckCode.DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS,
                     address, 0, address, 0,
                     reason=f"{getattr(routine, '__name__', 'a routine')} of the unloaded "
                            f"{image.file_name} was called")


def iop_device_released(device: DeviceObject) -> Generator[Any, Any, None]:
    """A device's last open went (the last IRP_MJ_CLOSE) or its upper device detached:
    finish a deferred IoDeleteDevice, then re-check a pending unload (§1.5 step 3,
    §1.7)."""
    driver = device.driver_object
    if device.doe_flags & DOE_DELETE_PENDING and device.reference_count == 0:
        iop_unlink_device(device)
    yield from iop_unload_if_idle(driver)
    iop_release_image(driver)


def _image_file(kernel: "Kernel", service: str) -> str | None:
    """The image NtLoadDriver loads: the file name of the service key's ImagePath (an
    empty or missing one is ``<Service>.sys``, §1.2 step 1); None when there is no
    service key."""
    key = kernel.registry.lookup(f"{SERVICES}\\{service}")
    if key is None:
        return None
    value = key.value("ImagePath")
    path = value.data.decode("utf-16-le").rstrip("\0") if value is not None else ""
    return path.replace("/", "\\").rsplit("\\", 1)[-1] or f"{service}.sys"


def _load_request(kernel: "Kernel", key_path: str,
                  work: Callable[[str], Generator[Any, Any, Any]]) -> Generator[Any, Any, int]:
    """NtLoadDriver / NtUnloadDriver: the work is done in a System worker thread and
    the caller waits for it (§1.1); the key path names the service."""
    service = key_path.rstrip("\\").rsplit("\\", 1)[-1]
    done = kernel.new_event()

    def worker() -> Generator[Any, Any, None]:
        done.succeed((yield from work(service)))
    kernel.create_thread(worker, name=f"Worker:{service}", process="System")
    status: int = yield from kernel.current_thread_wait(done)
    return status


def nt_load_driver_service(kernel: "Kernel", key_path: str) -> Generator[Any, Any, int]:
    """NtLoadDriver(ServiceKeyPath) (§1.1, win32-io §7.3): the service key's ImagePath
    names the image; no key, or an image that is not on disk, is
    STATUS_OBJECT_NAME_NOT_FOUND."""
    def work(service: str) -> Generator[Any, Any, int]:
        file = _image_file(kernel, service)
        image = next((i for i in kernel.images.values()
                      if file is not None and i.file_name.lower() == file.lower()), None)
        if image is None:
            return NTSTATUS.STATUS_OBJECT_NAME_NOT_FOUND
        if image.mapped:       # MmLoadSystemImage: still in the loaded-module list (§7.5)
            return NTSTATUS.STATUS_IMAGE_ALREADY_LOADED
        image.service = service
        return (yield from nt_load_driver(kernel, image))
    return (yield from _load_request(kernel, key_path, work))


def nt_unload_driver_service(kernel: "Kernel", key_path: str) -> Generator[Any, Any, int]:
    """NtUnloadDriver(ServiceKeyPath) (§1.5, win32-io §7.4)."""
    return (yield from _load_request(kernel, key_path,
                                     lambda service: nt_unload_driver(kernel, service)))
