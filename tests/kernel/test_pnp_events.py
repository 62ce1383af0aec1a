"""Rules of the PnP manager's later events (pnp-hardware §2.2, §2.5 item 3, §2.7, §2.9,
§2.10), one test each: IoInvalidateDeviceRelations / IoInvalidateDeviceState queued to
the PnP worker and collapsed, a device plugged in on the root enumerator's bus, the
device-state bits, a rebalance (and its veto), an eject."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from harness.kernel import (CM_PROB_FAILED_POST_START, CM_PROB_HELD_FOR_EJECT, DISPATCH_LEVEL,
                            DO_DEVICE_INITIALIZING, IRP_MJ, IRP_MN, NTSTATUS,
                            PNP_DEVICE_FAILED, PNP_DEVICE_REMOVED,
                            PNP_DEVICE_RESOURCE_REQUIREMENTS_CHANGED, BugCheckCode, BusRelations,
                            DevNode, DeviceCapabilities, Kernel, NotModelledError,
                            io_attach_device_to_device_stack, io_call_driver,
                            io_complete_request, io_create_device, io_create_driver,
                            io_delete_device, io_detach_device,
                            io_get_current_irp_stack_location, io_invalidate_device_relations,
                            io_invalidate_device_state, io_skip_current_irp_stack_location,
                            pnp_eject, pnp_plug_in, pnp_rebalance, pnp_start_devnode)

MN = IRP_MN
OK = NTSTATUS.STATUS_SUCCESS


class Fdo:
    """A function driver over root devnodes: records each PnP minor it sees (with the
    Information it arrived with) and passes it down, unless ``handlers[minor](irp)``
    returns a status to complete it with."""

    def __init__(self, kernel: Kernel, handlers: dict[int, Callable[[Any], Any]] | None = None,
                 name: str = "HelloWDM") -> None:
        self.kernel, self.handlers = kernel, handlers or {}
        self.seen: list[tuple[int, Any]] = []
        self.lower: dict[Any, Any] = {}
        self.driver = io_create_driver(kernel, f"\\Driver\\{name}")
        self.driver.add_device = self._add_device
        self.driver.major_function[IRP_MJ.IRP_MJ_PNP] = self._pnp

    def node(self, instance: str = "ROOT\\UNKNOWN\\0000", report: bool = True,
             **capabilities: bool) -> DevNode:
        node = DevNode(instance, ["PCI\\VEN_9999&DEV_9999"], "HelloWDM",
                       capabilities=DeviceCapabilities.declared(capabilities))
        if report:
            self.kernel.pnp.report_root_device(node)
        return node

    def _add_device(self, driver, pdo):
        _, fdo = io_create_device(driver, 0, None)
        self.lower[fdo] = io_attach_device_to_device_stack(fdo, pdo)
        fdo.flags &= ~DO_DEVICE_INITIALIZING
        return OK
        yield

    def minors(self) -> list[int]:
        return [minor for minor, _ in self.seen]

    def _pnp(self, device, irp):
        minor = io_get_current_irp_stack_location(irp).minor_function
        self.seen.append((minor, irp.io_status.information))
        lower = self.lower[device]
        handler = self.handlers.get(minor)
        status = handler(irp) if handler is not None else None
        if status is not None:                    # failed here, not passed down (§2.8)
            irp.io_status.status = status
            yield from io_complete_request(irp)
            return status
        if minor == MN.IRP_MN_REMOVE_DEVICE:
            irp.io_status.status = OK
            io_skip_current_irp_stack_location(irp)
            status = yield from io_call_driver(lower, irp)
            io_detach_device(lower)
            io_delete_device(device)
            return status
        io_skip_current_irp_stack_location(irp)
        return (yield from io_call_driver(lower, irp))

    def load(self, service):
        return self.driver
        yield


def run(kernel: Kernel, body: Any, *args: Any) -> Any:
    """``body(*args)`` in a System thread, the machine run to its end."""
    thread = kernel.create_thread(body, *args, name="PnpWorker", process="System")
    assert kernel.run() is None, str(kernel.bugcheck)
    return thread.exit_status


def started(kernel: Kernel, fdo: Fdo, **capabilities: bool) -> DevNode:
    node = fdo.node(**capabilities)
    run(kernel, pnp_start_devnode, kernel, node, fdo.load)
    assert node.state == "Started"
    fdo.seen.clear()
    return node


def after_call(kernel: Kernel, fdo: Fdo, call: Callable[[], Any]) -> list[int]:
    """Run ``call`` in a driver thread; the minors the FDO had seen when it returned."""
    when_returned: list[int] = []

    def body():
        call()
        when_returned.extend(fdo.minors())
        return None
        yield
    run(kernel, body)
    return when_returned


def test_2_2_invalidate_device_relations_queries_bus_relations_later_once():
    kernel = Kernel()
    fdo = Fdo(kernel)
    node = started(kernel, fdo)

    def twice():
        io_invalidate_device_relations(node.pdo, BusRelations)
        io_invalidate_device_relations(node.pdo, BusRelations)
    assert after_call(kernel, fdo, twice) == []          # asynchronous: nothing yet
    # the worker sent one query for the two calls (they collapsed)
    assert fdo.minors() == [MN.IRP_MN_QUERY_DEVICE_RELATIONS]


def test_2_2_invalidate_device_relations_of_an_fdo_is_bug_check_0xca_2():
    kernel = Kernel()
    fdo = Fdo(kernel)
    node = started(kernel, fdo)
    top = node.pdo.attached_device

    def body():
        io_invalidate_device_relations(top, BusRelations)
        return None
        yield
    kernel.create_thread(body, name="t", process="System")
    bugcheck = kernel.run()
    assert bugcheck.code == BugCheckCode.PNP_DETECTED_FATAL_ERROR and bugcheck.p1 == 0x2


def test_2_2_invalidate_other_relation_types_not_modelled():
    kernel = Kernel()
    fdo = Fdo(kernel)
    node = started(kernel, fdo)

    def body():
        io_invalidate_device_relations(node.pdo, 3)     # RemovalRelations
        return None
        yield
    kernel.create_thread(body, name="t", process="System")
    with pytest.raises(NotModelledError, match="RemovalRelations"):
        kernel.run()


def test_2_2_plug_in_root_enumerator_reports_the_new_pdo_and_it_starts():
    kernel = Kernel()
    fdo = Fdo(kernel)
    first = started(kernel, fdo)
    later = fdo.node("ROOT\\UNKNOWN\\0001", report=False)

    def body():
        pnp_plug_in(kernel, later, fdo.load)
        assert later.pdo is None                   # reported later, by the worker
        return None
        yield
    run(kernel, body)
    root = kernel.pnp.root_node
    assert later.state == "Started" and later in kernel.pnp.devnodes
    assert later.pdo.driver_object is kernel.pnp.root
    assert root.children == [first, later]          # the root's BusRelations answer
    assert MN.IRP_MN_START_DEVICE in fdo.minors()   # the new stack was started


def test_2_2_bus_relations_null_answer_keeps_the_children():
    kernel = Kernel()
    fdo = Fdo(kernel)
    node = started(kernel, fdo)
    node.children = [object()]                      # a child the bus reported earlier

    def body():
        io_invalidate_device_relations(node.pdo, BusRelations)
        return None
        yield
    run(kernel, body)
    # the root PDO leaves STATUS_NOT_SUPPORTED, Information NULL: no change
    assert len(node.children) == 1


def test_2_7_invalidate_device_state_queries_later_and_collapses():
    kernel = Kernel()
    fdo = Fdo(kernel)
    node = started(kernel, fdo)

    def three():
        for _ in range(3):
            io_invalidate_device_state(node.pdo)
    assert after_call(kernel, fdo, three) == []
    assert fdo.minors() == [MN.IRP_MN_QUERY_PNP_DEVICE_STATE]


def test_2_7_invalidate_device_state_above_dispatch_bug_checks():
    kernel = Kernel()
    fdo = Fdo(kernel)
    node = started(kernel, fdo)

    def body():
        kernel.raise_irql(DISPATCH_LEVEL + 1)
        io_invalidate_device_state(node.pdo)
        return None
        yield
    kernel.create_thread(body, name="t", process="System")
    assert kernel.run().code == BugCheckCode.IRQL_NOT_LESS_OR_EQUAL


def _report_bits(bits: int) -> Callable[[Any], None]:
    def handler(irp):
        irp.io_status.information |= bits           # edit, never overwrite (§2.7)
        irp.io_status.status = OK
        return None                                 # passed down: the PDO completes
    return handler


def test_2_7_device_failed_surprise_removes_with_problem_43():
    kernel = Kernel()
    fdo = Fdo(kernel, {MN.IRP_MN_QUERY_PNP_DEVICE_STATE: _report_bits(PNP_DEVICE_FAILED)})
    node = fdo.node()
    run(kernel, pnp_start_devnode, kernel, node, fdo.load)
    # the first start's query reports FAILED: SURPRISE_REMOVAL, then REMOVE (no handle)
    assert fdo.minors()[-3:] == [MN.IRP_MN_QUERY_PNP_DEVICE_STATE, MN.IRP_MN_SURPRISE_REMOVAL,
                                 MN.IRP_MN_REMOVE_DEVICE]
    assert MN.IRP_MN_QUERY_REMOVE_DEVICE not in fdo.minors()
    assert node.problem == CM_PROB_FAILED_POST_START
    assert node in kernel.pnp.devnodes and node.pdo.doe_flags == 0   # the PDO stays


def test_2_7_device_removed_bit_also_surprise_removes():
    kernel = Kernel()
    bits = {"now": 0}
    fdo = Fdo(kernel, {MN.IRP_MN_QUERY_PNP_DEVICE_STATE:
                       lambda irp: _report_bits(bits["now"])(irp)})
    node = started(kernel, fdo)
    bits["now"] = PNP_DEVICE_REMOVED

    def body():
        io_invalidate_device_state(node.pdo)
        return None
        yield
    run(kernel, body)
    assert fdo.minors() == [MN.IRP_MN_QUERY_PNP_DEVICE_STATE, MN.IRP_MN_SURPRISE_REMOVAL,
                            MN.IRP_MN_REMOVE_DEVICE]
    assert node.problem == CM_PROB_FAILED_POST_START


def test_2_7_unhandled_state_query_is_ignored():
    kernel = Kernel()
    fdo = Fdo(kernel)
    node = started(kernel, fdo)

    def body():
        io_invalidate_device_state(node.pdo)
        return None
        yield
    run(kernel, body)
    assert fdo.minors() == [MN.IRP_MN_QUERY_PNP_DEVICE_STATE]
    assert node.state == "Started" and node.problem == 0


def test_2_7_failed_with_requirements_changed_is_not_modelled():
    kernel = Kernel()
    fdo = Fdo(kernel, {MN.IRP_MN_QUERY_PNP_DEVICE_STATE: _report_bits(
        PNP_DEVICE_FAILED | PNP_DEVICE_RESOURCE_REQUIREMENTS_CHANGED)})
    node = fdo.node()
    kernel.create_thread(pnp_start_devnode, kernel, node, fdo.load, name="PnpWorker",
                         process="System")
    with pytest.raises(NotModelledError, match="RESOURCE_REQUIREMENTS_CHANGED"):
        kernel.run()


def test_2_9_rebalance_sends_query_stop_stop_then_start():
    kernel = Kernel()
    fdo = Fdo(kernel)
    node = started(kernel, fdo)
    assert run(kernel, pnp_rebalance, kernel, node) is True
    assert fdo.minors() == [MN.IRP_MN_QUERY_STOP_DEVICE, MN.IRP_MN_STOP_DEVICE,
                            MN.IRP_MN_START_DEVICE]
    assert node.state == "Started"


def test_2_5_3_no_query_pnp_device_state_after_a_restart_that_follows_stop():
    kernel = Kernel()
    fdo = Fdo(kernel)
    node = fdo.node()
    run(kernel, pnp_start_devnode, kernel, node, fdo.load)
    assert MN.IRP_MN_QUERY_PNP_DEVICE_STATE in fdo.minors()     # after the first start
    fdo.seen.clear()
    run(kernel, pnp_rebalance, kernel, node)
    assert MN.IRP_MN_START_DEVICE in fdo.minors()
    assert MN.IRP_MN_QUERY_PNP_DEVICE_STATE not in fdo.minors()


def test_2_9_failed_query_stop_sends_cancel_stop_and_the_device_stays_started():
    kernel = Kernel()
    fdo = Fdo(kernel, {MN.IRP_MN_QUERY_STOP_DEVICE: lambda irp: NTSTATUS.STATUS_UNSUCCESSFUL})
    node = started(kernel, fdo)
    assert run(kernel, pnp_rebalance, kernel, node) is False
    assert fdo.minors() == [MN.IRP_MN_QUERY_STOP_DEVICE, MN.IRP_MN_CANCEL_STOP_DEVICE]
    assert node.state == "Started"


def test_2_9_rebalance_holds_the_device_stopped_for_the_arbiters_time():
    kernel = Kernel()
    times: dict[str, int] = {}
    fdo = Fdo(kernel, {MN.IRP_MN_STOP_DEVICE: lambda irp: times.__setitem__("stop", kernel.now),
                       MN.IRP_MN_START_DEVICE: lambda irp: times.__setitem__("start",
                                                                             kernel.now)})
    node = started(kernel, fdo)
    times.clear()
    run(kernel, pnp_rebalance, kernel, node, 1_000_000)           # 100 ms
    # KeDelayExecutionThread: the wait ends on a clock tick at or after the interval
    assert 1_000_000 <= times["start"] - times["stop"] < 1_000_000 + kernel.clock_tick


def test_2_9_restart_failure_goes_the_surprise_removal_way():
    kernel = Kernel()
    starts = {"n": 0}

    def start(irp):
        starts["n"] += 1
        return None if starts["n"] == 1 else NTSTATUS.STATUS_UNSUCCESSFUL
    fdo = Fdo(kernel, {MN.IRP_MN_START_DEVICE: start})
    node = started(kernel, fdo)
    run(kernel, pnp_rebalance, kernel, node)
    assert fdo.minors()[-2:] == [MN.IRP_MN_SURPRISE_REMOVAL, MN.IRP_MN_REMOVE_DEVICE]


def test_2_10_eject_after_the_removal_when_eject_supported():
    kernel = Kernel()
    fdo = Fdo(kernel)
    node = started(kernel, fdo, EjectSupported=True, Removable=True)
    assert node.reported.EjectSupported                  # the post-start answer is kept
    pdo = node.pdo
    eject_seen_by_root: list[Any] = []
    root_dispatch = kernel.pnp.root.major_function[IRP_MJ.IRP_MJ_PNP]

    def spy(device, irp):
        eject_seen_by_root.append(io_get_current_irp_stack_location(irp).minor_function)
        return (yield from root_dispatch(device, irp))
    kernel.pnp.root.major_function[IRP_MJ.IRP_MJ_PNP] = spy
    assert run(kernel, pnp_eject, kernel, node) is True
    assert fdo.minors() == [MN.IRP_MN_QUERY_DEVICE_RELATIONS, MN.IRP_MN_QUERY_REMOVE_DEVICE,
                            MN.IRP_MN_REMOVE_DEVICE]
    # EJECT after REMOVE, to the PDO alone (the FDO is gone); the device leaves the tree
    assert eject_seen_by_root[-1] == MN.IRP_MN_EJECT
    assert node not in kernel.pnp.devnodes and pdo.doe_flags & 0x2      # PDO deleted


def test_2_10_no_eject_without_eject_supported_problem_47():
    kernel = Kernel()
    fdo = Fdo(kernel)
    node = started(kernel, fdo, Removable=True)
    assert run(kernel, pnp_eject, kernel, node) is False
    assert fdo.minors()[-1] == MN.IRP_MN_REMOVE_DEVICE
    assert node.problem == CM_PROB_HELD_FOR_EJECT and node in kernel.pnp.devnodes


def test_2_10_eject_vetoed_by_query_remove_sends_cancel_remove():
    kernel = Kernel()
    fdo = Fdo(kernel, {MN.IRP_MN_QUERY_REMOVE_DEVICE:
                       lambda irp: NTSTATUS.STATUS_UNSUCCESSFUL})
    node = started(kernel, fdo, EjectSupported=True)
    assert run(kernel, pnp_eject, kernel, node) is False
    assert fdo.minors()[-2:] == [MN.IRP_MN_QUERY_REMOVE_DEVICE,
                                 MN.IRP_MN_CANCEL_REMOVE_DEVICE]
    assert node.state == "Started"


def test_2_6_capabilities_preset_and_root_fill():
    caps = DeviceCapabilities.preset()
    assert (caps.Size, caps.Version, caps.Address, caps.UINumber) == \
        (0x40, 1, 0xFFFFFFFF, 0xFFFFFFFF)
    caps.fill(DeviceCapabilities.declared({"SurpriseRemovalOK": True}))
    assert caps.SurpriseRemovalOK and not caps.EjectSupported
    with pytest.raises(ValueError):
        DeviceCapabilities.declared({"Ejectable": True})
