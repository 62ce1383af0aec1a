"""Rules of interrupts: IoConnectInterrupt, the ISR and shared chains, interrupt storms,
KeSynchronizeExecution, the DpcForIsr and IoDisconnectInterrupt (pnp-hardware §5.1-§5.6)."""

from __future__ import annotations

from harness.kernel import (DISPATCH_LEVEL, NTSTATUS, PASSIVE_LEVEL, BugCheckCode,
                            HardwareDevice, Kernel, Latched, LevelSensitive, Register,
                            io_connect_interrupt, io_create_device, io_create_driver,
                            io_disconnect_interrupt, io_initialize_dpc_request, io_request_dpc,
                            ke_acquire_spin_lock, ke_initialize_spin_lock, ke_release_spin_lock,
                            ke_stall_execution_processor, ke_synchronize_execution)
from harness.kernel.ke.interrupt import STORM_DELIVERIES

SUCCESS = NTSTATUS.STATUS_SUCCESS
INVALID_PARAMETER = NTSTATUS.STATUS_INVALID_PARAMETER
DIRQL = 5
US = 10          # hns per microsecond


def uart(kernel, name="Uart", mode=LevelSensitive, shared=False, irql=DIRQL):
    """A device with a w1c STATUS register (the level line's cause) and a DATA register."""
    device = HardwareDevice(name, {"STATUS": Register("STATUS", 1, 0, w1c=True),
                                   "DATA": Register("DATA", 1)},
                            {"vector": 0x3B, "irql": irql, "mode": mode, "shared": shared,
                             "cause": "STATUS"})
    kernel.hardware[name] = device
    return device


def at(kernel, hns, action):
    """A device event at ``hns`` (scheduled as the scenario's hardware: events are)."""
    kernel.call_later(hns, action, urgent=True)


def acknowledging_isr(device, log, name="Isr", request_dpc_on=None):
    """An ISR that claims its device's interrupt: reads STATUS, writes it back (w1c)."""
    def isr(interrupt, context):
        kernel = interrupt.kernel
        status = device.read("STATUS")
        cpu = kernel.cpu
        log.append((name, kernel.now, cpu.index, cpu.irql, cpu.context,
                    kernel.current_thread.name, interrupt.lock.owner is cpu))
        if not status:
            return False
        device.write("STATUS", status)
        if request_dpc_on is not None:
            io_request_dpc(request_dpc_on, f"irp@{kernel.now}", f"ctx@{kernel.now}")
        return True
        yield  # pragma: no cover
    isr.__name__ = name
    return isr


def recording_isr(log, name, claims):
    """An ISR that only records its call and returns ``claims`` (it silences nothing)."""
    def isr(interrupt, context):
        log.append(name)
        return claims
        yield  # pragma: no cover
    isr.__name__ = name
    return isr


def new_device_object(kernel, name="\\Device\\Isr"):
    status, device = io_create_device(io_create_driver(kernel, "IsrDrv"), 0, name)
    assert status == SUCCESS
    return device


# -- 5.1 IoConnectInterrupt -----------------------------------------------------------------

def test_synchronize_irql_below_dirql_is_invalid_parameter(kernel):
    """pnp-hardware 5.1: SynchronizeIrql must be >= the DIRQL; below it IoConnectInterrupt
    fails with STATUS_INVALID_PARAMETER and connects nothing; equal or above succeeds."""
    device = uart(kernel)
    isr = recording_isr([], "Isr", True)
    assert io_connect_interrupt(kernel, isr, None, device.line,
                                synchronize_irql=DIRQL - 1) == (INVALID_PARAMETER, None)
    assert device.line.connected == []
    status, interrupt = io_connect_interrupt(kernel, isr, None, device.line,
                                             synchronize_irql=DIRQL + 1)
    assert status == SUCCESS
    assert (interrupt.irql, interrupt.synchronize_irql) == (DIRQL, DIRQL + 1)
    status, default = io_connect_interrupt(kernel, isr, None, uart(kernel, "Other").line)
    assert status == SUCCESS and default.synchronize_irql == DIRQL


def test_second_connect_on_unshared_line_is_invalid_parameter_on_shared_line_succeeds(kernel):
    """pnp-hardware 5.1: a vector already connected by an object that is not shareable
    gives STATUS_INVALID_PARAMETER; on a shared line (ShareVector) a second object joins
    the chain after the first."""
    a, b = recording_isr([], "A", True), recording_isr([], "B", True)
    exclusive = uart(kernel, "Exclusive").line
    status, first = io_connect_interrupt(kernel, a, None, exclusive)
    assert status == SUCCESS
    assert io_connect_interrupt(kernel, b, None, exclusive) == (INVALID_PARAMETER, None)
    assert exclusive.connected == [first]

    shared = uart(kernel, "Shared", shared=True).line
    (status_a, ia), (status_b, ib) = (io_connect_interrupt(kernel, a, None, shared),
                                      io_connect_interrupt(kernel, b, None, shared))
    assert (status_a, status_b) == (SUCCESS, SUCCESS)
    assert shared.connected == [ia, ib]


def test_connect_after_an_unshared_connect_on_a_shared_line_is_invalid_parameter(kernel):
    """pnp-hardware 5.1: the check is on the object already connected: a shareable line
    connected once WITHOUT ShareVector takes no second object, even one asking to share."""
    line = uart(kernel, shared=True).line
    status, first = io_connect_interrupt(kernel, recording_isr([], "A", True), None, line,
                                         share=False)
    assert status == SUCCESS
    assert io_connect_interrupt(kernel, recording_isr([], "B", True), None, line,
                                share=True) == (INVALID_PARAMETER, None)
    assert line.connected == [first]


def test_connect_to_an_asserted_line_runs_the_isr_at_once(kernel, spawn):
    """pnp-hardware 5.1: the ISR can be called before IoConnectInterrupt's caller goes on
    when the device already asserts its line: it runs at the connect's instant."""
    device = uart(kernel)
    device.set("STATUS", 1)                 # asserting before anyone is connected
    log = []

    def start_device():
        yield from ke_stall_execution_processor(kernel, 7)
        status, _interrupt = io_connect_interrupt(kernel, acknowledging_isr(device, log),
                                                  None, device.line)
        log.append(("connected", status, kernel.now))

    spawn(start_device, name="Start")
    assert kernel.run() is None
    assert [entry[:2] for entry in log] == [("connected", SUCCESS), ("Isr", 7 * US)]
    assert log[0][2] == 7 * US
    assert device.read("STATUS") == 0


# -- 5.2 The ISR and shared chains ----------------------------------------------------------

def test_isr_runs_at_synchronize_irql_preempting_a_stall_at_dispatch_and_its_dpc_waits(
        recorder):
    """pnp-hardware 5.2, 5.5: the ISR runs on the CPU that takes the interrupt (CPU 0), in
    whatever thread runs there - here one stalling under a spin lock at DISPATCH_LEVEL,
    which it preempts - at the object's SynchronizeIrql, in isr context, holding the
    interrupt spin lock. The DpcForIsr it queues runs on that CPU only when the thread
    lowers IRQL below DISPATCH_LEVEL (the spin lock's release)."""
    kernel = Kernel(cpus=2, instruments=[recorder])
    device = uart(kernel)
    device_object = new_device_object(kernel)
    lock = ke_initialize_spin_lock(kernel, "L")
    log = []

    def dpc_for_isr(dpc, context, irp, ctx):
        cpu = kernel.cpu
        log.append(("DpcForIsr", kernel.now, cpu.index, cpu.irql, cpu.context,
                    kernel.current_thread.name, context is device_object, irp, ctx))
        yield from ()

    io_initialize_dpc_request(device_object, dpc_for_isr)
    status, _ = io_connect_interrupt(kernel, acknowledging_isr(device, log,
                                                               request_dpc_on=device_object),
                                     None, device.line, synchronize_irql=DIRQL + 1)
    assert status == SUCCESS

    def holder():
        old = ke_acquire_spin_lock(lock)
        yield from ke_stall_execution_processor(kernel, 100)
        log.append(("release", kernel.now))
        ke_release_spin_lock(lock, old)

    def uart_hardware():            # the device, driven from CPU 1
        yield from ke_stall_execution_processor(kernel, 30)
        device.set("STATUS", 1)

    kernel.create_thread(holder, name="Holder", cpu=0)
    kernel.create_thread(uart_hardware, name="Hardware", cpu=1)
    assert kernel.run() is None
    assert log == [
        ("Isr", 30 * US, 0, DIRQL + 1, "isr", "Holder", True),
        ("release", 100 * US),
        ("DpcForIsr", 100 * US, 0, DISPATCH_LEVEL, "dpc", "Holder", True,
         f"irp@{30 * US}", f"ctx@{30 * US}"),
    ]


def test_shared_level_sensitive_chain_stops_at_the_first_isr_returning_true(kernel):
    """pnp-hardware 5.2: on a shared level-sensitive line the ISRs are called in
    connection order and the pass stops at the first that claims the interrupt."""
    device = uart(kernel, shared=True)
    calls = []
    not_mine = recording_isr(calls, "NotMine", False)
    mine = acknowledging_isr(device, calls, "Mine")
    after = recording_isr(calls, "After", True)
    for isr in (not_mine, mine, after):
        assert io_connect_interrupt(kernel, isr, None, device.line)[0] == SUCCESS
    at(kernel, 10 * US, lambda: device.set("STATUS", 1))
    assert kernel.run() is None
    assert [call if isinstance(call, str) else call[0] for call in calls] == ["NotMine", "Mine"]


def test_latched_chain_calls_every_isr(kernel):
    """pnp-hardware 5.2: on a shared latched (edge) line every ISR of the chain is called,
    claimed or not, once for the edge."""
    device = uart(kernel, mode=Latched, shared=True)
    calls = []
    for name, claims in (("First", True), ("Second", True), ("Third", False)):
        isr = recording_isr(calls, name, claims)
        assert io_connect_interrupt(kernel, isr, None, device.line)[0] == SUCCESS
    at(kernel, 10 * US, device.interrupt)
    assert kernel.run() is None
    assert calls == ["First", "Second", "Third"]


def test_latched_edge_arriving_while_one_is_pending_merges_into_one_delivery(kernel):
    """pnp-hardware 5.7 (5.2's latched line): each edge latches one pending request; an
    edge that arrives while one is still pending merges with it - one ISR call. A later
    edge, after the CPU took the first, is a delivery of its own."""
    device = uart(kernel, mode=Latched)
    calls = []
    io_connect_interrupt(kernel, recording_isr(calls, "Isr", True), None, device.line)

    def two_edges():
        device.interrupt()
        device.interrupt()          # still pending: merges
        calls.append(("edges", kernel.now))

    at(kernel, 10 * US, two_edges)
    at(kernel, 20 * US, device.interrupt)
    assert kernel.run() is None
    assert calls == [("edges", 10 * US), "Isr", "Isr"]
    assert not device.line.pending


def test_isr_returning_false_on_a_still_asserted_line_is_an_interrupt_storm(kernel):
    """pnp-hardware 5.2, 5.3: a level-sensitive line nobody silences is re-taken at once;
    an ISR returning FALSE for its own still-asserting device storms: 0xF2
    HARDWARE_INTERRUPT_STORM after STORM_DELIVERIES deliveries, all at one instant."""
    device = uart(kernel)
    calls = []

    def lazy_isr(interrupt, context):
        calls.append(interrupt.kernel.now)
        return False            # its device did interrupt, but it says no and clears nothing
        yield  # pragma: no cover

    io_connect_interrupt(kernel, lazy_isr, None, device.line)
    at(kernel, 10 * US, lambda: device.set("STATUS", 1))
    bugcheck = kernel.run()
    assert bugcheck is not None and bugcheck.code == BugCheckCode.HARDWARE_INTERRUPT_STORM
    assert len(calls) == STORM_DELIVERIES
    assert set(calls) == {10 * US}
    assert bugcheck.time == 10 * US


# -- 5.3 Interrupt storms -------------------------------------------------------------------

def _storm(chained):
    """Run a storm on a level line; return (kernel, bug check, first object, its context)."""
    kernel = Kernel()
    device = uart(kernel, shared=chained)
    first_context = {"device": "first"}
    status, first = io_connect_interrupt(kernel, recording_isr([], "First", False),
                                         first_context, device.line)
    assert status == SUCCESS
    if chained:                 # the culprit is the second: it claims without clearing
        status, _ = io_connect_interrupt(kernel, recording_isr([], "Culprit", True),
                                         {"device": "culprit"}, device.line)
        assert status == SUCCESS
    at(kernel, 10 * US, lambda: device.set("STATUS", 1))
    return kernel, kernel.run(), first, first_context


def test_storm_parameters_name_the_first_isr_and_p4_tells_chained():
    """pnp-hardware 5.3: 0xF2's Parameter1 = the ISR (the FIRST ISR of a chain, not
    necessarily the culprit), Parameter2 = its context, Parameter3 = the interrupt
    object, Parameter4 = 1 not chained, 2 chained."""
    for chained, p4 in ((False, 1), (True, 2)):
        kernel, bugcheck, first, context = _storm(chained)
        assert bugcheck is not None and bugcheck.code == BugCheckCode.HARDWARE_INTERRUPT_STORM
        assert (bugcheck.p1, bugcheck.p2, bugcheck.p3, bugcheck.p4) == (
            kernel.routine_address(first.service_routine), kernel.objects.address_of(context),
            kernel.objects.address_of(first), p4)


# -- 5.4 KeSynchronizeExecution -------------------------------------------------------------

def test_synchronize_execution_runs_the_routine_at_synchronize_irql_and_returns_its_boolean(
        kernel, call):
    """pnp-hardware 5.4: KeSynchronizeExecution raises to the interrupt's SynchronizeIrql,
    holds its spin lock, calls SynchCritSection(Context) and returns its BOOLEAN (TRUE
    as 1), back at the caller's IRQL. An interrupt the routine causes is held off while
    it runs and taken as the IRQL drops (5.7), in the caller's thread, before the call
    returns."""
    device = uart(kernel)
    log = []
    _, interrupt = io_connect_interrupt(kernel, acknowledging_isr(device, log), None,
                                        device.line, synchronize_irql=DIRQL + 2)

    def synch_crit_section(context):
        cpu = kernel.cpu
        log.append(("synch", context, cpu.irql, cpu.context, interrupt.lock.owner is cpu,
                    device.read("STATUS")))
        if context == "start":
            device.set("STATUS", 1)     # the device interrupts at once
        return {"start": 7, "poll": 0}[context]
        yield  # pragma: no cover

    def body():
        results = [(yield from ke_synchronize_execution(interrupt, synch_crit_section,
                                                        "start"))]
        log.append(("returned", kernel.cpu.irql, interrupt.lock.owner))
        results.append((yield from ke_synchronize_execution(interrupt, synch_crit_section,
                                                            "poll")))
        return results

    assert call(body) == [1, 0]
    assert log == [
        ("synch", "start", DIRQL + 2, "thread", True, 0),
        ("Isr", 0, 0, DIRQL + 2, "isr", "TestThread", True),
        ("returned", PASSIVE_LEVEL, None),
        ("synch", "poll", DIRQL + 2, "thread", True, 0),
    ]


def test_interrupt_asserted_while_a_thread_is_busy_at_synchronize_irql_waits_for_its_end(
        kernel, spawn):
    """pnp-hardware 5.4, 5.7: a CPU kept busy at the SynchronizeIrql (a thread stalling
    inside a KeSynchronizeExecution-like section: raised to SynchronizeIrql) cannot take
    the interrupt; it is taken when the stall ends and IRQL drops, not when asserted."""
    device = uart(kernel)
    log = []
    _, interrupt = io_connect_interrupt(kernel, acknowledging_isr(device, log), None,
                                        device.line, synchronize_irql=DIRQL + 1)

    def busy():
        old = kernel.raise_irql(interrupt.synchronize_irql)
        yield from ke_stall_execution_processor(kernel, 50)
        log.append(("stall ends", kernel.now))
        kernel.lower_irql(old)

    spawn(busy, name="Busy", cpu=0)
    at(kernel, 10 * US, lambda: device.set("STATUS", 1))
    assert kernel.run() is None
    assert [entry[:2] for entry in log] == [("stall ends", 50 * US), ("Isr", 50 * US)]


# -- 5.5 DpcForIsr --------------------------------------------------------------------------

def test_request_dpc_twice_before_it_runs_gives_one_run_with_the_first_irp_and_context(
        kernel, spawn, make_device):
    """pnp-hardware 5.5: IoRequestDpc while the DpcForIsr is still queued is absorbed:
    two interrupts (two requests) while the CPU is at DISPATCH_LEVEL give ONE DpcForIsr,
    with the FIRST request's Irp and Context and DeferredContext = the device object."""
    device = uart(kernel)
    device_object = make_device()
    lock = ke_initialize_spin_lock(kernel, "L")
    log = []
    requests = []

    def isr(interrupt, context):
        status = device.read("STATUS")
        device.write("STATUS", status)
        requests.append(io_request_dpc(device_object, f"irp{status}", f"ctx{status}"))
        return True
        yield  # pragma: no cover

    def dpc_for_isr(dpc, context, irp, ctx):
        log.append((kernel.now, dpc is device_object.dpc, context is device_object, irp, ctx))
        yield from ()

    io_initialize_dpc_request(device_object, dpc_for_isr)
    io_connect_interrupt(kernel, isr, None, device.line)

    def holder():
        old = ke_acquire_spin_lock(lock)
        yield from ke_stall_execution_processor(kernel, 100)
        ke_release_spin_lock(lock, old)

    spawn(holder, name="Holder", cpu=0)
    at(kernel, 10 * US, lambda: device.set("STATUS", 1))
    at(kernel, 20 * US, lambda: device.set("STATUS", 2))
    assert kernel.run() is None
    assert requests == [True, False]
    assert log == [(100 * US, True, True, "irp1", "ctx1")]


# -- 5.6 IoDisconnectInterrupt --------------------------------------------------------------

def test_after_disconnect_the_isr_is_not_called(kernel):
    """pnp-hardware 5.6: once IoDisconnectInterrupt returns the ISR is not called again:
    the device asserting its line afterwards reaches it no more (the last object on the
    vector masks the line: no delivery, so no storm either)."""
    device = uart(kernel)
    log = []
    _, interrupt = io_connect_interrupt(kernel, acknowledging_isr(device, log), None,
                                        device.line)
    at(kernel, 10 * US, lambda: device.set("STATUS", 1))
    at(kernel, 20 * US, lambda: io_disconnect_interrupt(interrupt))
    at(kernel, 30 * US, lambda: device.set("STATUS", 1))
    assert kernel.run() is None
    assert [entry[:2] for entry in log] == [("Isr", 10 * US)]
    assert device.line.connected == [] and not interrupt.connected
    assert device.read("STATUS") == 1           # still asserting, nobody called


def test_a_stall_inside_synchronize_execution_holds_the_interrupt_off_until_it_ends(
        kernel, spawn):
    """pnp-hardware 5.4: the SynchCritSection runs at the SynchronizeIrql holding the
    interrupt spin lock; a stall inside it keeps the CPU busy there, so an interrupt
    asserted meanwhile is taken when KeSynchronizeExecution has returned."""
    device = uart(kernel)
    log = []
    _, interrupt = io_connect_interrupt(kernel, acknowledging_isr(device, log), None,
                                        device.line)

    def synch_crit_section(context):
        yield from ke_stall_execution_processor(kernel, 50)
        log.append(("synch done", kernel.now))
        return True

    def body():
        result = yield from ke_synchronize_execution(interrupt, synch_crit_section, None)
        log.append(("returned", kernel.now, result))

    def device_script():
        yield kernel.env.timeout(100)          # 10 us into the stall
        device.set("STATUS", 1)
    spawn(body)
    kernel.env.process(device_script())
    assert kernel.run() is None
    assert log[0] == ("synch done", 500)
    isr = [entry for entry in log if entry[0] == "Isr"]
    assert len(isr) == 1 and isr[0][1] == 500       # held off for the stall's 40 us
    assert ("returned", 500, 1) in log
