"""KQUEUE (ke/queue.py) and the IO_COMPLETION services (io/completion.py), win32-io §3."""

from __future__ import annotations

from harness.kernel import (FO_SKIP_COMPLETION_PORT, FileObject, IoCompletion, KEvent, KQueue,
                            NTSTATUS, handle_table, ke_delay_execution_thread,
                            ke_initialize_queue, ke_insert_queue, ke_remove_queue,
                            ke_rundown_queue, nt_close_io_completion, nt_create_io_completion,
                            nt_remove_io_completion, nt_set_completion_information,
                            nt_set_completion_notification, nt_set_io_completion,
                            ke_set_event, ke_wait_for_single_object)

MS = 10_000


def _remover(queue: KQueue, log: list, name: str, timeout: int | None = None,
             times: int = 1, work: int = 0):
    def body():
        for _ in range(times):
            status, entry = yield from ke_remove_queue(queue, timeout)
            log.append((name, status, entry, queue.kernel.now))
            if work:
                yield from ke_delay_execution_thread(queue.kernel, 0, False, -work)
    return body


def test_3_6_queue_entries_are_fifo(kernel, call):
    queue = ke_initialize_queue(kernel, 1)
    for entry in "abc":
        ke_insert_queue(queue, entry)
    log: list = []
    call(_remover(queue, log, "t", 0, 3))
    assert [e for _, _, e, _ in log] == ["a", "b", "c"]


def test_3_6_queue_waiters_are_released_lifo(kernel, spawn):
    queue = ke_initialize_queue(kernel, 2)
    log: list = []
    spawn(_remover(queue, log, "first"), name="first")
    spawn(_remover(queue, log, "second"), name="second")
    kernel.call_later(10 * MS, lambda: (ke_insert_queue(queue, 1), ke_insert_queue(queue, 2)),
                      urgent=False)
    kernel.run()
    assert [(n, e) for n, _, e, _ in log] == [("second", 1), ("first", 2)]


def test_3_6_concurrency_value_holds_entries_back_while_a_thread_runs(kernel, spawn):
    queue = ke_initialize_queue(kernel, 1)
    log: list = []
    spawn(_remover(queue, log, "first"), name="first")
    spawn(_remover(queue, log, "second", times=2), name="second")
    kernel.call_later(10 * MS, lambda: (ke_insert_queue(queue, 1), ke_insert_queue(queue, 2)),
                      urgent=False)
    kernel.run(until=100 * MS)
    # second (counted running) takes both; first, waiting all along, gets nothing
    assert [(n, e) for n, _, e, _ in log] == [("second", 1), ("second", 2)]
    assert len(queue.waiters) == 1 and queue.waiters[0].thread.name == "first"


def test_3_6_a_counted_thread_blocking_elsewhere_releases_a_waiter(kernel, spawn):
    queue = ke_initialize_queue(kernel, 1)
    log: list = []
    spawn(_remover(queue, log, "first"), name="first")
    spawn(_remover(queue, log, "second", work=500 * MS), name="second")
    kernel.call_later(10 * MS, lambda: (ke_insert_queue(queue, 1), ke_insert_queue(queue, 2)),
                      urgent=False)
    kernel.run()
    # second's KeDelayExecutionThread drops the running count: first gets entry 2 at once
    assert [(n, e, t) for n, _, e, t in log] == [("second", 1, 10 * MS), ("first", 2, 10 * MS)]


def test_3_6_the_running_count_can_exceed_the_limit_after_a_wake(kernel, spawn):
    queue = ke_initialize_queue(kernel, 1)
    event = KEvent(kernel)
    seen: list = []

    def sleeper():
        yield from ke_remove_queue(queue, None)
        yield from ke_wait_for_single_object(event)     # out of the running count
        seen.append(queue.current_count)                # back in it, over the limit
    spawn(sleeper, name="sleeper")
    spawn(_remover(queue, [], "other"), name="other")
    ke_insert_queue(queue, 1)         # queued before anyone waits: the sleeper takes it

    def later() -> None:
        ke_set_event(event)          # the sleeper will wake: counted again when it runs
        ke_insert_queue(queue, 2)    # meanwhile the count is 0: a waiter takes this one
    kernel.call_later(10 * MS, later, urgent=False)
    kernel.run()
    assert seen == [2]


def test_3_8_remove_queue_times_out_with_status_timeout(kernel, call):
    queue = ke_initialize_queue(kernel, 1)
    log: list = []
    call(_remover(queue, log, "t", -50 * MS))
    (_, status, entry, when), = log
    assert (status, entry) == (NTSTATUS.STATUS_TIMEOUT, None)
    assert when >= 50 * MS


def test_3_3_rundown_abandons_waiters_and_drops_entries(kernel, spawn):
    queue = ke_initialize_queue(kernel, 1)
    log: list = []
    spawn(_remover(queue, log, "t"), name="t")
    kernel.call_later(10 * MS, lambda: log.append(ke_rundown_queue(queue)), urgent=False)
    kernel.run()
    assert log[0] == []                       # no entries were left
    assert log[1][1:3] == (NTSTATUS.STATUS_ABANDONED, None)


def test_3_6_a_thread_exit_leaves_the_running_count(kernel, spawn):
    queue = ke_initialize_queue(kernel, 1)
    log: list = []
    spawn(_remover(queue, log, "first"), name="first")
    spawn(_remover(queue, log, "second"), name="second")        # takes 1, then exits
    kernel.call_later(10 * MS, lambda: (ke_insert_queue(queue, 1), ke_insert_queue(queue, 2)),
                      urgent=False)
    kernel.run()
    assert [(n, e) for n, _, e, _ in log] == [("second", 1), ("first", 2)]


def test_3_1_association_refuses_synchronous_and_already_associated_files(kernel,
                                                                         make_device, call):
    device = make_device()

    def body():
        status, port = nt_create_io_completion(kernel)
        sync = FileObject(kernel, device, True, "sync")
        overlapped = FileObject(kernel, device, False, "async")
        return (nt_set_completion_information(sync, port, 1),
                nt_set_completion_information(overlapped, port, 1),
                nt_set_completion_information(overlapped, port, 2),
                overlapped.completion_context.key)
        yield
    assert call(body) == (NTSTATUS.STATUS_INVALID_PARAMETER, 0,
                          NTSTATUS.STATUS_INVALID_PARAMETER, 1)


def test_3_1_concurrency_zero_is_the_number_of_processors(kernel, call):
    def body():
        status, handle = nt_create_io_completion(kernel, count=0)
        return handle_table(kernel).lookup(handle)[0].maximum_count
        yield
    assert call(body) == len(kernel.cpus)


def test_3_5_nt_set_io_completion_posts_any_status(kernel, call):
    def body():
        _, handle = nt_create_io_completion(kernel)
        nt_set_io_completion(kernel, handle, 3, "ctx", NTSTATUS.STATUS_CANCELLED, 9)
        status, packet = yield from nt_remove_io_completion(kernel, handle, 0)
        return status, packet.key, packet.apc_context, packet.status, packet.information
    assert call(body) == (0, 3, "ctx", NTSTATUS.STATUS_CANCELLED, 9)


def test_3_3_the_last_handle_closed_runs_the_port_down(kernel, call):
    def body():
        _, handle = nt_create_io_completion(kernel)
        port = handle_table(kernel).remove(handle)
        assert isinstance(port, IoCompletion)
        nt_close_io_completion(port)
        return port.run_down
        yield
    assert call(body) is True


def test_3_7_notification_modes_are_sticky_and_checked(kernel, make_device, call):
    device = make_device()

    def body():
        file = FileObject(kernel, device, False, "f")
        bad = nt_set_completion_notification(file, 4)
        ok = nt_set_completion_notification(file, 1)
        again = nt_set_completion_notification(file, 0)     # nothing clears a mode
        return bad, ok, again, bool(file.flags & FO_SKIP_COMPLETION_PORT)
        yield
    assert call(body) == (NTSTATUS.STATUS_INVALID_PARAMETER, 0, 0, True)
