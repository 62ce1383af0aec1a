"""Rules of device interfaces and interface-change notifications (pnp-hardware §3),
one test each: IoRegisterDeviceInterface, IoSetDeviceInterfaceState,
IoRegisterPlugPlayNotification / IoUnregisterPlugPlayNotificationEx,
IoGetDeviceInterfaces, and opens through an interface's link."""

from __future__ import annotations

from typing import Any

import pytest

from harness.kernel import (DEVICE_INTERFACE_INCLUDE_NONACTIVE, DO_DEVICE_INITIALIZING,
                            GUID_DEVICE_INTERFACE_ARRIVAL, GUID_DEVICE_INTERFACE_REMOVAL,
                            IRP_MJ, IRP_MN, NTSTATUS,
                            PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES, PASSIVE_LEVEL,
                            REG_DWORD, REG_SZ, BugCheckCode, Buffer, DevNode, DriverImage,
                            EventCategoryDeviceInterfaceChange, KernelMode, NotModelledError,
                            io_attach_device_to_device_stack, io_call_driver,
                            io_complete_request, io_create_device, io_create_driver,
                            io_get_device_interfaces, io_register_device_interface,
                            io_register_plug_play_notification, io_set_device_interface_state,
                            io_skip_current_irp_stack_location,
                            io_unregister_plug_play_notification_ex, nt_close, nt_create_file,
                            nt_load_driver, pnp_start_devnode, pnp_uninstall)
from harness.kernel import BugCheckHalt, guid_bytes
from harness.kernel.io.interface import PNP_NOTIFY_TAG
from harness.kernel.io.loader import iop_release_image
from harness.kernel.mm.pool import PagedPool
from harness.kernel.rtl import CountedString, rtl_free_unicode_string, string_text

OK = NTSTATUS.STATUS_SUCCESS
GUID = "{0E57C50F-0CCC-4AD2-A895-93C5ED119860}"
NAME = "\\??\\ROOT#UNKNOWN#0000#{0e57c50f-0ccc-4ad2-a895-93c5ed119860}"
CLASSES = ("\\Registry\\Machine\\System\\ControlSet001\\Control\\DeviceClasses\\"
           "{0e57c50f-0ccc-4ad2-a895-93c5ed119860}")
KEY = CLASSES + "\\##?#ROOT#UNKNOWN#0000#{0e57c50f-0ccc-4ad2-a895-93c5ed119860}"


def header(kernel) -> CountedString:
    """A UNICODE_STRING variable of the driver (8 bytes)."""
    return CountedString(Buffer.new(kernel.pool, 8))


class Wdm:
    """A root-enumerated devnode ROOT\\UNKNOWN\\0000 with a function driver: its
    AddDevice attaches an unnamed FDO and runs ``on_add(pdo)``; PnP IRPs are passed
    down (START handled bus-first is not needed: the root PDO completes it); CREATE and
    CLOSE complete and are recorded."""

    def __init__(self, kernel, on_add: Any = None) -> None:
        self.kernel = kernel
        self.on_add = on_add
        self.seen: list[tuple[str, Any]] = []        # (what, detail) in order
        self.driver = io_create_driver(kernel, "\\Driver\\HelloWDM")
        self.driver.add_device = self._add_device
        self.driver.major_function[IRP_MJ.IRP_MJ_PNP] = self._pnp
        for major in (IRP_MJ.IRP_MJ_CREATE, IRP_MJ.IRP_MJ_CLOSE, IRP_MJ.IRP_MJ_CLEANUP):
            self.driver.major_function[major] = self._complete
        self.node = DevNode("ROOT\\UNKNOWN\\0000", ["PCI\\VEN_9999&DEV_9999"], "HelloWDM")
        self.pdo = kernel.pnp.report_root_device(self.node)
        self.fdo = None

    def _add_device(self, driver, pdo):
        _, fdo = io_create_device(driver, 0, None)
        self.lower = io_attach_device_to_device_stack(fdo, pdo)
        fdo.flags &= ~DO_DEVICE_INITIALIZING
        self.fdo = fdo
        if self.on_add is not None:
            self.on_add(pdo)
        return OK
        yield

    def _pnp(self, device, irp):
        minor = irp.stack[irp.current_location - 1].minor_function
        self.seen.append(("pnp", IRP_MN(minor).name))
        if minor == IRP_MN.IRP_MN_START_DEVICE:
            self.seen.append(("link during START",
                              self.kernel.namespace.lookup(NAME, reparse=False) is not None))
        io_skip_current_irp_stack_location(irp)
        return (yield from io_call_driver(self.lower, irp))

    def _complete(self, device, irp):
        loc = irp.stack[irp.current_location - 1]
        self.seen.append((IRP_MJ(loc.major_function).name, loc.file_object))
        irp.io_status.status, irp.io_status.information = OK, 0
        yield from io_complete_request(irp)
        return OK

    def _load(self, service):
        return self.driver
        yield

    def start(self):
        return pnp_start_devnode(self.kernel, self.node, self._load)


def run(kernel, body, *args) -> Any:
    """``body(*args)`` in a System thread, the machine run to its end: the result."""
    thread = kernel.create_thread(body, *args, name="PnpWorker", process="System")
    assert kernel.run() is None, str(kernel.bugcheck)
    return thread.exit_status


def started(kernel, on_add=None) -> Wdm:
    wdm = Wdm(kernel, on_add)
    run(kernel, wdm.start)
    assert wdm.node.state == "Started"
    return wdm


def register(kernel, pdo, reference=None) -> CountedString:
    string = header(kernel)
    assert io_register_device_interface(pdo, GUID, reference, string) == OK
    return string


def gen_call(fn):
    def body(*args):
        return fn(*args)
        yield
    return body


# -- §3.1 IoRegisterDeviceInterface ------------------------------------------------------


def test_3_1_name_is_the_instance_path_with_hashes_and_the_lowercase_guid(kernel):
    """§3.1: \\??\\ + instance path ('\\' -> '#', its own case) + # + {guid} in lower
    case, in a new string: Length without, MaximumLength with the NUL."""
    wdm = started(kernel)
    string = register(kernel, wdm.pdo)
    assert string_text(kernel, string, True) == NAME
    assert (string.length, string.maximum_length) == (2 * len(NAME), 2 * len(NAME) + 2)


def test_3_1_the_name_is_paged_pool_the_caller_frees_with_rtl_free_unicode_string(kernel):
    """§3.1: the string is allocated for the caller (PagedPool), who frees it with
    RtlFreeUnicodeString; Verifier does not charge it to the driver (ntoskrnl's)."""
    wdm = started(kernel)
    string = register(kernel, wdm.pdo)
    block = kernel.pool_blocks.blocks[string.buffer]
    assert block.pool_type == 1 and not block.freed and block.owner is None
    rtl_free_unicode_string(kernel, string)
    assert block.freed and string.buffer == 0


def test_3_1_registering_again_gives_the_same_name_in_a_new_string(kernel):
    """§3.1: calling again returns the same name (one interface, a new allocation)."""
    wdm = started(kernel)
    first, second = register(kernel, wdm.pdo), register(kernel, wdm.pdo)
    assert string_text(kernel, first, True) == string_text(kernel, second, True)
    assert first.buffer != second.buffer
    assert len(kernel.pnp.interfaces.interfaces) == 1


def test_3_1_a_reference_string_follows_a_backslash(kernel):
    """§3.1: [\\RefString] after the GUID."""
    wdm = started(kernel)
    string = register(kernel, wdm.pdo, "Global")
    assert string_text(kernel, string, True) == NAME + "\\Global"


@pytest.mark.parametrize("reference", ["a\\b", "a/b"])
def test_3_1_a_reference_string_with_a_slash_is_invalid_device_request(kernel, reference):
    """§3.1: RefString must not contain '\\' or '/': STATUS_INVALID_DEVICE_REQUEST and
    no string."""
    wdm = started(kernel)
    string = header(kernel)
    status = io_register_device_interface(wdm.pdo, GUID, reference, string)
    assert status == NTSTATUS.STATUS_INVALID_DEVICE_REQUEST and string.buffer == 0


def test_3_1_an_fdo_is_not_a_pdo_0xca_0x2(kernel):
    """§3.1, §2.2: an FDO passed as the PDO is bug check 0xCA (0x2, the purported PDO,
    its driver object, 0) on Windows."""
    wdm = started(kernel)
    with pytest.raises(BugCheckHalt):
        io_register_device_interface(wdm.fdo, GUID, None, header(kernel))
    bc = kernel.bugcheck
    assert bc.code == BugCheckCode.PNP_DETECTED_FATAL_ERROR == 0xCA
    assert (bc.p1, bc.p2, bc.p3, bc.p4) == (0x2, kernel.objects.address_of(wdm.fdo),
                                            kernel.objects.address_of(wdm.driver), 0)


def test_3_1_a_registered_interface_is_disabled_and_has_no_link(kernel):
    """§3.1: registered, disabled until IoSetDeviceInterfaceState: no symbolic link."""
    wdm = started(kernel)
    register(kernel, wdm.pdo)
    iface = kernel.pnp.interfaces.lookup(NAME)
    assert not iface.enabled and not iface.deferred
    assert kernel.namespace.lookup(NAME, reparse=False) is None


def test_3_1_the_interface_is_kept_under_device_classes(kernel):
    """§3.1: Control\\DeviceClasses\\{guid}\\##?#<instance>#{guid} (DeviceInstance) and
    its #<RefString> key (SymbolicLink as user mode writes it), persistent."""
    wdm = started(kernel)
    register(kernel, wdm.pdo)
    snapshot = kernel.registry.snapshot(persistent=True)
    assert snapshot[KEY]["DeviceInstance"] == (REG_SZ, "ROOT\\UNKNOWN\\0000\0".encode("utf-16-le"))
    link = "\\\\?\\" + NAME[4:] + "\0"
    assert snapshot[KEY + "\\#"]["SymbolicLink"] == (REG_SZ, link.encode("utf-16-le"))


# -- §3.2 IoSetDeviceInterfaceState --------------------------------------------------------


def test_3_2_enabling_links_the_name_to_the_pdo(kernel):
    """§3.2: Enable = TRUE makes the link \\??\\ROOT#...#{guid} -> the PDO's
    \\Device\\xxxxxxxx name; Linked = 1 in the volatile Control key."""
    wdm = started(kernel)
    register(kernel, wdm.pdo)
    assert io_set_device_interface_state(kernel, NAME, True) == OK
    link = kernel.namespace.lookup(NAME, reparse=False)
    assert link.target == wdm.pdo.name == "\\Device\\00000000"
    assert kernel.namespace.lookup(NAME.lower()) is wdm.pdo        # case-insensitive
    assert kernel.registry.snapshot()[KEY + "\\#\\Control"]["Linked"] == (
        REG_DWORD, (1).to_bytes(4, "little"))
    assert KEY + "\\#\\Control" not in kernel.registry.snapshot(persistent=True)


def test_3_2_disabling_removes_the_link(kernel):
    """§3.2: Enable = FALSE removes the link; Linked = 0."""
    wdm = started(kernel)
    register(kernel, wdm.pdo)
    io_set_device_interface_state(kernel, NAME, True)
    assert io_set_device_interface_state(kernel, NAME, False) == OK
    assert kernel.namespace.lookup(NAME, reparse=False) is None
    assert kernel.registry.snapshot()[KEY + "\\#\\Control"]["Linked"] == (
        REG_DWORD, (0).to_bytes(4, "little"))


def test_3_2_enabling_twice_is_object_name_exists(kernel):
    """§3.2: enabling an enabled interface is the informational
    STATUS_OBJECT_NAME_EXISTS (NT_SUCCESS), the link unchanged."""
    wdm = started(kernel)
    register(kernel, wdm.pdo)
    io_set_device_interface_state(kernel, NAME, True)
    assert io_set_device_interface_state(kernel, NAME, True) == \
        NTSTATUS.STATUS_OBJECT_NAME_EXISTS == 0x40000000
    assert kernel.namespace.lookup(NAME) is wdm.pdo


def test_3_2_disabling_twice_is_object_name_not_found(kernel):
    """§3.2: disabling a disabled interface is STATUS_OBJECT_NAME_NOT_FOUND."""
    wdm = started(kernel)
    register(kernel, wdm.pdo)
    io_set_device_interface_state(kernel, NAME, True)
    io_set_device_interface_state(kernel, NAME, False)
    assert io_set_device_interface_state(kernel, NAME, False) == \
        NTSTATUS.STATUS_OBJECT_NAME_NOT_FOUND


def test_3_2_a_name_never_registered_is_object_name_not_found(kernel):
    """§3.2 (Wine's check): a name with no interface behind it."""
    started(kernel)
    assert io_set_device_interface_state(kernel, NAME, True) == \
        NTSTATUS.STATUS_OBJECT_NAME_NOT_FOUND


def test_3_2_enabling_in_add_device_is_held_back_until_start_completes(kernel):
    """§3.2, §2.5 item 3 (book #47): enabled in AddDevice, the call succeeds but there
    is no link while START_DEVICE is under way; the held-back enable happens once START
    has completed, before the post-start QUERY_CAPABILITIES."""
    statuses = []

    def on_add(pdo):
        register(kernel, pdo)
        statuses.append(io_set_device_interface_state(kernel, NAME, True))
        statuses.append(kernel.pnp.interfaces.lookup(NAME).deferred)
    wdm = started(kernel, on_add)
    assert statuses == [OK, True]
    assert ("link during START", False) in wdm.seen
    assert kernel.namespace.lookup(NAME) is wdm.pdo
    assert kernel.pnp.interfaces.lookup(NAME).enabled


def test_3_2_disabling_a_held_back_enable_drops_it(kernel):
    """§3.2 (PiRemoveDeferredSetInterfaceState): a disable before START forgets the
    queued enable (SUCCESS); no link after START."""
    def on_add(pdo):
        register(kernel, pdo)
        io_set_device_interface_state(kernel, NAME, True)
        assert io_set_device_interface_state(kernel, NAME, False) == OK
    started(kernel, on_add)
    assert kernel.namespace.lookup(NAME, reparse=False) is None


def test_3_2_opens_fail_with_no_such_device_until_start_completes(kernel):
    """§3.2, §3.4: the stack carries DOE_START_PENDING (passed up by the attach) until
    START completes: IopCheckDeviceAndDriver fails the open with
    STATUS_NO_SUCH_DEVICE; after START it reaches the FDO."""
    wdm = Wdm(kernel)

    def early():
        yield from wdm.driver.add_device(wdm.driver, wdm.pdo)
        status, file = yield from nt_create_file(kernel, wdm.pdo.name, True, KernelMode)
        return status, file
    status, file = run(kernel, early)
    assert (status, file) == (NTSTATUS.STATUS_NO_SUCH_DEVICE, None)
    assert not [s for s in wdm.seen if s[0] == "IRP_MJ_CREATE"]


def test_3_2_the_pnp_manager_disables_what_the_driver_left_enabled_at_remove(kernel):
    """§3.2: a driver that never disables its interface: the PnP manager does it when
    the device is removed (the link goes, a removal is announced)."""
    wdm = started(kernel)
    register(kernel, wdm.pdo)
    io_set_device_interface_state(kernel, NAME, True)
    assert run(kernel, pnp_uninstall, kernel, wdm.node) is True
    assert kernel.namespace.lookup(NAME, reparse=False) is None
    assert not kernel.pnp.interfaces.lookup(NAME).enabled


# -- §3.3 IoRegisterPlugPlayNotification -----------------------------------------------------


class Listener:
    def __init__(self, kernel) -> None:
        self.kernel = kernel
        self.calls: list[tuple] = []

    def callback(self, notification, context):
        thread = self.kernel.current_thread
        self.calls.append((notification.event, notification.symbolic_link_name, context,
                           self.kernel.cpu.irql, thread.name, thread.process,
                           notification.version))
        return OK
        yield


def subscribe(kernel, listener, driver, flags=0, context="ctx"):
    status, entry = yield from io_register_plug_play_notification(
        kernel, EventCategoryDeviceInterfaceChange, flags, GUID, driver, listener.callback,
        context)
    assert status == OK
    return entry


def test_3_3_an_arrival_is_announced_later_at_passive_in_a_system_thread(kernel):
    """§3.3: the callback gets GUID_DEVICE_INTERFACE_ARRIVAL with the link name and its
    Context, at PASSIVE_LEVEL in the PnP event worker (a System thread) - after
    IoSetDeviceInterfaceState returned, not inside it."""
    wdm = started(kernel)
    listener = Listener(kernel)
    register(kernel, wdm.pdo)
    inside = []

    def body():
        yield from subscribe(kernel, listener, wdm.driver)
        io_set_device_interface_state(kernel, NAME, True)
        inside.append(list(listener.calls))
    run(kernel, body)
    assert inside == [[]]
    assert listener.calls == [(GUID_DEVICE_INTERFACE_ARRIVAL, NAME, "ctx", PASSIVE_LEVEL,
                               "PnpEventWorker", "System", 1)]


def test_3_3_a_removal_is_announced_when_the_interface_is_disabled(kernel):
    """§3.2, §3.3: disabling announces GUID_DEVICE_INTERFACE_REMOVAL."""
    wdm = started(kernel)
    listener = Listener(kernel)
    register(kernel, wdm.pdo)

    def body():
        yield from subscribe(kernel, listener, wdm.driver)
        io_set_device_interface_state(kernel, NAME, True)
        io_set_device_interface_state(kernel, NAME, False)
    run(kernel, body)
    assert [c[0] for c in listener.calls] == [GUID_DEVICE_INTERFACE_ARRIVAL,
                                              GUID_DEVICE_INTERFACE_REMOVAL]


def test_3_3_a_held_back_arrival_comes_after_start(kernel):
    """§3.2: an enable done in AddDevice is announced only after START completed."""
    listener = Listener(kernel)
    wdm = Wdm(kernel, lambda pdo: (register(kernel, pdo),
                                   io_set_device_interface_state(kernel, NAME, True)))

    def body():
        yield from subscribe(kernel, listener, wdm.driver)
        yield from wdm.start()
        return wdm.node.state
    assert run(kernel, body) == "Started"
    assert [c[0] for c in listener.calls] == [GUID_DEVICE_INTERFACE_ARRIVAL]


def test_3_3_include_existing_reports_enabled_interfaces_before_returning(kernel):
    """§3.3: PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES: an arrival for each
    enabled interface of the class, once (this model's choice), in the registering
    thread before the registration returns; a disabled one is not reported."""
    wdm = started(kernel)
    register(kernel, wdm.pdo)
    register(kernel, wdm.pdo, "off")
    io_set_device_interface_state(kernel, NAME, True)
    listener = Listener(kernel)
    seen = []

    def body():
        yield from subscribe(kernel, listener, wdm.driver,
                             PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES)
        seen.append(list(listener.calls))
    run(kernel, body)
    assert len(seen[0]) == 1 and seen[0][0][:2] == (GUID_DEVICE_INTERFACE_ARRIVAL, NAME)
    assert seen[0][0][4] == "PnpWorker"           # the caller's thread
    assert len(listener.calls) == 1


def test_3_3_an_unregistered_listener_is_not_called(kernel):
    """§3.3: after IoUnregisterPlugPlayNotificationEx no callback comes, not even for a
    change announced before it but not yet delivered."""
    wdm = started(kernel)
    register(kernel, wdm.pdo)
    listener = Listener(kernel)

    def body():
        entry = yield from subscribe(kernel, listener, wdm.driver)
        io_set_device_interface_state(kernel, NAME, True)
        assert io_unregister_plug_play_notification_ex(kernel, entry) == OK
    run(kernel, body)
    assert listener.calls == []


def test_3_3_unregistering_twice_is_not_modelled(kernel):
    """§3.3: the entry is freed by the first call; a second one is not modelled."""
    wdm = started(kernel)
    listener = Listener(kernel)

    def body():
        entry = yield from subscribe(kernel, listener, wdm.driver)
        io_unregister_plug_play_notification_ex(kernel, entry)
        with pytest.raises(NotModelledError):
            io_unregister_plug_play_notification_ex(kernel, entry)
    run(kernel, body)


def test_3_3_other_event_categories_are_not_modelled(kernel):
    """Only EventCategoryDeviceInterfaceChange is modelled: the others say so."""
    driver = io_create_driver(kernel, "\\Driver\\X")
    listener = Listener(kernel)
    with pytest.raises(NotModelledError):
        next(io_register_plug_play_notification(kernel, 3, 0, GUID, driver,
                                                listener.callback))


def test_3_3_a_registration_keeps_the_image_mapped_until_removed(kernel):
    """§3.3: the registration references the driver object: an unloaded driver's image
    stays mapped while it is there and goes when it is removed."""
    image = DriverImage("Listener", lambda driver, path: gen_call(lambda: OK)())
    assert run(kernel, nt_load_driver, kernel, image) == OK
    driver = image.driver
    listener = Listener(kernel)
    entries = []

    def body():
        entries.append((yield from subscribe(kernel, listener, driver)))
    run(kernel, body)
    driver.temporary = True                      # DriverUnload ran, the name is gone
    iop_release_image(driver)
    assert image.mapped
    io_unregister_plug_play_notification_ex(kernel, entries[0])
    assert image.unloaded


# -- §3.4 opening through an interface; IoGetDeviceInterfaces ----------------------------------


def test_3_4_create_on_the_interface_reaches_the_top_of_the_stack(kernel):
    """§3.4: NtCreateFile(\\??\\root#unknown#...) - any case - resolves the link to the
    PDO and sends IRP_MJ_CREATE to the top of its stack (the unnamed FDO);
    FileObject->DeviceObject is the PDO, FileName empty."""
    wdm = started(kernel)
    register(kernel, wdm.pdo)
    io_set_device_interface_state(kernel, NAME, True)

    def body():
        status, file = yield from nt_create_file(kernel, NAME.lower(), True, KernelMode)
        yield from nt_close(file)
        return status, file
    status, file = run(kernel, body)
    assert status == OK
    assert [s[0] for s in wdm.seen if s[0].startswith("IRP_MJ")] == [
        "IRP_MJ_CREATE", "IRP_MJ_CLEANUP", "IRP_MJ_CLOSE"]
    assert file.device_object is wdm.pdo and file.file_name == ""
    assert wdm.fdo.name is None


def test_3_4_a_reference_string_is_the_file_name_the_driver_sees(kernel):
    """§3.4: the link is the name without the reference string, which an open passes
    on: FileObject->FileName = \\RefString; two reference strings share the link until
    the last is disabled."""
    wdm = started(kernel)
    register(kernel, wdm.pdo, "one")
    register(kernel, wdm.pdo, "two")
    io_set_device_interface_state(kernel, NAME + "\\one", True)
    io_set_device_interface_state(kernel, NAME + "\\two", True)

    def body():
        status, file = yield from nt_create_file(kernel, NAME + "\\two", True, KernelMode)
        yield from nt_close(file)
        return file
    assert run(kernel, body).file_name == "\\two"
    io_set_device_interface_state(kernel, NAME + "\\one", False)
    assert kernel.namespace.lookup(NAME) is wdm.pdo
    io_set_device_interface_state(kernel, NAME + "\\two", False)
    assert kernel.namespace.lookup(NAME, reparse=False) is None


def test_3_4_a_disabled_interface_cannot_be_opened(kernel):
    """§3.4: no link, so the open is STATUS_OBJECT_NAME_NOT_FOUND (ERROR_FILE_NOT_FOUND)."""
    wdm = started(kernel)
    register(kernel, wdm.pdo)

    def body():
        return (yield from nt_create_file(kernel, NAME, True, KernelMode))
    assert run(kernel, body) == (NTSTATUS.STATUS_OBJECT_NAME_NOT_FOUND, None)


def test_3_4_io_get_device_interfaces_lists_the_enabled_ones(kernel):
    """IoGetDeviceInterfaces: the enabled interfaces of the class; with
    DEVICE_INTERFACE_INCLUDE_NONACTIVE the disabled ones too; none is still SUCCESS."""
    wdm = started(kernel)
    register(kernel, wdm.pdo)
    register(kernel, wdm.pdo, "two")
    io_set_device_interface_state(kernel, NAME, True)
    assert io_get_device_interfaces(kernel, GUID) == (OK, [NAME])
    assert io_get_device_interfaces(kernel, GUID, wdm.pdo,
                                    DEVICE_INTERFACE_INCLUDE_NONACTIVE) == (
        OK, [NAME, NAME + "\\two"])
    assert io_get_device_interfaces(kernel, "{00000000-0000-0000-0000-000000000001}") == \
        (OK, [])


# -- §3.3 the structure the callbacks get ------------------------------------------------------


def test_3_3_the_notification_structure_is_in_paged_pool_while_the_callback_runs(kernel):
    """§3.3: the callback's DEVICE_INTERFACE_CHANGE_NOTIFICATION lies in a PagedPool block
    of the PnP manager (tag 'NPnP'): Version 1, Size 40, Event and InterfaceClassGuid as C
    GUIDs, SymbolicLinkName pointing at a UNICODE_STRING of the link right after it;
    freed once the callback returned."""
    wdm = started(kernel)
    register(kernel, wdm.pdo)
    seen = []

    def callback(notification, context):
        block = kernel.pool_blocks.containing(notification.address)
        data = block.buffer.read(notification.address - block.buffer.address, 48)
        string = int.from_bytes(data[36:40], "little")
        length, buffer = int.from_bytes(data[40:42], "little"), int.from_bytes(data[44:48],
                                                                               "little")
        text = kernel.pool_blocks.containing(buffer).buffer.read(
            buffer - block.buffer.address, length).decode("utf-16-le")
        seen.append((block.pool_type, block.tag, block.owner, data[:4], data[4:20],
                     data[20:36], string - notification.address, text, notification.address))
        return OK
        yield

    def body():
        yield from io_register_plug_play_notification(
            kernel, EventCategoryDeviceInterfaceChange, 0, GUID, wdm.driver, callback)
        io_set_device_interface_state(kernel, NAME, True)
    run(kernel, body)
    (pool_type, tag, owner, head, event, klass, offset, text, address), = seen
    assert (pool_type, tag, owner) == (PagedPool, PNP_NOTIFY_TAG, None)
    assert head == (1).to_bytes(2, "little") + (40).to_bytes(2, "little")
    assert event == guid_bytes(GUID_DEVICE_INTERFACE_ARRIVAL) and klass == guid_bytes(GUID)
    assert (offset, text) == (40, NAME)
    assert kernel.pool_blocks.containing(address) is None          # freed afterwards


def test_3_3_include_existing_gets_a_structure_of_its_own(kernel):
    """§3.3: an existing interface reported before the registration returns comes in a
    structure too, freed before IoRegisterPlugPlayNotification returns."""
    wdm = started(kernel)
    register(kernel, wdm.pdo)
    io_set_device_interface_state(kernel, NAME, True)
    addresses = []

    def callback(notification, context):
        addresses.append(notification.address)
        assert kernel.pool_blocks.containing(notification.address) is not None
        return OK
        yield

    def body():
        yield from io_register_plug_play_notification(
            kernel, EventCategoryDeviceInterfaceChange,
            PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES, GUID, wdm.driver, callback)
        addresses.append(kernel.pool_blocks.containing(addresses[0]))
    run(kernel, body)
    assert addresses[0] != 0 and addresses[1] is None
