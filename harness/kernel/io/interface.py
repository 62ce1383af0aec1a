"""Device interfaces and interface-change notifications (pnp-hardware §3).

A device interface is a (class GUID, reference string) a driver registers on the PDO
of its devnode. Its name is the symbolic link apps open it by:
``\\??\\<instance path, '\\' -> '#'>#{guid}[\\RefString]`` - the instance path keeps its
case, the GUID is written in lower case (§3.1, as Windows and Wine write it; ReactOS
upper-cases it). Registering creates the interface's keys under
``Control\\DeviceClasses\\{guid}`` and hands the name back in a new PagedPool string;
the interface is disabled until IoSetDeviceInterfaceState(TRUE) makes the link to the
PDO's ``\\Device\\xxxxxxxx`` name and tells the listeners (GUID_DEVICE_INTERFACE_ARRIVAL).

Until the whole stack has completed START_DEVICE the PDO carries DOE_START_PENDING:
an enable then is only remembered (PiDeferSetInterfaceState), so there is no link and
no arrival yet; the PnP manager performs the held-back enables when START succeeds
(§2.5 item 3, §3.2). At REMOVE_DEVICE it disables whatever the driver left enabled.

Listeners (IoRegisterPlugPlayNotification, EventCategoryDeviceInterfaceChange) are
called at PASSIVE_LEVEL in the PnP manager's event worker, a System thread, after the
change: the worker runs later, not inside IoSetDeviceInterfaceState. With
PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES the enabled interfaces of the
class are reported once each, in the registering thread, before the registration
returns (§3.3: Windows may report one twice and its timing is not documented; this
model's choice). A registration references the driver object: the image stays mapped
until the last one is removed.

Simplified: no DBT_DEVICEARRIVAL to user-mode windows (no window messages are
modelled); a reference string is kept but only the FileName an open gets shows it.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any, Callable, Generator, NoReturn

from ..cm.hive import CURRENT_CONTROL_SET
from ..constants import (NTSTATUS, PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES,
                         REG_DWORD, REG_SZ, BugCheckCode, EventCategoryDeviceInterfaceChange)
from ..errors import KernelUsageError, NotModelledError
from ..mm.pool import PagedPool, ex_allocate_pool_with_tag, ex_free_pool_with_tag
from ..rtl.string import STRING_TAG, CountedString
from .device import (DOE_DELETE_PENDING, DOE_START_PENDING, DeviceObject, DriverObject,
                     io_create_symbolic_link, io_delete_symbolic_link)
from .loader import iop_release_image

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel

#: DeviceClasses: one key per interface class, one subkey per interface instance.
DEVICE_CLASSES = CURRENT_CONTROL_SET + "\\Control\\DeviceClasses"
GUID_DEVICE_INTERFACE_ARRIVAL = "{cb3a4004-46f0-11d0-b08f-00609713053f}"
GUID_DEVICE_INTERFACE_REMOVAL = "{cb3a4005-46f0-11d0-b08f-00609713053f}"
EVENT_NAMES = {GUID_DEVICE_INTERFACE_ARRIVAL: "GUID_DEVICE_INTERFACE_ARRIVAL",
               GUID_DEVICE_INTERFACE_REMOVAL: "GUID_DEVICE_INTERFACE_REMOVAL"}
#: IoGetDeviceInterfaces: list disabled interfaces too
DEVICE_INTERFACE_INCLUDE_NONACTIVE = 0x1
#: 0xCA PNP_DETECTED_FATAL_ERROR, parameter 1 = 0x2: "invalid PDO"
INVALID_PDO = 0x2
#: x86 sizeof(DEVICE_INTERFACE_CHANGE_NOTIFICATION): USHORT Version, USHORT Size, GUID Event,
#: GUID InterfaceClassGuid, PUNICODE_STRING SymbolicLinkName
NOTIFICATION_SIZE = 2 + 2 + 16 + 16 + 4
#: the PnP manager's notification pool tag (ReactOS TAG_PNP_NOTIFY 'NPnP'; Windows' own
#: tag is not documented)
PNP_NOTIFY_TAG = int.from_bytes(b"NPnP", "big")

_GUID = re.compile(r"\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                   r"[0-9a-fA-F]{12})\}?")


def guid_text(guid: str) -> str:
    """A GUID as the registry and interface names write it: ``{xxxxxxxx-...}``, lower
    case."""
    match = _GUID.fullmatch(guid.strip())
    if match is None:
        raise KernelUsageError(f"{guid!r} is not a GUID ({{xxxxxxxx-xxxx-xxxx-xxxx-"
                               "xxxxxxxxxxxx}})")
    return "{" + match.group(1).lower() + "}"


class DeviceInterface:
    """One interface instance: its class, reference string, PDO and state."""

    __slots__ = ("class_guid", "reference", "pdo", "node", "symbolic_link", "enabled",
                 "deferred")

    def __init__(self, class_guid: str, reference: str, pdo: DeviceObject, node: Any,
                 symbolic_link: str) -> None:
        self.class_guid = class_guid
        self.reference = reference
        self.pdo = pdo
        self.node = node                  # the devnode (io/pnp.py DevNode)
        self.symbolic_link = symbolic_link
        self.enabled = False              # the link exists, arrival announced
        self.deferred = False             # enabled before START completed: held back

    @property
    def link_name(self) -> str:
        """The symbolic link object: the name without its reference string, which an
        open passes on as the FileName (§3.4); interfaces of one class on one device
        that differ only in reference strings share it."""
        return "\\??\\" + self.symbolic_link[4:].split("\\", 1)[0]

    @property
    def key_name(self) -> str:
        """The interface's key under DeviceClasses\\{guid}: ``##?#`` + the name after
        ``\\??\\`` (reference string left out)."""
        return "##?#" + self.link_name[4:]

    def __repr__(self) -> str:
        state = "enabled" if self.enabled else "deferred" if self.deferred else "disabled"
        return f"<device interface {self.symbolic_link} {state}>"


class DeviceInterfaceChangeNotification:
    """DEVICE_INTERFACE_CHANGE_NOTIFICATION: what a listener's callback receives.

    ``address`` is where the structure lies in paged pool while the callbacks run
    (0 before): what driver code gets as its PVOID NotificationStructure."""

    __slots__ = ("version", "size", "event", "interface_class_guid", "symbolic_link_name",
                 "address")

    def __init__(self, event: str, class_guid: str, symbolic_link_name: str) -> None:
        self.version = 1
        self.size = NOTIFICATION_SIZE
        self.event = event
        self.interface_class_guid = class_guid
        self.symbolic_link_name = symbolic_link_name
        self.address = 0

    @property
    def event_name(self) -> str:
        return EVENT_NAMES.get(self.event, self.event)

    def __repr__(self) -> str:
        return f"<{self.event_name} {self.symbolic_link_name}>"


#: PDRIVER_NOTIFICATION_CALLBACK_ROUTINE(NotificationStructure, Context) -> NTSTATUS
NotificationCallback = Callable[[DeviceInterfaceChangeNotification, Any],
                                Generator[Any, Any, Any]]


class NotificationEntry:
    """What IoRegisterPlugPlayNotification hands back (the NotificationEntry)."""

    __slots__ = ("category", "class_guid", "driver", "callback", "context", "active")

    def __init__(self, category: int, class_guid: str, driver: DriverObject,
                 callback: NotificationCallback, context: Any) -> None:
        self.category = category
        self.class_guid = class_guid
        self.driver = driver
        self.callback = callback
        self.context = context
        self.active = True

    def __repr__(self) -> str:
        name = getattr(self.callback, "__name__", "callback")
        return f"<PnP notification {self.class_guid} -> {name} ({self.driver.name})>"


class DeviceInterfaces:
    """The PnP manager's interface database and its interface-change listeners."""

    def __init__(self, kernel: "Kernel") -> None:
        self.kernel = kernel
        self.interfaces: dict[str, DeviceInterface] = {}     # lower-case link -> interface
        self.entries: list[NotificationEntry] = []
        self._events: list[tuple[DeviceInterfaceChangeNotification, list[Any]]] = []
        self._worker: Any = None

    def lookup(self, symbolic_link: str) -> DeviceInterface | None:
        """The interface of a name (compared case-insensitively, §3.1)."""
        return self.interfaces.get(symbolic_link.lower())

    def of_class(self, class_guid: str) -> list[DeviceInterface]:
        """The interfaces of a class, in the order the registry enumerates them."""
        guid = guid_text(class_guid)
        return sorted((i for i in self.interfaces.values() if i.class_guid == guid),
                      key=lambda i: i.symbolic_link.lower())

    def of_devnode(self, node: Any) -> list[DeviceInterface]:
        return [i for i in self.interfaces.values() if i.node is node]

    # -- the event worker: listeners run later, at PASSIVE_LEVEL, in a System thread ----
    def announce(self, iface: DeviceInterface, event: str) -> None:
        listeners = [e for e in self.entries if e.active and e.class_guid == iface.class_guid
                     and e.category == EventCategoryDeviceInterfaceChange]
        if not listeners:
            return
        self._events.append((DeviceInterfaceChangeNotification(
            event, iface.class_guid, iface.symbolic_link), listeners))
        if self._worker is None or not self._worker.alive:
            self._worker = self.kernel.create_thread(self._deliver, name="PnpEventWorker",
                                                     process="System")

    def _deliver(self) -> Generator[Any, Any, None]:
        while self._events:
            notification, listeners = self._events.pop(0)
            buffer = _notification_block(self.kernel, notification)
            for entry in listeners:
                if entry.active:        # unregistered meanwhile: not called
                    yield from _call_listener(self.kernel, entry, notification)
            _free_notification(self.kernel, notification, buffer)


def _notification_block(kernel: "Kernel", notification: DeviceInterfaceChangeNotification
                        ) -> Any:
    """The structure the callbacks of one change share, in paged pool (the PnP manager's
    allocation, freed when the last callback returned, §3.3): the 40-byte
    DEVICE_INTERFACE_CHANGE_NOTIFICATION, then the UNICODE_STRING SymbolicLinkName points
    at, then its characters and a NUL. GUIDs are stored as C lays them out (Data1-3
    little-endian)."""
    text = notification.symbolic_link_name.encode("utf-16-le")
    size = NOTIFICATION_SIZE + 8 + len(text) + 2
    buffer = ex_allocate_pool_with_tag(kernel, PagedPool, size, PNP_NOTIFY_TAG)
    kernel.pool_blocks.blocks[buffer.address].owner = None      # ntoskrnl's, not a driver's
    base = buffer.address
    string = base + NOTIFICATION_SIZE
    buffer.write(notification.version.to_bytes(2, "little")
                 + notification.size.to_bytes(2, "little")
                 + guid_bytes(notification.event)
                 + guid_bytes(notification.interface_class_guid)
                 + string.to_bytes(4, "little")
                 + len(text).to_bytes(2, "little") + (len(text) + 2).to_bytes(2, "little")
                 + (string + 8).to_bytes(4, "little") + text + b"\0\0")
    notification.address = base
    return buffer


def _free_notification(kernel: "Kernel", notification: DeviceInterfaceChangeNotification,
                       buffer: Any) -> None:
    notification.address = 0
    ex_free_pool_with_tag(kernel, buffer.address, PNP_NOTIFY_TAG)


def guid_bytes(guid: str) -> bytes:
    """A GUID's 16 bytes as a C ``GUID`` holds them (Data1, Data2, Data3 little-endian,
    Data4 in order)."""
    return uuid.UUID(guid_text(guid)).bytes_le


def _call_listener(kernel: "Kernel", entry: NotificationEntry,
                   notification: DeviceInterfaceChangeNotification
                   ) -> Generator[Any, Any, None]:
    name = getattr(entry.callback, "__name__", "callback")
    kernel.hooks.service_call("PnpNotificationCallback", {
        "routine": name, "event": notification.event_name,
        "link": notification.symbolic_link_name})
    status = yield from entry.callback(notification, entry.context)
    kernel.hooks.service_return("PnpNotificationCallback", {"status": status})


def _interfaces(kernel: "Kernel") -> DeviceInterfaces:
    interfaces: DeviceInterfaces = kernel.pnp.interfaces
    return interfaces


def _devnode_of_pdo(kernel: "Kernel", device: Any) -> Any:
    """The devnode whose PDO ``device`` is, or None (an FDO, a deleted PDO, garbage)."""
    if not isinstance(device, DeviceObject) or device.doe_flags & DOE_DELETE_PENDING:
        return None
    node = device.device_extension.get("devnode")
    if node is None or node.pdo is not device or node not in kernel.pnp.devnodes:
        return None
    return node


def _invalid_pdo(kernel: "Kernel", device: Any, routine: str) -> NoReturn:
    """0xCA (0x2, the purported PDO, its driver object, 0): a PDO-only routine given
    something that is no PDO the PnP manager knows (§2.2; ReactOS and Wine return
    STATUS_INVALID_DEVICE_REQUEST instead: Windows' answer is modelled)."""
    driver = getattr(device, "driver_object", None)
    kernel.bug_check(BugCheckCode.PNP_DETECTED_FATAL_ERROR, INVALID_PDO,
                     kernel.objects.address_of(device), kernel.objects.address_of(driver), 0,
                     reason=f"{routine}: {getattr(device, 'label', device)} is not a PDO")


def _write_string(kernel: "Kernel", string: CountedString, text: str) -> None:
    """A new PagedPool buffer holding ``text`` and its NUL, described by ``string``;
    the caller frees it with RtlFreeUnicodeString. The tag is not documented: the Rtl
    string allocator's is used. The block is the kernel's, not the driver's, for
    Verifier's pool tracking (ntoskrnl made the allocation)."""
    data = text.encode("utf-16-le") + b"\0\0"
    buffer = ex_allocate_pool_with_tag(kernel, PagedPool, len(data), STRING_TAG)
    kernel.pool_blocks.blocks[buffer.address].owner = None
    buffer.write(data)
    string.length, string.maximum_length = len(data) - 2, len(data)
    string.buffer = buffer.address


def _registry_key(kernel: "Kernel", iface: DeviceInterface, enabled: bool | None) -> None:
    """DeviceClasses\\{guid}\\##?#<instance>#{guid} (DeviceInstance), its ``#<ref>``
    subkey (SymbolicLink, as user mode writes it) and, once it has been enabled, the
    volatile ``#<ref>\\Control`` key's Linked."""
    registry = kernel.registry
    base = f"{DEVICE_CLASSES}\\{iface.class_guid}\\{iface.key_name}"
    node = registry.ensure(base)
    registry.set_value(node, "DeviceInstance", REG_SZ,
                       (iface.node.instance_path + "\0").encode("utf-16-le"))
    ref = registry.ensure(f"{base}\\#{iface.reference}")
    link = "\\\\?\\" + iface.symbolic_link[4:]
    registry.set_value(ref, "SymbolicLink", REG_SZ, (link + "\0").encode("utf-16-le"))
    if enabled is not None:
        control = registry.ensure(f"{base}\\#{iface.reference}\\Control", volatile=True)
        registry.set_value(control, "Linked", REG_DWORD, int(enabled).to_bytes(4, "little"))


def io_register_device_interface(pdo: Any, class_guid: str, reference: str | None,
                                 symbolic_link_name: CountedString) -> int:
    """IoRegisterDeviceInterface(PDO, &ClassGuid, RefString, &SymbolicLinkName) (§3.1).

    The name goes into ``symbolic_link_name`` as a new PagedPool string (free it with
    RtlFreeUnicodeString); registering again gives the same name in a new string. The
    interface is disabled until IoSetDeviceInterfaceState. A device that is no PDO of a
    devnode is bug check 0xCA (0x2, ...); a reference string with '\\' or '/' is
    STATUS_INVALID_DEVICE_REQUEST.
    """
    kernel = pdo.kernel if isinstance(pdo, DeviceObject) else None
    if kernel is None:
        raise KernelUsageError("IoRegisterDeviceInterface needs a DEVICE_OBJECT")
    node = _devnode_of_pdo(kernel, pdo)
    if node is None:
        _invalid_pdo(kernel, pdo, "IoRegisterDeviceInterface")
    reference = reference or ""
    if "\\" in reference or "/" in reference:
        return NTSTATUS.STATUS_INVALID_DEVICE_REQUEST
    guid = guid_text(class_guid)
    name = "\\??\\" + node.instance_path.replace("\\", "#") + "#" + guid
    if reference:
        name += "\\" + reference
    table = _interfaces(kernel)
    iface = table.lookup(name)
    if iface is None:
        iface = table.interfaces[name.lower()] = DeviceInterface(guid, reference, pdo, node,
                                                                 name)
        _registry_key(kernel, iface, None)
    _write_string(kernel, symbolic_link_name, iface.symbolic_link)
    return NTSTATUS.STATUS_SUCCESS


def io_set_device_interface_state(kernel: "Kernel", symbolic_link_name: str,
                                  enable: bool) -> int:
    """IoSetDeviceInterfaceState(&SymbolicLinkName, Enable) (§3.2).

    Enable: the link ``\\??\\...`` -> the PDO's name and an arrival for the listeners;
    STATUS_OBJECT_NAME_EXISTS if it is enabled already. Before the stack has completed
    START the enable is held back (SUCCESS, no link yet). Disable: the link goes and a
    removal is announced; STATUS_OBJECT_NAME_NOT_FOUND if it was not enabled (a
    held-back enable is dropped, SUCCESS). A name never registered is
    STATUS_OBJECT_NAME_NOT_FOUND (as Wine checks it).
    """
    iface = _interfaces(kernel).lookup(symbolic_link_name)
    if iface is None:
        return NTSTATUS.STATUS_OBJECT_NAME_NOT_FOUND
    if enable:
        if iface.enabled:
            return NTSTATUS.STATUS_OBJECT_NAME_EXISTS
        if iface.pdo.doe_flags & DOE_START_PENDING:
            # PiDeferSetInterfaceState: queued once; a second enable meanwhile is not
            # an error (not documented; SUCCESS chosen, as for the first one)
            iface.deferred = True
            return NTSTATUS.STATUS_SUCCESS
        _enable(kernel, iface)
        return NTSTATUS.STATUS_SUCCESS
    if iface.deferred:                  # PiRemoveDeferredSetInterfaceState
        iface.deferred = False
        return NTSTATUS.STATUS_SUCCESS
    if not iface.enabled:
        return NTSTATUS.STATUS_OBJECT_NAME_NOT_FOUND
    _disable(kernel, iface)
    return NTSTATUS.STATUS_SUCCESS


def _sharing(kernel: "Kernel", iface: DeviceInterface) -> bool:
    """Is another enabled interface using the same link (another reference string)?"""
    return any(other is not iface and other.enabled and other.link_name == iface.link_name
               for other in _interfaces(kernel).of_devnode(iface.node))


def _enable(kernel: "Kernel", iface: DeviceInterface) -> None:
    if not _sharing(kernel, iface):    # the first of the name's reference strings
        assert iface.pdo.name is not None      # PnP PDOs are named (\Device\%08lx, §2.1)
        io_create_symbolic_link(kernel, iface.link_name, iface.pdo.name)
    iface.enabled, iface.deferred = True, False
    _registry_key(kernel, iface, True)
    _interfaces(kernel).announce(iface, GUID_DEVICE_INTERFACE_ARRIVAL)


def _disable(kernel: "Kernel", iface: DeviceInterface) -> None:
    if not _sharing(kernel, iface):    # the last one goes: so does the link
        io_delete_symbolic_link(kernel, iface.link_name)
    iface.enabled = False
    _registry_key(kernel, iface, False)
    _interfaces(kernel).announce(iface, GUID_DEVICE_INTERFACE_REMOVAL)


def iop_do_deferred_set_interface_state(kernel: "Kernel", node: Any) -> None:
    """START_DEVICE succeeded and DOE_START_PENDING is off the stack: the enables held
    back meanwhile happen now (§2.5 item 3), each announced."""
    for iface in sorted(_interfaces(kernel).of_devnode(node),
                        key=lambda i: i.symbolic_link.lower()):
        if iface.deferred:
            _enable(kernel, iface)


def iop_disable_device_interfaces(kernel: "Kernel", node: Any) -> None:
    """After REMOVE_DEVICE: the interfaces the driver left enabled are disabled by the
    PnP manager (§3.2), held-back enables forgotten. The registrations themselves stay
    (they are persistent, under DeviceClasses)."""
    for iface in sorted(_interfaces(kernel).of_devnode(node),
                        key=lambda i: i.symbolic_link.lower()):
        iface.deferred = False
        if iface.enabled:
            _disable(kernel, iface)


def io_get_device_interfaces(kernel: "Kernel", class_guid: str, pdo: Any = None,
                             flags: int = 0) -> tuple[int, list[str]]:
    """IoGetDeviceInterfaces(&ClassGuid, PDO, Flags, &SymbolicLinkList): the enabled
    interfaces of a class (of one PDO if given), with
    DEVICE_INTERFACE_INCLUDE_NONACTIVE the disabled ones of devnodes still present
    too; an empty list is still STATUS_SUCCESS. A PDO that is no PDO is 0xCA (0x2)."""
    if pdo is not None and _devnode_of_pdo(kernel, pdo) is None:
        _invalid_pdo(kernel, pdo, "IoGetDeviceInterfaces")
    out = []
    for iface in _interfaces(kernel).of_class(class_guid):
        if pdo is not None and iface.pdo is not pdo:
            continue
        if iface.enabled or (flags & DEVICE_INTERFACE_INCLUDE_NONACTIVE
                             and iface.node in kernel.pnp.devnodes):
            out.append(iface.symbolic_link)
    return NTSTATUS.STATUS_SUCCESS, out


def io_register_plug_play_notification(kernel: "Kernel", category: int, flags: int,
                                       class_guid: str, driver: DriverObject,
                                       callback: NotificationCallback, context: Any = None
                                       ) -> Generator[Any, Any, tuple[int, Any]]:
    """IoRegisterPlugPlayNotification(EventCategoryDeviceInterfaceChange, Flags,
    &ClassGuid, DriverObject, Callback, Context, &NotificationEntry) (§3.3):
    (status, entry). With PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES the
    callback is called for each enabled interface of the class before this returns.
    The other categories are not modelled."""
    if category != EventCategoryDeviceInterfaceChange:
        raise NotModelledError("IoRegisterPlugPlayNotification",
                               f"event category {category}: only "
                               "EventCategoryDeviceInterfaceChange (2) is modelled")
    entry = NotificationEntry(category, guid_text(class_guid), driver, callback, context)
    table = _interfaces(kernel)
    table.entries.append(entry)
    driver.references += 1              # ObReferenceObject(DriverObject)
    if flags & PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES:
        for iface in table.of_class(entry.class_guid):
            if iface.enabled and entry.active:
                notification = DeviceInterfaceChangeNotification(
                    GUID_DEVICE_INTERFACE_ARRIVAL, iface.class_guid, iface.symbolic_link)
                buffer = _notification_block(kernel, notification)
                yield from _call_listener(kernel, entry, notification)
                _free_notification(kernel, notification, buffer)
    return NTSTATUS.STATUS_SUCCESS, entry


def io_unregister_plug_play_notification_ex(kernel: "Kernel", entry: NotificationEntry
                                            ) -> int:
    """IoUnregisterPlugPlayNotificationEx(NotificationEntry) (and the older
    IoUnregisterPlugPlayNotification): no callback after it returns; the driver
    object's reference goes, so an image kept only by it is unmapped now. An entry
    removed twice is freed memory: what Windows does then is not modelled."""
    if not isinstance(entry, NotificationEntry) or not entry.active:
        raise NotModelledError("IoUnregisterPlugPlayNotificationEx",
                               f"{entry!r} is no active registration (removed twice?): "
                               "Windows would use freed memory")
    entry.active = False
    _interfaces(kernel).entries.remove(entry)
    entry.driver.references -= 1
    iop_release_image(entry.driver)
    return NTSTATUS.STATUS_SUCCESS
