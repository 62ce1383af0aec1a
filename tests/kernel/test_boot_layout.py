"""The boot-time structures the explorer builds thousands of times: the registry's boot
keys (cm/hive.py) and the instrument hook table (instrument.py), built fast but the same."""

from __future__ import annotations

from harness.kernel import Instrument, Kernel
from harness.kernel.cm.hive import BOOT_KEYS, ConfigurationManager


def test_stacks_services_4_17_boot_keys_are_what_ensure_builds():
    """The fast boot layout gives the tree ensure() gives: every key, its case, volatility,
    no-delete flag and write time."""
    kernel = Kernel()
    fast = ConfigurationManager(kernel)
    slow = ConfigurationManager.__new__(ConfigurationManager)
    slow.kernel = kernel
    slow.root = type(fast.root)("REGISTRY", None, True, kernel.boot_system_time)
    for path, volatile in BOOT_KEYS:
        slow.ensure(path, volatile)

    def walk(node):
        yield (node.path, node.name, node.volatile, node.last_write_time)
        for child in node.sorted_subkeys():
            yield from walk(child)

    # the fast tree also has the CurrentControlSet link key, made by ensure() after
    fast_keys = [k for k in walk(fast.root) if "CurrentControlSet" not in k[0]]
    assert fast_keys == list(walk(slow.root)) and len(fast_keys) == len(BOOT_KEYS) + 1
    for path, _ in BOOT_KEYS:
        node = fast.lookup(path)
        assert node is not None and node.path.lower() == path.lower()
    assert fast.lookup("\\Registry\\Machine").no_delete
    assert not fast.lookup("\\Registry\\Machine\\Software\\Classes").no_delete


def test_hooks_of_two_instruments_of_one_class_are_both_called():
    """The per-class memo of hook names binds each instance's own methods."""
    class Seen(Instrument):
        def __init__(self):
            self.lines = []

        def dbg_print(self, *args):
            self.lines.append(args)

    kernel = Kernel()
    a, b = Seen(), Seen()
    kernel.add_instrument(a)
    kernel.add_instrument(b)
    kernel.hooks.dbg_print("x")
    assert a.lines == [("x",)] and b.lines == [("x",)]
    assert kernel.hooks.irp_call.__name__ == "_noop"
