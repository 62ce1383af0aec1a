"""The public step library. Loaded by the package's pytest plugin.

Every step is one line of parsing plus one call into the checks API
(:mod:`harness.checks`, on the scenario's :class:`harness.bdd.context.IrpScenario`).
Patterns are anchored with distinctive literals so no two steps match one line (a
test runs every pattern against every step line of features/).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast

import pytest
from pytest_bdd import given, parsers, then, when

from ..lang.units import parse_buffer_pattern
from ..usermode.scm import SERVICE_STATE_NAMES
from .context import IrpScenario, StepError, seconds_to_hns
from .registry_checks import TYPE_NAMES, expected_data, find_key, show

# -- Given -----------------------------------------------------------------------------------


@given(parsers.re(r'the scenario "(?P<path>[^"]+)"(?: with seed (?P<seed>\d+))?'
                  r'(?: with machine\.(?P<key>strict|verifier|cpus|clock_tick|build|debugger)='
                  r'(?P<value>true|false|checked|free|\d+))?'),
       target_fixture="irp")
def given_scenario(path: str, seed: str | None, key: str | None, value: str | None,
                   request: pytest.FixtureRequest) -> IrpScenario:
    root = Path(request.config.rootpath) / request.config.getini("irp_scenarios_dir")
    machine = None
    if key is not None and value is not None:       # one optional group: both or neither
        machine = {key: int(value) if value.isdigit() else
                   value if value in ("checked", "free") else value == "true"}
    scenario = IrpScenario(root, path, int(seed or 0), machine)
    request.config.hook.pytest_irp_scenario_loaded(scenario=scenario)
    return scenario


# -- When ------------------------------------------------------------------------------------


@when("the application runs")
def when_app_runs(irp: IrpScenario) -> None:
    irp.run_app()


@when(parsers.re(r'the app opens "(?P<path>[^"]+)"(?P<ov> for overlapped I/O)? as "(?P<name>\w+)"'))
def when_app_opens(irp: IrpScenario, path: str, ov: str | None, name: str) -> None:
    irp.call({"open": path, "as": name, "overlapped": bool(ov)})


@when(parsers.re(r'the app reads (?P<length>\d+) bytes from "(?P<handle>\w+)" as "(?P<name>\w+)"'))
def when_app_reads(irp: IrpScenario, length: str, handle: str, name: str) -> None:
    irp.call({"read": {"handle": handle, "length": int(length)}, "as": name})


@when(parsers.re(r'the app writes "(?P<data>[^"]+)" to "(?P<handle>\w+)" as "(?P<name>\w+)"'))
def when_app_writes(irp: IrpScenario, data: str, handle: str, name: str) -> None:
    irp.call({"write": {"handle": handle, "data": data}, "as": name})


@when(parsers.re(r'the app sends IOCTL "(?P<code>\w+)" to "(?P<handle>\w+)"'
                 r'(?: with input "(?P<data>[^"]+)")?(?: and (?P<out>\d+) output bytes)?'
                 r' as "(?P<name>\w+)"'))
def when_app_ioctl(irp: IrpScenario, code: str, handle: str, data: str | None, out: str | None,
                   name: str) -> None:
    args = {"handle": handle, "code": code, "output_length": int(out or 0)}
    if data:
        args["input"] = data
    irp.call({"ioctl": args, "as": name})


@when(parsers.re(r'the app cancels I/O on "(?P<handle>\w+)"'))
def when_app_cancels(irp: IrpScenario, handle: str) -> None:
    irp.call({"cancel_io": handle})


@when(parsers.re(r'the app closes "(?P<handle>\w+)"'))
def when_app_closes(irp: IrpScenario, handle: str) -> None:
    irp.call({"close": handle})


@when(parsers.re(r'(?P<number>\d+(?:\.\d+)?) (?P<unit>s|ms|us) pass(?:es)?'))
def when_time_passes(irp: IrpScenario, number: str, unit: str) -> None:
    irp.advance(seconds_to_hns(number, unit))


@when(parsers.re(r'the service "(?P<service>\w+)" is (?P<action>started|stopped)'
                 r'(?: as "(?P<name>\w+)")?$'))
def when_service(irp: IrpScenario, service: str, action: str, name: str | None) -> None:
    """``net start`` / ``net stop``: StartService or ControlService(STOP) by name."""
    step: dict[str, Any] = {"net_start" if action == "started" else "net_stop": service}
    if name:
        step["as"] = name
    irp.call(step)


# -- Then: the machine's objects (what WinObj and the SCM show) ------------------------------


@then(parsers.re(r'the object "(?P<path>[^"]+)" (?P<negated>does not exist|exists)'))
def then_object(irp: IrpScenario, path: str, negated: str) -> None:
    """A name in the object namespace: ``\\Driver\\HelloDDK``, ``\\Device\\X``,
    a link ``\\??\\HelloDDK`` (not followed)."""
    found = irp.session.kernel.namespace.lookup(path.replace("\\\\", "\\"), reparse=False)
    if (found is not None) != (negated == "exists"):
        irp.fail(f"{path} {'is missing' if found is None else 'exists: ' + repr(found)}")


@then(parsers.re(r'no device object of "(?P<driver>[^"]+)" holds a pointer reference'))
def then_no_device_pointers(irp: IrpScenario, driver: str) -> None:
    """Every ObReferenceObject a driver's code took on the devices of ``\\Driver\\X``
    (IoGetLowerDeviceObject, IoEnumerateDeviceObjectList, ...) was dereferenced
    (pnp-hardware §8.2); opens are not pointers and do not count."""
    name = driver.replace("\\\\", "\\")
    found = next((d for d in irp.session.kernel.drivers if d.name.lower() == name.lower()),
                 None)
    if found is None:
        irp.fail(f"there is no driver object {driver}")
    held = [f"{d.label}: {d.pointer_count}" for d in found.devices() if d.pointer_count]
    if held:
        irp.fail(f"devices of {driver} still referenced by pointer: {', '.join(held)}")


@then(parsers.re(r'the image "(?P<file>[^"]+)" is (?:still )?(?P<state>loaded|unloaded)'))
def then_image_state(irp: IrpScenario, file: str, state: str) -> None:
    """A driver image (``HelloDDK.sys``): mapped, or unloaded once its driver object's
    last reference went - a device object still referenced holds it (pnp-hardware §1.5,
    win32-io §7.5)."""
    image = next((i for i in irp.session.kernel.images.values()
                  if i.file_name.lower() == file.lower()), None)
    if image is None:
        irp.fail(f"there is no driver image {file}")
    if image.mapped != (state == "loaded"):
        irp.fail(f"{file} is {'loaded' if image.mapped else 'not loaded'}")


@then(parsers.re(r'the service "(?P<service>\w+)" (?:is (?P<state>SERVICE_[A-Z_]+)|'
                 r'(?P<gone>does not exist))'))
def then_service_state(irp: IrpScenario, service: str, state: str | None,
                       gone: str | None) -> None:
    """The SCM's dwCurrentState of a service (QueryServiceStatus), or no such service
    (DeleteService's key removed)."""
    entry = irp.session.scm.services.get(service.lower())
    if gone:
        if entry is not None:
            irp.fail(f"the service {service} still exists")
        return
    if entry is None:
        irp.fail(f"there is no service {service!r}")
    got = SERVICE_STATE_NAMES.get(irp.session.scm.state(entry))
    if got != state:
        irp.fail(f"the service {service} is {got}, not {state}")


#: a devnode step's words -> the ``pnp:`` event action
DEVNODE_STEP_ACTIONS = {"uninstalled": "uninstall", "surprise-removed": "surprise_remove",
                        "stopped for rebalance": "rebalance", "ejected": "eject",
                        "plugged in": "plug_in"}


@when(parsers.re(r'the device "(?P<instance>[^"]+)" is (?P<action>uninstalled|'
                 r'surprise-removed|stopped for rebalance|ejected|plugged in)$'))
def when_devnode_action(irp: IrpScenario, instance: str, action: str) -> None:
    """Device Manager's Uninstall (QUERY_REMOVE, REMOVE), the device pulled
    (SURPRISE_REMOVAL; REMOVE after the last close), a rebalance (QUERY_STOP, STOP,
    START; CANCEL_STOP on a veto), an eject (QUERY_REMOVE, REMOVE, EJECT if supported)
    or a declared devnode plugged in: run by the PnP worker."""
    instance = instance.replace("\\\\", "\\")
    present = irp.session.kernel.pnp.devnode(instance) is not None
    if present == (action == "plugged in"):
        irp.fail(f"there is no devnode {instance}" if not present
                 else f"{instance} is already present")
    irp.devnode_event(instance, DEVNODE_STEP_ACTIONS[action])


@when(parsers.re(r'the machine (?P<action>goes to standby|resumes)'))
def when_power(irp: IrpScenario, action: str) -> None:
    """The power manager's standby (QUERY_POWER, SET_POWER S1) or resume (SET_POWER S0)."""
    irp.power_action("standby" if action == "goes to standby" else "resume")


@then(parsers.re(r'the device "(?P<instance>[^"]+)" (?:is (?P<state>started|removed)|'
                 r'has problem code (?P<code>\d+))'))
def then_devnode_state(irp: IrpScenario, instance: str, state: str | None,
                       code: str | None) -> None:
    """A devnode as Device Manager shows it: started, gone, or "Code n"."""
    pnp = irp.session.kernel.pnp
    node = pnp.devnode(instance.replace("\\\\", "\\"))
    if state == "removed":
        if node is not None:
            irp.fail(f"{instance} is still a devnode ({node.state})")
        return
    if node is None:
        irp.fail(f"there is no devnode {instance}")
    if state == "started" and node.state != "Started":
        irp.fail(f"{instance} is {node.state} (problem {node.problem}), not started")
    if code is not None and node.problem != int(code):
        irp.fail(f"{instance} has problem code {node.problem}, not {code}")


@then(parsers.re(r'the device interface "(?P<name>[^"]+)" is (?P<state>enabled|disabled|'
                 r'held back)'))
def then_device_interface(irp: IrpScenario, name: str, state: str) -> None:
    """A registered device interface (pnp-hardware §3): enabled (its link to the PDO
    made), disabled, or held back (enabled before its stack completed START)."""
    iface = irp.session.kernel.pnp.interfaces.lookup(name.replace("\\\\", "\\"))
    if iface is None:
        irp.fail(f"no device interface {name} is registered")
    got = "enabled" if iface.enabled else "held back" if iface.deferred else "disabled"
    if got != state:
        irp.fail(f"the device interface {name} is {got}, not {state}")


@then(parsers.re(r'the medium of "(?P<instance>[^"]+)" holds "(?P<data>[^"]+)" at block '
                 r'(?P<block>\d+)'))
def then_medium_holds(irp: IrpScenario, instance: str, data: str, block: str) -> None:
    """What is on the USB stick behind a devnode's USBSTOR PDO (``medium:``), from that
    block on: the bytes themselves, whatever the drivers above reported."""
    node = irp.session.kernel.pnp.devnode(instance.replace("\\\\", "\\"))
    pdo = (node.pdo.device_extension.get("usbstor")
           if node is not None and node.pdo is not None else None)
    if pdo is None:
        irp.fail(f"{instance} is no devnode with a medium")
    expected = parse_buffer_pattern(data)
    start = int(block) * pdo.lun.block_size
    got = bytes(pdo.lun.media[start:start + len(expected)])
    if got != expected:
        irp.fail(f"block {block} of {instance}: expected {expected.hex(' ').upper()}, got "
                 f"{got.hex(' ').upper()}")


# -- Then: what the application saw ---------------------------------------------------------


@then(parsers.re(r'"(?P<name>\w+)" returned (?P<ok>TRUE|FALSE) with (?P<count>\d+) bytes?'))
def then_returned_bytes(irp: IrpScenario, name: str, ok: str, count: str) -> None:
    irp.request(name).returned(ok=ok == "TRUE", bytes=int(count))


@then(parsers.re(r'"(?P<name>\w+)" returned (?P<result>WAIT_[A-Z_0]+)(?: \+ (?P<index>\d+))?'))
def then_wait_result(irp: IrpScenario, name: str, result: str, index: str | None) -> None:
    """A wait's DWORD (win32-io 9.5), e.g. WAIT_OBJECT_0 + 1, WAIT_ABANDONED."""
    irp.request(name).returned_wait(result, int(index or 0))


@then(parsers.re(r'"(?P<name>\w+)" left the last error (?P<error>\w+)'))
def then_last_error(irp: IrpScenario, name: str, error: str) -> None:
    """GetLastError right after the call, whatever it returned (CreateEvent sets
    ERROR_ALREADY_EXISTS on success); ``untouched``: the call did not write it at all
    (win32-io 1.1: a TRUE return)."""
    irp.request(name).left_last_error(error)


@then(parsers.re(r'"(?P<name>\w+)" returned (?P<value>\d+)$'))
def then_result_value(irp: IrpScenario, name: str, value: str) -> None:
    """A call's DWORD result (ReleaseSemaphore's previous count, ...)."""
    irp.request(name).returned_value(int(value))


@then(parsers.re(r'"(?P<name>\w+)" returned FALSE with error (?P<error>\w+)'))
def then_returned_error(irp: IrpScenario, name: str, error: str) -> None:
    irp.request(name).returned_error(error)


@then(parsers.re(r'"(?P<name>\w+)" left its byte count untouched'))
def then_bytes_untouched(irp: IrpScenario, name: str) -> None:
    """The call did not write its byte-count out-parameter (win32-io 1.2, 1.5, 1.6):
    {name.bytes} still holds the step's ``bytes_init``."""
    irp.request(name).left_bytes_untouched()


@then(parsers.re(r'the OVERLAPPED of "(?P<name>\w+)" holds (?P<status>\w+) and '
                 r'(?P<count>\d+) bytes?$'))
def then_overlapped_holds(irp: IrpScenario, name: str, status: str, count: str) -> None:
    """OVERLAPPED.Internal / InternalHigh at the end of the run (win32-io 1.3, 1.4):
    STATUS_PENDING (0x103) when the kernel never wrote it (the silent branch)."""
    irp.request(name).overlapped_holds(status, int(count))


@then(parsers.re(r'the event of "(?P<name>\w+)" is (?P<state>signaled|not signaled)$'))
def then_event_state(irp: IrpScenario, name: str, state: str) -> None:
    """The state of the OVERLAPPED's hEvent at the end of the run."""
    irp.request(name).event_is_signaled(state == "signaled")


@then(parsers.re(r'"(?P<name>\w+)" dequeued (?:the packet of "(?P<request>\w+)"|'
                 r'(?P<null>a NULL OVERLAPPED)) with key (?P<key>\d+) and (?P<count>\d+) bytes?$'))
def then_dequeued(irp: IrpScenario, name: str, request: str | None, null: str | None,
                  key: str, count: str) -> None:
    """GetQueuedCompletionStatus's out-parameters (win32-io 3.3): whose OVERLAPPED
    *lpOverlapped is (or NULL, a posted packet), *lpCompletionKey, *lpNumberOfBytes."""
    irp.request(name).dequeued_packet_of(request, int(key), int(count))


@then(parsers.re(r'"(?P<name>\w+)" dequeued nothing$'))
def then_dequeued_nothing(irp: IrpScenario, name: str) -> None:
    """FALSE with *lpOverlapped NULL (win32-io 3.3): a timeout or a closed port."""
    irp.request(name).dequeued_nothing()


@then(parsers.re(r'"(?P<name>\w+)" completes with (?P<status>\w+) and (?P<count>\d+) bytes?'
                 r'(?: at (?P<number>\d+(?:\.\d+)?) (?P<unit>s|ms|us))?'))
def then_completes(irp: IrpScenario, name: str, status: str, count: str, number: str | None,
                   unit: str | None) -> None:
    at = f"{number} {unit}" if number is not None and unit is not None else None
    irp.request(name).completes_with(status, int(count), at=at)



@then(parsers.re(r'"(?P<name>\w+)" returned at (?P<number>\d+(?:\.\d+)?) (?P<unit>s|ms|us)'))
def then_returned_at(irp: IrpScenario, name: str, number: str, unit: str) -> None:
    irp.request(name).returned(at=f"{number} {unit}")


@then(parsers.re(r'"(?P<name>\w+)" has not completed'))
def then_not_completed(irp: IrpScenario, name: str) -> None:
    irp.request(name).has_not_completed()


@then(parsers.re(r'the buffer of "(?P<name>\w+)" holds "(?P<data>[^"]+)"'))
def then_buffer_holds(irp: IrpScenario, name: str, data: str) -> None:
    irp.request(name).buffer_holds(data)


@then(parsers.re(r'the application printed a line containing "(?P<text>[^"]*)"'))
def then_app_printed_containing(irp: IrpScenario, text: str) -> None:
    irp.app_output.contains(text)


@then("the application printed:")
def then_app_printed(irp: IrpScenario, docstring: str) -> None:
    irp.app_output.is_(docstring)


# -- Then: debug output ------------------------------------------------------------------------





@then("the debug output is:")
def then_debug_is(irp: IrpScenario, docstring: str) -> None:
    """The whole DbgView log, line by line; ``%x`` matches any hex number and
    ``<&\\Device\\X>`` the address of that object."""
    irp.debug_output.is_(docstring)


@then("the debug output contains in order:")
def then_debug_in_order(irp: IrpScenario, datatable: list[list[str]]) -> None:
    irp.debug_output.contains_in_order([row[0] for row in datatable])


@then(parsers.re(r'the debug output contains "(?P<text>[^"]*)" (?P<count>\d+) times?'))
def then_debug_count(irp: IrpScenario, text: str, count: str) -> None:
    irp.debug_output.contains(text, times=int(count))


@then(parsers.re(r'the debug output (?P<negated>does not contain|contains) "(?P<text>[^"]*)"'))
def then_debug_contains(irp: IrpScenario, negated: str, text: str) -> None:
    if negated == "contains":
        irp.debug_output.contains(text)
    else:
        irp.debug_output.does_not_contain(text)



@then(parsers.re(r'the debug line "(?P<text>[^"]*)" was printed at (?P<times>\d+(?:\.\d+)?'
                 r'(?:, \d+(?:\.\d+)?)*) (?P<unit>s|ms|us)'))
def then_debug_times(irp: IrpScenario, text: str, times: str, unit: str) -> None:
    """Each DbgPrint containing ``text``, in order, at these simulated times."""
    irp.debug_output.printed_at(text, [f"{t} {unit}" for t in times.split(", ")])


@then(parsers.re(r'the debug line "(?P<text>[^"]*)" was printed in process '
                 r'"(?P<process>[^"]+)"(?: on CPU (?P<cpu>\d+))?'))
def then_debug_process(irp: IrpScenario, text: str, process: str, cpu: str | None) -> None:
    """Every DbgPrint containing ``text`` ran in a thread of ``process`` (and on ``cpu``)."""
    irp.debug_output.printed_in(text, process, None if cpu is None else int(cpu))



@then(parsers.re(r'the debug output shows "(?P<prefix>[^"]+)" followed by the buffer address '
                 r'of "(?P<name>\w+)"'))
def then_debug_shows_buffer_address(irp: IrpScenario, prefix: str, name: str) -> None:
    r = irp.request(name)
    value = irp.debug_output.value_after(prefix)
    if r.buffer is None or value != r.buffer.address:
        irp.fail(f"{prefix}{value:08X} is not the address of {name}'s buffer "
                 f"({r.buffer.address if r.buffer else 0:08X})", r.irp)


@then(parsers.re(r'the pool holds (?P<count>\d+) blocks? of (?P<size>\d+) bytes tagged '
                 r'"(?P<tag>[^"]{1,4})"'))
def then_pool_usage(irp: IrpScenario, count: str, size: str, tag: str) -> None:
    """What `!poolused` would show at the end of the run: the live blocks of one tag (the
    tag as it reads in memory, e.g. "None" for ExAllocatePool)."""
    usage = irp.session.kernel.pool_blocks.usage()
    got = usage.get(tag, (0, 0))
    if got != (int(count), int(size)):
        irp.fail(f"pool tag {tag!r}: {got[0]} blocks of {got[1]} bytes, expected {count} of "
                 f"{size}; pool in use: {usage}")


@then(parsers.re(r'the registry key "(?P<key>[^"]+)" (?P<what>exists|does not exist)$'))
def then_registry_key(irp: IrpScenario, key: str, what: str) -> None:
    """The registry at the end of the run (paths ignore case; CurrentControlSet is
    ControlSet001)."""
    found = find_key(irp.result.registry, key)
    if (found is not None) != (what == "exists"):
        irp.fail(f"registry key {key!r} {'does not exist' if found is None else 'exists'}")


@then(parsers.re(r'the registry value "(?P<name>[^"]*)" of key "(?P<key>[^"]+)" '
                 r'(?:is (?P<type>REG_[A-Z_]+) (?P<data>.+)|(?P<absent>does not exist))$'))
def then_registry_value(irp: IrpScenario, name: str, key: str, type: str | None,
                        data: str | None, absent: str | None) -> None:
    """One value of a key at the end of the run: REG_DWORD 100, REG_SZ "hello world",
    REG_BINARY FF*10 (a buffer pattern)."""
    found = find_key(irp.result.registry, key)
    if found is None:
        irp.fail(f"registry key {key!r} does not exist")
    values = {n.upper(): (n, v) for n, v in found[1].items()}
    got = values.get(name.upper())
    if absent:
        if got is not None:
            irp.fail(f"value {name!r} of {found[0]} exists: {show(*got[1])}")
        return
    if got is None:
        irp.fail(f"{found[0]} has no value {name!r} (it has: "
                 f"{', '.join(n for n, _ in values.values()) or 'none'})")
    try:
        wanted = expected_data(cast(str, type), cast(str, data))   # not the absent branch
    except ValueError as error:
        raise StepError(f"the expected value {data!r}: {error}") from None
    if TYPE_NAMES.get(got[1][0]) != type or got[1][1] != wanted:
        irp.fail(f"value {name!r} of {found[0]} is {show(*got[1])}, expected "
                 f"{show(next(k for k, v in TYPE_NAMES.items() if v == type), wanted)}")


@then(parsers.re(r'the registry key "(?P<key>[^"]+)" has the values in order:'))
def then_registry_values_in_order(irp: IrpScenario, key: str,
                                  datatable: list[list[str]]) -> None:
    """The names of a key's values, in the order ZwEnumerateValueKey gives them."""
    found = find_key(irp.result.registry, key)
    if found is None:
        irp.fail(f"registry key {key!r} does not exist")
    expected, got = [row[0] for row in datatable], list(found[1])
    if got != expected:
        irp.fail(f"{found[0]} has the values {got}, expected {expected}")


@then(parsers.re(r'the debug output shows "(?P<first>[^"]+)" and "(?P<second>[^"]+)" '
                 r'followed by the same (?:pointer|value)'))
def then_debug_same_value(irp: IrpScenario, first: str, second: str) -> None:
    """Two printed pointers are equal: two drivers got the same object."""
    a, b = irp.debug_output.value_after(first), irp.debug_output.value_after(second)
    if a != b:
        irp.fail(f"{first}{a:x} and {second}{b:x} differ")


@then(parsers.re(r'the debug output shows "(?P<prefix>[^"]+)" followed by the address of '
                 r'device "(?P<name>[^"]+)"'))
def then_debug_shows_device_address(irp: IrpScenario, prefix: str, name: str) -> None:
    """A printed PDEVICE_OBJECT is the device object of that name (its address as the
    drivers of the run see it)."""
    device = irp.device(name.replace("\\\\", "\\"))
    address = irp.session.kernel.objects.address_of(device)
    value = irp.debug_output.value_after(prefix)
    if value != address:
        irp.fail(f"{prefix}{value:x} is not the address of {device.name} ({address:x})")


@then(parsers.re(r'the debug output shows "(?P<prefix>[^"]+)" followed by a '
                 r'(?P<space>system|user)-space address'))
def then_debug_shows_address_space(irp: IrpScenario, prefix: str, space: str) -> None:
    value = irp.debug_output.value_after(prefix)
    # x86 with the default 2 GB split: user space below 0x80000000, system space above.
    if (value >= 0x80000000) != (space == "system"):
        irp.fail(f"{prefix}{value:08X} is not a {space}-space address")


# -- Then: files on C: (what dir / a hex viewer would show after the run) ------------------


def _file_data(irp: IrpScenario, path: str) -> bytes:
    """The bytes of a file on C: at the end of the run; a missing file or a directory
    fails the step."""
    __tracebackhide__ = True
    path = path.replace("\\\\", "\\")
    try:
        data = irp.result.file(path)
    except KeyError:
        irp.fail(f"there is no file {path} (C: holds: "
                 f"{', '.join(irp.result.files) or 'nothing'})")
    if data is None:
        irp.fail(f"{path} is a directory, not a file")
    return data


@then(parsers.re(r'the (?P<kind>file|directory) "(?P<path>[^"]+)" '
                 r'(?P<negated>does not exist|exists)'))
def then_file_exists(irp: IrpScenario, kind: str, path: str, negated: str) -> None:
    """A file (or directory) is, or is not, on C: at the end of the run (names are
    case-insensitive)."""
    path = path.replace("\\\\", "\\")
    try:
        data = irp.result.file(path)
        found = (data is None) == (kind == "directory")
    except KeyError:
        found = False
    if found != (negated == "exists"):
        irp.fail(f"the {kind} {path} {'exists' if found else 'is not there'} (C: holds: "
                 f"{', '.join(irp.result.files) or 'nothing'})")


@then(parsers.re(r'the file "(?P<path>[^"]+)" is (?P<size>\d+) bytes? long'))
def then_file_size(irp: IrpScenario, path: str, size: str) -> None:
    """EndOfFile of a file on C: at the end of the run."""
    data = _file_data(irp, path)
    if len(data) != int(size):
        irp.fail(f"{path} is {len(data)} bytes long, expected {size}")


@then(parsers.re(r'the file "(?P<path>[^"]+)" holds (?P<runs>\d+ bytes? of 0x[0-9A-Fa-f]{2}'
                 r'(?: then \d+ bytes? of 0x[0-9A-Fa-f]{2})*)$'))
def then_file_runs(irp: IrpScenario, path: str, runs: str) -> None:
    """The whole file, as runs of one byte value: ``1024 bytes of 0xAA then 1024 bytes of
    0xBB`` (nothing before, between or after)."""
    expected = b"".join(bytes([int(value, 16)]) * int(count) for count, value in
                        re.findall(r"(\d+) bytes? of 0x([0-9A-Fa-f]{2})", runs))
    data = _file_data(irp, path)
    if data != expected:
        at = next((i for i in range(min(len(data), len(expected))) if data[i] != expected[i]),
                  min(len(data), len(expected)))
        irp.fail(f"{path} ({len(data)} bytes) differs from {runs} ({len(expected)} bytes) "
                 f"at offset {at}: {data[at:at + 16].hex(' ').upper() or 'end of file'}")


@then(parsers.re(r'the file "(?P<path>[^"]+)" holds "(?P<data>[^"]*)"'))
def then_file_holds(irp: IrpScenario, path: str, data: str) -> None:
    """The whole file, as a buffer pattern: ``"hello"``, ``"AA*16"``, ``"hex: 01 02"``."""
    expected = parse_buffer_pattern(data) if data else b""
    got = _file_data(irp, path)
    if got != expected:
        irp.fail(f"{path} holds {got[:64].hex(' ').upper() or 'nothing'} ({len(got)} bytes), "
                 f"expected {expected[:64].hex(' ').upper() or 'nothing'} "
                 f"({len(expected)} bytes)")


# -- Then: the trace ---------------------------------------------------------------------------


@then(parsers.re(r'the trace(?: of "(?P<name>\w+)")? contains in order:'))
def then_trace_in_order(irp: IrpScenario, name: str | None, datatable: list[list[str]]) -> None:
    header, rows = [c.strip() for c in datatable[0]], datatable[1:]
    view = irp.irp_of(name) if name is not None else irp.trace
    view.contains_in_order([{h: c.strip() for h, c in zip(header, row) if c.strip()}
                            for row in rows])


@then(parsers.re(r'the completion routine of (?P<driver>\w+) saw PendingReturned '
                 r'(?P<value>TRUE|FALSE)'))
def then_completion_saw(irp: IrpScenario, driver: str, value: str) -> None:
    irp.completion_routines(driver).saw_pending_returned(value == "TRUE")


@then(parsers.re(r'the completion routine of (?P<driver>\w+) ran at (?P<irql>[A-Z_]+)'))
def then_completion_irql(irp: IrpScenario, driver: str, irql: str) -> None:
    irp.completion_routines(driver).ran_at(irql)


# -- Then: outcome ---------------------------------------------------------------------------


@then(parsers.re(r'the trace reports a rule violation containing "(?P<text>[^"]*)"'))
def then_violation(irp: IrpScenario, text: str) -> None:
    irp.trace.reports_violation(text)


@then("no bug check occurred")
def then_no_bugcheck(irp: IrpScenario) -> None:
    irp.bugcheck.none()


@then(parsers.re(r'the machine bug-checked with (?P<name>[A-Z_]+) \((?P<code>0x[0-9A-Fa-f]+)\)'))
def then_bugchecked(irp: IrpScenario, name: str, code: str) -> None:
    irp.bugcheck.is_(int(code, 16), name)


@then(parsers.re(r'the bug check parameter (?P<n>[1-4]) is the IRP of "(?P<name>\w+)"'))
def then_bugcheck_param_irp(irp: IrpScenario, n: str, name: str) -> None:
    irp.bugcheck.parameter_is(int(n), f'IRP of "{name}"')


@then(parsers.re(r'the bug check parameter (?P<n>[1-4]) is (?P<value>0x[0-9A-Fa-f]+|\d+|'
                 r'pointer printed after "[^"]+")'))
def then_bugcheck_param(irp: IrpScenario, n: str, value: str) -> None:
    """One parameter, as in the next step: a number, or the pointer a driver printed
    (``pointer printed after "DriverB:pNewIrp:"``); the others are left unchecked."""
    irp.bugcheck.parameter_is(int(n), value)


@then(parsers.re(r'the bug check parameters are (?P<params>.+)'))
def then_bugcheck_params(irp: IrpScenario, params: str) -> None:
    """Four comma-separated values: a number, IRP of "r1", device "\\Device\\X",
    routine "Name", IRQL DISPATCH_LEVEL, status STATUS_X or pointer printed after
    "DriverB:FileObject:" (the hex number a driver printed after that prefix)."""
    irp.bugcheck.parameters_are(params.split(", "))


@then(parsers.re(r'the thread "(?P<thread>\w+)" is still blocked'))
def then_thread_blocked(irp: IrpScenario, thread: str) -> None:
    irp.thread_is_blocked(thread)


@then("no thread is blocked")
def then_no_thread_blocked(irp: IrpScenario) -> None:
    irp.no_thread_is_blocked()
