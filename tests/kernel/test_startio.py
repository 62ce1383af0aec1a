"""Device queues and the system StartIo model (kernel-env §6.2-§6.4, §12.1-§12.4)."""

from __future__ import annotations

from harness.kernel import (DISPATCH_LEVEL, IRP_MJ, NTSTATUS, io_allocate_irp,
                            io_get_next_irp_stack_location,
                            io_release_cancel_spin_lock, io_cancel_irp)
from harness.kernel import (io_set_start_io_attributes, io_start_next_packet, io_start_packet,
                            ke_initialize_device_queue,
                            ke_insert_by_key_device_queue, ke_insert_device_queue,
                            ke_remove_by_key_device_queue, ke_remove_device_queue,
                            ke_remove_entry_device_queue)


def _irp(kernel):
    irp = io_allocate_irp(kernel, 1)
    io_get_next_irp_stack_location(irp).major_function = IRP_MJ.IRP_MJ_READ
    irp.current_location -= 1       # as if IoCallDriver had handed it to the driver
    return irp


def _recording_start_io(device, record):
    """Install a DriverStartIo that appends record(irp) for every IRP it is handed."""
    handed = []

    def start_io(dev, irp):
        handed.append(record(irp))
        return None
        yield

    device.driver_object.driver_start_io = start_io
    return handed


def test_insert_into_idle_device_queue_returns_false_and_does_not_insert(kernel):
    """kernel-env §12.1: an idle queue is only marked busy; the caller starts the IRP."""
    queue = ke_initialize_device_queue(kernel)
    irp = _irp(kernel)
    assert ke_insert_device_queue(queue, irp) is False
    assert queue.busy and irp not in queue
    assert ke_insert_device_queue(queue, _irp(kernel)) is True


def test_remove_from_empty_busy_queue_clears_busy(kernel):
    """kernel-env §6.2: Busy is cleared only by a remove that finds the list empty."""
    queue = ke_initialize_device_queue(kernel)
    first, second = _irp(kernel), _irp(kernel)
    ke_insert_device_queue(queue, first)
    ke_insert_device_queue(queue, second)
    assert ke_remove_device_queue(queue) is second and queue.busy
    assert ke_remove_device_queue(queue) is None and not queue.busy


def test_insert_by_key_orders_ascending_after_equal_keys(kernel):
    """kernel-env §6.2: KeInsertByKeyDeviceQueue keeps ascending SortKey order."""
    queue = ke_initialize_device_queue(kernel)
    ke_insert_device_queue(queue, _irp(kernel))
    a, b, c = _irp(kernel), _irp(kernel), _irp(kernel)
    ke_insert_by_key_device_queue(queue, a, 5)
    ke_insert_by_key_device_queue(queue, b, 1)
    ke_insert_by_key_device_queue(queue, c, 5)
    assert [ke_remove_device_queue(queue) for _ in range(3)] == [b, a, c]


def test_remove_entry_is_false_for_the_irp_handed_to_start_io(kernel):
    """kernel-env §12.2: the IRP given to StartIo was never in the list."""
    queue = ke_initialize_device_queue(kernel)
    current = _irp(kernel)
    ke_insert_device_queue(queue, current)
    assert ke_remove_entry_device_queue(queue, current) is False


def test_start_packet_on_idle_device_calls_start_io_at_dispatch_level(kernel, make_device,
                                                                      call):
    """kernel-env §6.3 / §12.4: StartIo runs at DISPATCH_LEVEL inside IoStartPacket, with
    the IRP as CurrentIrp, even when called at PASSIVE_LEVEL."""
    seen = []
    device = make_device()

    def start_io(dev, irp):
        seen.append((kernel.cpu.irql, dev.current_irp is irp))
        return None
        yield

    device.driver_object.driver_start_io = start_io
    irp = _irp(kernel)
    call(lambda: io_start_packet(device, irp))
    assert seen == [(DISPATCH_LEVEL, True)]
    assert kernel.cpu.irql == 0


def test_start_packet_on_busy_device_queues_and_start_next_hands_it_over(kernel, make_device,
                                                                         call):
    """kernel-env §6.3-§6.4: a busy device queues; IoStartNextPacket starts the next."""
    device = make_device()
    order = _recording_start_io(device, lambda irp: irp.id)
    first, second = _irp(kernel), _irp(kernel)

    def body():
        yield from io_start_packet(device, first)
        yield from io_start_packet(device, second)
        assert order == [first.id]
        kernel.raise_irql(DISPATCH_LEVEL)
        yield from io_start_next_packet(device, False)
        assert device.current_irp is second
        yield from io_start_next_packet(device, False)
        kernel.lower_irql(0)

    call(body)
    assert order == [first.id, second.id]
    assert device.current_irp is None and not device.device_queue.busy


def test_start_next_packet_does_not_skip_cancelled_irps(kernel, make_device, call):
    """kernel-env §12.3: IoStartNextPacket hands over a cancelled IRP; StartIo must check."""
    device = make_device()
    handed = _recording_start_io(device, lambda irp: irp.cancel)
    first, second = _irp(kernel), _irp(kernel)

    def body():
        yield from io_start_packet(device, first)
        yield from io_start_packet(device, second)
        second.cancel = True
        kernel.raise_irql(DISPATCH_LEVEL)
        yield from io_start_next_packet(device, False)
        kernel.lower_irql(0)

    call(body)
    assert handed == [False, True]


def test_start_packet_calls_cancel_routine_at_once_for_a_cancelled_queued_irp(kernel,
                                                                             make_device, call):
    """kernel-env §6.3: queued and already cancelled: the cancel routine runs immediately,
    entered holding the cancel lock, and it releases the lock. Taking the IRP out of the
    device queue is the routine's job (KeRemoveEntryDeviceQueue); this one does not."""
    calls = []
    device = make_device()

    def start_io(dev, irp):
        return None
        yield

    def on_cancel(dev, irp):
        calls.append((kernel.cancel_spin_lock.owner is not None, kernel.cpu.context))
        io_release_cancel_spin_lock(kernel, irp.cancel_irql)
        irp.io_status.status = NTSTATUS.STATUS_CANCELLED
        return None
        yield

    device.driver_object.driver_start_io = start_io
    first, second = _irp(kernel), _irp(kernel)
    second.cancel = True

    def body():
        yield from io_start_packet(device, first, None, on_cancel)
        yield from io_start_packet(device, second, None, on_cancel)

    call(body)
    assert calls == [(True, "cancel")]
    assert second.cancel_routine is None and second in device.device_queue
    assert kernel.cancel_spin_lock.owner is None and kernel.cpu.irql == 0


def test_cancel_of_queued_start_io_irp_runs_its_cancel_routine(kernel, make_device, call):
    """io-core §7.2 with §6.3: an IRP waiting in the device queue keeps its cancel routine,
    so IoCancelIrp reaches it."""
    cancelled = []
    device = make_device()

    def start_io(dev, irp):
        return None
        yield

    def on_cancel(dev, irp):
        io_release_cancel_spin_lock(kernel, irp.cancel_irql)
        cancelled.append(irp.id)
        irp.io_status.status = NTSTATUS.STATUS_CANCELLED
        return None
        yield

    device.driver_object.driver_start_io = start_io
    first, second = _irp(kernel), _irp(kernel)

    def body():
        yield from io_start_packet(device, first, None, on_cancel)
        yield from io_start_packet(device, second, None, on_cancel)
        return (yield from io_cancel_irp(second))

    assert call(body) is True
    assert cancelled == [second.id]


def _draining_start_io(device, depths):
    """A StartIo that completes its IRP and calls IoStartNextPacket itself, recording
    how deeply StartIo calls are nested when each runs."""
    active = [0]

    def start_io(dev, irp):
        active[0] += 1
        depths.append(active[0])
        yield from io_start_next_packet(dev, False)   # (the IRP's completion left out)
        active[0] -= 1

    device.driver_object.driver_start_io = start_io


def _three_then_drain(kernel, device, depths):
    """Three IRPs started while StartIo only parks them (the first is CurrentIrp, two
    queued), then the draining StartIo and one IoStartNextPacket at DISPATCH_LEVEL."""
    def park(dev, irp):
        return None
        yield

    def body():
        device.driver_object.driver_start_io = park
        for _ in range(3):
            yield from io_start_packet(device, _irp(kernel))
        _draining_start_io(device, depths)
        old = kernel.raise_irql(DISPATCH_LEVEL)
        yield from io_start_next_packet(device, False)
        kernel.lower_irql(old)
    return body


def test_start_next_packet_inside_start_io_recurses_without_deferred_start_io(kernel,
                                                                             make_device,
                                                                             call):
    """pnp-hardware §7.2 / verifier R66: without DeferredStartIo, IoStartNextPacket inside
    StartIo calls StartIo again from within it: one level deeper per queued IRP."""
    device, depths = make_device(), []
    _draining_start_io(device, depths)
    call(_three_then_drain(kernel, device, depths))
    assert depths == [1, 2]


def test_deferred_start_io_serves_start_next_packet_after_start_io_returns(kernel,
                                                                          make_device,
                                                                          call):
    """pnp-hardware §7.2: with DeferredStartIo, IoStartNextPacket inside StartIo only
    records the request; the next StartIo is called after this one returns, in a loop."""
    device, depths = make_device(), []
    _draining_start_io(device, depths)
    io_set_start_io_attributes(device, True, False)
    call(_three_then_drain(kernel, device, depths))
    assert depths == [1, 1]
    assert device.current_irp is None


def test_non_cancelable_start_io_attribute_takes_the_cancel_routine_back(kernel,
                                                                        make_device, call):
    """pnp-hardware §7.2: NonCancelable clears CancelRoutine when the I/O manager hands an
    IRP to StartIo, so a later IoCancelIrp only sets Cancel and returns FALSE."""
    device = make_device()
    handed = _recording_start_io(device, lambda irp: irp.cancel_routine)
    io_set_start_io_attributes(device, False, True)
    irp = _irp(kernel)

    def cancel_routine(dev, canceled):
        io_release_cancel_spin_lock(kernel, canceled.cancel_irql)
        return None
        yield

    def body():
        yield from io_start_packet(device, irp, cancel_routine=cancel_routine)
        return (yield from io_cancel_irp(irp))
    assert call(body) is False
    assert handed == [None] and irp.cancel


def test_remove_by_key_takes_the_first_entry_at_or_above_the_key_else_the_head(kernel):
    """kernel-env §6.2: KeRemoveByKeyDeviceQueue gives the first entry whose SortKey >= Key
    (the elevator), or the head when none is; an empty queue goes idle."""
    queue = ke_initialize_device_queue(kernel)
    ke_insert_device_queue(queue, _irp(kernel))                 # busy
    low, mid, high = _irp(kernel), _irp(kernel), _irp(kernel)
    for irp, key in ((low, 1), (mid, 5), (high, 9)):
        ke_insert_by_key_device_queue(queue, irp, key)
    assert ke_remove_by_key_device_queue(queue, 4) is mid
    assert ke_remove_by_key_device_queue(queue, 10) is low      # none >= 10: the head
    assert ke_remove_by_key_device_queue(queue, 0) is high
    assert ke_remove_by_key_device_queue(queue, 0) is None and not queue.busy
