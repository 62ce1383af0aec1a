"""The registry's keys and values, and how a key name is parsed (stacks-services 4.17, 4.18).

The configuration manager keeps a tree of keys under one root, ``\\REGISTRY``, which
the object manager knows as a named object of type Key: a name that starts there is
handed to the CM's parse routine (CmpParseKey), which walks the rest one component at
a time. Names are case-insensitive and keep the case they were created with. A key
holds subkeys (enumerated in alphabetical order of their up-cased names, as the hive's
sorted index leaves them) and typed values (in the order they were first set; setting
an existing value replaces it in place).

Simplified: one tree rather than hive files (every key is in memory; "non-volatile"
only says what survives a reboot: :meth:`ConfigurationManager.snapshot` with
``persistent``); no security descriptors, classes are kept but never checked, no
notifications, transactions or registry callbacks. ``CurrentControlSet`` is a link
key to ``ControlSet001`` (a REG_LINK ``SymbolicLinkValue``), followed while parsing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from ..constants import REG_DWORD, REG_EXPAND_SZ, REG_LINK
from ..ke.clock import ke_query_system_time
from ..ob.object import ObjectType

if TYPE_CHECKING:
    from ..ke.machine import Machine as Kernel

#: CmpKeyObjectType: key bodies have no delete procedure to run (no IRP to send).
CmpKeyObjectType = ObjectType("Key")
ROOT_NAME = "\\REGISTRY"
#: CurrentControlSet's target (XP: \Registry\Machine\System\Select Current = 1).
CONTROL_SET = "\\Registry\\Machine\\System\\ControlSet001"
CURRENT_CONTROL_SET = "\\Registry\\Machine\\System\\CurrentControlSet"
SERVICES = CURRENT_CONTROL_SET + "\\Services"
#: Keys every XP machine has (the hives' roots and the paths the RTL_REGISTRY_* roots
#: name); (path, volatile). HARDWARE is built at every boot: a volatile hive.
BOOT_KEYS = (
    ("\\Registry\\Machine", True), ("\\Registry\\User", True),
    ("\\Registry\\Machine\\Hardware", True), ("\\Registry\\Machine\\Hardware\\DeviceMap", True),
    ("\\Registry\\Machine\\Hardware\\Description", True),
    ("\\Registry\\Machine\\Sam", False), ("\\Registry\\Machine\\Security", False),
    ("\\Registry\\Machine\\Software", False),
    ("\\Registry\\Machine\\Software\\Classes", False),
    ("\\Registry\\Machine\\Software\\Microsoft", False),
    ("\\Registry\\Machine\\Software\\Microsoft\\Windows NT", False),
    ("\\Registry\\Machine\\Software\\Microsoft\\Windows NT\\CurrentVersion", False),
    ("\\Registry\\Machine\\System", False), (CONTROL_SET, False),
    (CONTROL_SET + "\\Control", False), (CONTROL_SET + "\\Enum", False),
    (CONTROL_SET + "\\Hardware Profiles", False), (CONTROL_SET + "\\Services", False),
    ("\\Registry\\Machine\\System\\Select", False),
    ("\\Registry\\User\\.Default", False),
)
#: The keys a driver cannot delete: \REGISTRY, the two roots and each hive's root key
#: (a hive root has KEY_HIVE_ENTRY | KEY_NO_DELETE: ZwDeleteKey gives STATUS_CANNOT_DELETE).
_NO_DELETE = frozenset(k.lower() for k in (
    "\\Registry\\Machine", "\\Registry\\User", "\\Registry\\Machine\\Hardware",
    "\\Registry\\Machine\\Sam", "\\Registry\\Machine\\Security",
    "\\Registry\\Machine\\Software", "\\Registry\\Machine\\System",
    "\\Registry\\User\\.Default"))


def _boot_layout() -> tuple[tuple[str, str, bool, bool], ...]:
    """BOOT_KEYS as (parent's up-cased path after \\Registry, name, volatile, no_delete),
    parents first."""
    out: list[tuple[str, str, bool, bool]] = []
    for path, volatile in BOOT_KEYS:
        parts = path.split("\\")[2:]
        parent = "".join("\\" + p.upper() for p in parts[:-1])
        assert parent == "" or any(parent == o[0] + "\\" + o[1].upper() for o in out)
        out.append((parent, parts[-1], volatile, path.lower() in _NO_DELETE))
    return tuple(out)


_BOOT_LAYOUT = _boot_layout()


class KeyValue:
    """One value of a key: its name (as first set), REG_* type and raw data bytes."""

    __slots__ = ("name", "type", "data")

    def __init__(self, name: str, value_type: int, data: bytes) -> None:
        self.name, self.type, self.data = name, value_type, data

    def __repr__(self) -> str:
        return f"<KeyValue {self.name!r} type {self.type} {len(self.data)} bytes>"


class KeyNode:
    """CM_KEY_NODE: a key in the tree. ``deleted`` once ZwDeleteKey removed it: handles
    to it stay valid for ZwClose and every other use gives STATUS_KEY_DELETED (4.22)."""

    __slots__ = ("name", "parent", "subkeys", "values", "volatile", "deleted",
                 "last_write_time", "class_name", "link", "no_delete")

    def __init__(self, name: str, parent: "KeyNode | None", volatile: bool, time: int,
                 class_name: str = "") -> None:
        self.name = name
        self.parent = parent
        self.subkeys: dict[str, KeyNode] = {}       # up-cased name -> key
        self.values: dict[str, KeyValue] = {}       # up-cased name -> value, set order
        self.volatile = volatile
        self.deleted = False
        self.last_write_time = time
        self.class_name = class_name
        self.link: str | None = None                # a link key's target path
        self.no_delete = False

    @property
    def path(self) -> str:
        parts: list[str] = []
        node: KeyNode | None = self
        while node is not None and node.parent is not None:
            parts.append(node.name)
            node = node.parent
        return "\\Registry" + "".join("\\" + p for p in reversed(parts))

    def sorted_subkeys(self) -> list["KeyNode"]:
        """Subkeys in enumeration order: by up-cased name (4.21)."""
        return [self.subkeys[k] for k in sorted(self.subkeys)]

    def value(self, name: str) -> KeyValue | None:
        return self.values.get(name.upper())

    def __repr__(self) -> str:
        flags = " volatile" if self.volatile else ""
        flags += " deleted" if self.deleted else ""
        return f"<Key {self.path}{flags}: {len(self.subkeys)} subkeys, {len(self.values)} values>"


class KeyBody:
    """CM_KEY_BODY: what a key handle refers to (one per open)."""

    __slots__ = ("node", "kernel")
    object_type = CmpKeyObjectType

    def __init__(self, kernel: "Kernel", node: KeyNode) -> None:
        self.kernel, self.node = kernel, node

    def __repr__(self) -> str:
        return f"<KeyBody {self.node.path}{' (deleted)' if self.node.deleted else ''}>"


class ConfigurationManager:
    """The machine's registry: the key tree and its boot-time layout."""

    def __init__(self, kernel: "Kernel") -> None:
        self.kernel = kernel
        self.root = KeyNode("REGISTRY", None, True, kernel.boot_system_time)
        self.root.no_delete = True
        # BOOT_KEYS lists parents first: each key is one add_subkey (what ensure() would
        # do, without walking from the root again; every machine boots many of these)
        time = ke_query_system_time(kernel)
        nodes = {"": self.root}
        for parent, name, volatile, no_delete in _BOOT_LAYOUT:
            node = KeyNode(name, nodes[parent], volatile, time)
            nodes[parent].subkeys[name.upper()] = node
            node.no_delete = no_delete
            nodes[parent + "\\" + name.upper()] = node
        link = self.ensure(CURRENT_CONTROL_SET, True)      # created volatile at each boot
        link.link = CONTROL_SET
        link.values["SYMBOLICLINKVALUE"] = KeyValue(
            "SymbolicLinkValue", REG_LINK, CONTROL_SET.encode("utf-16-le"))
        select = self.ensure("\\Registry\\Machine\\System\\Select", False)
        for name in ("Current", "Default", "LastKnownGood"):
            select.values[name.upper()] = KeyValue(name, REG_DWORD, (1).to_bytes(4, "little"))

    # -- names -------------------------------------------------------------------------
    @staticmethod
    def components(path: str) -> list[str] | None:
        """The components after ``\\Registry`` of an absolute registry path, or None if
        the path is not under \\Registry."""
        parts = path.split("\\")
        if len(parts) < 2 or parts[0] != "" or parts[1].upper() != "REGISTRY":
            return None
        return parts[2:]

    def walk(self, start: KeyNode, parts: Iterable[str], follow_last: bool = True
             ) -> tuple[KeyNode, int]:
        """Follow ``parts`` from ``start`` (links followed): (the key, how many parts
        were consumed before one was missing). A missing part gives (its parent, index)."""
        node = start
        parts = list(parts)
        for index, part in enumerate(parts):
            child = node.subkeys.get(part.upper())
            if child is None:
                return node, index
            if child.link is not None and (follow_last or index < len(parts) - 1):
                target = self.lookup(child.link)
                if target is None:
                    return node, index
                child = target
            node = child
        return node, len(parts)

    def lookup(self, path: str) -> KeyNode | None:
        """The key at an absolute path, or None."""
        parts = self.components(path)
        if parts is None or any(p == "" for p in parts):
            return None
        node, used = self.walk(self.root, parts)
        return node if used == len(parts) else None

    # -- building (boot and the scenario's registry: section) ------------------------------
    def ensure(self, path: str, volatile: bool = False) -> KeyNode:
        """Create every missing key of ``path`` (boot-time setup only: a driver's
        ZwCreateKey creates one level, 4.18)."""
        parts = self.components(path)
        if parts is None or any(p == "" for p in parts):
            raise ValueError(f"{path!r} is not a key path under \\Registry")
        node = self.root
        for index, part in enumerate(parts):
            child = node.subkeys.get(part.upper())
            if child is None:
                child = self.add_subkey(node, part, volatile)
            elif child.link is not None and index < len(parts) - 1:
                child = self.lookup(child.link)
                assert child is not None
            node = child
        return node

    def add_subkey(self, parent: KeyNode, name: str, volatile: bool,
                   class_name: str = "") -> KeyNode:
        time = ke_query_system_time(self.kernel)
        child = KeyNode(name, parent, volatile, time, class_name)
        parent.subkeys[name.upper()] = child
        parent.last_write_time = time
        return child

    def set_value(self, node: KeyNode, name: str, value_type: int, data: bytes) -> None:
        """CmSetValueKey: a new value goes last, an existing one is replaced in place."""
        key = name.upper()
        existing = node.values.get(key)
        if existing is not None:
            existing.type, existing.data = value_type, data
        else:
            node.values[key] = KeyValue(name, value_type, data)
        node.last_write_time = ke_query_system_time(self.kernel)

    def delete(self, node: KeyNode) -> None:
        """Remove a key without subkeys from the tree, at once (4.22)."""
        parent = node.parent
        assert parent is not None and not node.subkeys
        del parent.subkeys[node.name.upper()]
        parent.last_write_time = ke_query_system_time(self.kernel)
        node.deleted = True

    def install(self, path: str, volatile: bool, values: Iterable[tuple[str, int, bytes]]
                ) -> KeyNode:
        """A key the machine boots with (the scenario's registry: section), missing
        parents created, its values set in order."""
        node = self.ensure(path, volatile)
        for name, value_type, data in values:
            self.set_value(node, name, value_type, data)
        return node

    def create_service_key(self, name: str, start: int = 3, image_path: str = "") -> KeyNode:
        """A driver's service key, as CreateService writes it: Type 1
        (SERVICE_KERNEL_DRIVER), Start, ErrorControl 1 (SERVICE_ERROR_NORMAL) and the
        ImagePath it was given; without one, System32\\Drivers\\<name>.sys to the loader."""
        node = self.ensure(f"{SERVICES}\\{name}")
        for value, data in (("Type", 1), ("Start", start), ("ErrorControl", 1)):
            self.set_value(node, value, REG_DWORD, data.to_bytes(4, "little"))
        if image_path:
            self.set_value(node, "ImagePath", REG_EXPAND_SZ,
                           (image_path + "\0").encode("utf-16-le"))
        return node

    # -- the run's outcome -------------------------------------------------------------------
    def snapshot(self, persistent: bool = False) -> dict[str, dict[str, tuple[int, bytes]]]:
        """Every key's path -> {value name: (type, data)} in creation order; with
        ``persistent`` only what survives a reboot (no volatile key or key under one)."""
        out: dict[str, dict[str, tuple[int, bytes]]] = {}

        def visit(node: KeyNode) -> None:
            if persistent and node.volatile and node.parent is not None and \
                    node.path.lower() not in _NO_DELETE:
                return
            if node.link is None:
                out[node.path] = {v.name: (v.type, v.data) for v in node.values.values()}
                for child in node.sorted_subkeys():
                    visit(child)
        visit(self.root)
        return out
