"""C struct layouts as MSVC lays them out for x86, and access to the scalars inside.

A scenario names a struct (a built-in WDK one or its own ``structs:`` declaration) and
a path into it (``["AllocationLength", 1]``); the harness must then read and write the
very bytes a driver compiled with MSVC for x86 would touch. So the layout is computed
with the compiler's rules, not Python's: members aligned to ``min(natural, /Zp)``,
trailing padding to the struct's alignment, and MSVC's (not GCC's) bitfield packing.
Byte order is little-endian (x86), which :mod:`harness.lang.ctype` already does.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping, Sequence

from harness.lang.ctype import TYPES, CType

#: Packing values MSVC accepts for /Zp and #pragma pack.
PACKS = (1, 2, 4, 8, 16)
#: Largest array length a declaration may ask for (keeps typos like [1000000] loud).
MAX_COUNT = 65536

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# NAME, NAME[N] or NAME:W; ASCII digits only (\d would take other scripts' digits).
_TYPE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(\*)?\s*(?:\[\s*([0-9]+)\s*\])?"
                   r"\s*(?::\s*([0-9]+))?\s*\Z")
# A member may not be called like a C keyword: the declaration would not compile.
_KEYWORDS = frozenset(
    "auto break case char const continue default do double else enum extern float for goto if"
    " inline int long register restrict return short signed sizeof static struct switch"
    " typedef union unsigned void volatile while".split())


class LayoutError(Exception):
    """A struct declaration, type text or field path that does not make sense.

    Attributes:
        message: what is wrong, with a "did you mean" hint where one helps.
        field: index of the offending field declaration (to locate it in the YAML),
            or None when the error is not about one field.
    """

    def __init__(self, message: str, field: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


def _hint(word: str, candidates: Sequence[str]) -> str:
    """A "; did you mean 'X'?" suffix, or "". Matching ignores case: ``ulong`` -> ULONG."""
    by_upper = {c.upper(): c for c in candidates}
    close = difflib.get_close_matches(word.upper(), list(by_upper), n=1)
    return f"; did you mean '{by_upper[close[0]]}'?" if close else ""


class _Sized:
    """Size arithmetic shared by members and parsed types (both have ctype/struct/count)."""

    ctype: CType | None
    struct: Struct | None
    count: int | None

    @property
    def element_size(self) -> int:
        """Size of one element: the array stride, or the whole thing if not an array."""
        if self.struct is not None:
            return self.struct.size
        assert self.ctype is not None      # not a struct: a scalar
        return self.ctype.size

    @property
    def scalar_ctype(self) -> CType:
        """``ctype`` of what is not a struct: the scalar's type, or an array's element
        type (for the caller that knows ``struct`` is None)."""
        assert self.ctype is not None, "a struct has no scalar type"
        return self.ctype

    @property
    def size(self) -> int:
        """Bytes occupied (``sizeof``); a bitfield reports its whole storage unit."""
        return self.element_size * (self.count if self.count is not None else 1)


@dataclass(frozen=True)
class Member(_Sized):
    """One member of a laid-out struct.

    Attributes:
        name: the member name.
        offset: byte offset in the struct (a bitfield: of its storage unit).
        ctype: scalar element type, None for a nested struct member.
        struct: nested struct type, None for a scalar member.
        count: array length, None for a non-array.
        bit: bitfield position within its storage unit (LSB = 0), else None.
        width: bitfield width in bits, else None.
    """

    name: str
    offset: int
    ctype: CType | None = None
    struct: Struct | None = None
    count: int | None = None
    bit: int | None = None
    width: int | None = None


@dataclass(frozen=True)
class Struct:
    """A laid-out struct type.

    Attributes:
        name: the type name.
        members: members in declaration order (union arms share offsets).
        size: ``sizeof``, trailing padding included.
        align: the struct's alignment (already capped by its packing).
    """

    name: str
    members: tuple[Member, ...]
    size: int
    align: int

    def member(self, name: str) -> Member:
        """The member called ``name``.

        Raises:
            LayoutError: no such member (with a did-you-mean, and the list of fields
                when it is short enough to read).
        """
        for m in self.members:
            if m.name == name:
                return m
        names = [m.name for m in self.members]
        listing = f" (fields: {', '.join(names)})" if len(names) <= 12 else ""
        raise LayoutError(f"{self.name} has no field '{name}'{_hint(name, names)}{listing}")


@dataclass(frozen=True)
class TypeSpec(_Sized):
    """A parsed type text: a scalar or struct, maybe an array, maybe a bitfield.

    Attributes:
        text: canonical spelling (``UCHAR[16]``, ``UCHAR:3``).
        ctype: scalar type, None for a struct.
        struct: struct type, None for a scalar.
        count: array length, or None.
        width: bitfield width, or None.
    """

    text: str
    ctype: CType | None = None
    struct: Struct | None = None
    count: int | None = None
    width: int | None = None
    pointee: Any = None          # ``NAME*``: the struct (or scalar type) it points at

    @property
    def align(self) -> int:
        """Natural alignment before packing: a scalar's size, a struct's ``align``;
        an array aligns like its element."""
        if self.struct is not None:
            return self.struct.align
        assert self.ctype is not None      # not a struct: a scalar
        return self.ctype.size


@dataclass(frozen=True)
class FieldRef:
    """One scalar inside a struct, reached by a path.

    Attributes:
        offset: byte offset of the scalar (a bitfield: of its storage unit).
        ctype: its type; exactly ``ctype.size`` bytes at ``offset`` hold it.
        bit: bitfield position in the unit (LSB = 0), or None.
        width: bitfield width, or None.
        path: the path spelled C-style (``Keys[2].MakeCode``), for messages.
    """

    offset: int
    ctype: CType
    bit: int | None
    width: int | None
    path: str

    def _check(self, raw: bytes) -> None:
        # A wrong length is the caller's bug (it sliced the buffer), not the scenario's.
        if len(raw) != self.ctype.size:
            raise ValueError(f"{self.path}: need {self.ctype.size} bytes, got {len(raw)}")

    def wrap(self, value: int) -> int:
        """``value`` as the field holds it after a C store (modulo 2**width for a
        bitfield, sign-extended if its type is signed)."""
        if self.width is None:
            return self.ctype.wrap(value)
        value &= (1 << self.width) - 1
        if self.ctype.signed and value >> (self.width - 1):
            value -= 1 << self.width
        return value

    def decode(self, raw: bytes) -> int:
        """The field's value from the ``ctype.size`` bytes stored at ``offset``."""
        self._check(raw)
        if self.width is None:
            return self.ctype.from_bytes(raw)
        assert self.bit is not None        # a bitfield has both
        return self.wrap(int.from_bytes(raw, "little") >> self.bit)

    def encode(self, raw: bytes, value: int) -> bytes:
        """The ``ctype.size`` bytes to store at ``offset`` so the field holds ``value``.

        A bitfield is a read-modify-write of its unit: the neighbours' bits in ``raw``
        are kept, and ``value`` is cut to the width as C does.
        """
        self._check(raw)
        if self.width is None:
            return self.ctype.to_bytes(value)
        assert self.bit is not None        # a bitfield has both
        mask = ((1 << self.width) - 1) << self.bit
        unit = int.from_bytes(raw, "little") & ~mask | (value << self.bit) & mask
        return unit.to_bytes(self.ctype.size, "little")


def parse_type(text: str, structs: Mapping[str, Struct]) -> TypeSpec:
    """Parse ``NAME``, ``NAME[N]``, ``NAME:W`` (a bitfield) or ``NAME*`` (a pointer to it,
    32-bit); NAME is a ctype or a struct.

    Raises:
        LayoutError: unknown type (did you mean), bad syntax, array length 0 or over
            MAX_COUNT, bitfield width 0 or wider than its type, bitfield of a
            pointer, struct or array.
    """
    m = _TYPE.match(text) if isinstance(text, str) else None
    if m is None:
        raise LayoutError(f"bad type {text!r}: expected NAME, NAME*, NAME[N] or NAME:BITS")
    name, star, count, width = m.group(1), m.group(2), m.group(3), m.group(4)
    ctype, struct = TYPES.get(name), structs.get(name)
    if ctype is None and struct is None:
        raise LayoutError(f"unknown type '{name}'{_hint(name, [*TYPES, *structs])}")
    if star:
        if width is not None:
            raise LayoutError(f"bad type {text!r}: a bitfield needs an integer type, not a "
                              "pointer")
        pointer = TYPES["PVOID"]
        if count is not None:
            n = int(count)
            if not 1 <= n <= MAX_COUNT:
                raise LayoutError(f"bad type {text!r}: array length must be 1..{MAX_COUNT}")
            return TypeSpec(f"{name}*[{n}]", pointer, count=n, pointee=struct or ctype)
        return TypeSpec(f"{name}*", pointer, pointee=struct or ctype)
    if count is not None:
        if width is not None:
            raise LayoutError(f"bad type {text!r}: a bitfield cannot be an array")
        n = int(count)
        if not 1 <= n <= MAX_COUNT:
            raise LayoutError(f"bad type {text!r}: array length must be 1..{MAX_COUNT}")
        return TypeSpec(f"{name}[{n}]", ctype, struct if ctype is None else None, count=n)
    if width is not None:
        # C allows bitfields of integer types only; a pointer is not one.
        if ctype is None or ctype.pointer:
            raise LayoutError(f"bad type {text!r}: a bitfield needs an integer type, not {name}")
        w = int(width)
        if not 1 <= w <= ctype.bits:
            raise LayoutError(f"bad type {text!r}: bitfield width must be 1..{ctype.bits}")
        return TypeSpec(f"{name}:{w}", ctype, width=w)
    return TypeSpec(name, ctype, struct if ctype is None else None)


def _round_up(value: int, align: int) -> int:
    return -(-value // align) * align


def _layout(name: str, decls: Sequence[tuple[str, TypeSpec, int | None]], pack: int) -> Struct:
    """Place members (name, type, explicit offset or None) by the MSVC rules.

    An explicit offset is how the built-ins model an anonymous union: the arms sit at
    the union's offset and the next member follows the longest arm.
    """
    members: list[Member] = []
    end = 0  # first free byte after everything placed so far
    align = 1
    # The open bitfield storage unit: [offset, size in bytes, bits used], or None.
    unit: list[int] | None = None
    for mname, spec, at in decls:
        member_align = min(spec.align, pack)
        align = max(align, member_align)
        if spec.width is not None:
            # MSVC bitfield rules ("C++ Bit Fields" and "Storage and Alignment of
            # Structures" in the MSVC docs): adjacent bitfields share one storage unit of
            # their declared type if the types have the same size (signedness does not
            # matter) and the new field fits in the bits left; otherwise a new unit starts,
            # aligned like a plain member of that type. Bits are allocated LSB first.
            # Unlike GCC, a field never straddles units and a size change always breaks.
            assert spec.ctype is not None      # parse_type: a bitfield is of a scalar type
            size = spec.ctype.size
            if unit is not None and unit[1] == size and unit[2] + spec.width <= size * 8:
                bit = unit[2]
                unit[2] += spec.width
            else:
                unit = [_round_up(end, member_align), size, spec.width]
                bit = 0
                end = unit[0] + size
            members.append(Member(mname, unit[0], spec.ctype, bit=bit, width=spec.width))
            continue
        unit = None  # a non-bitfield member closes the unit
        offset = _round_up(end, member_align) if at is None else at
        members.append(Member(mname, offset, spec.ctype, spec.struct, spec.count))
        end = max(end, offset + spec.size)
    return Struct(name, tuple(members), _round_up(end, align), align)


def declare_struct(name: str, fields: Sequence[tuple[str, str]],
                   structs: Mapping[str, Struct], pack: int = 8) -> Struct:
    """Lay out a user struct from (member name, type text) pairs in declaration order.

    Args:
        name: the struct's type name (a C identifier, not a scalar type's name).
        fields: (member name, type text) in declaration order; see :func:`parse_type`.
        structs: struct types the members may use (built-ins and earlier declarations).
        pack: the /Zp or #pragma pack value (1, 2, 4, 8 or 16; the WDK default is 8).

    Raises:
        LayoutError: ``field`` is the index of a duplicate, badly named or badly typed
            member; None for a bad struct name, a bad pack or no fields.
    """
    if not isinstance(name, str) or not _IDENT.match(name):
        raise LayoutError(f"bad struct name {name!r}: not a C identifier")
    if name in TYPES:
        raise LayoutError(f"struct name '{name}' is already a scalar type")
    if isinstance(pack, bool) or not isinstance(pack, int) or pack not in PACKS:
        raise LayoutError(f"struct {name}: pack must be one of {', '.join(map(str, PACKS))}, "
                          f"not {pack!r}")
    if not fields:
        raise LayoutError(f"struct {name} has no fields (C does not allow an empty struct)")
    seen: dict[str, int] = {}
    decls = []
    for index, (mname, text) in enumerate(fields):
        if not isinstance(mname, str) or not _IDENT.match(mname) or mname in _KEYWORDS:
            raise LayoutError(f"struct {name}: bad field name {mname!r}: not a C identifier",
                              index)
        if mname in seen:
            raise LayoutError(f"struct {name}: duplicate field '{mname}' "
                              f"(first declared as field {seen[mname]})", index)
        seen[mname] = index
        try:
            spec = parse_type(text, structs)
        except LayoutError as err:
            raise LayoutError(f"struct {name}, field '{mname}': {err.message}", index) from None
        decls.append((mname, spec, None))
    return _layout(name, decls, pack)


def resolve_path(struct: Struct, path: Sequence[str | int]) -> FieldRef:
    """The scalar reached by ``path``: names select members, ints index arrays.

    ``["Keys", 2, "MakeCode"]`` is ``Keys[2].MakeCode``.

    Raises:
        LayoutError: unknown member, index out of range, indexing a non-array, or a
            path that stops on a nested struct or a whole array instead of a scalar.
    """
    if not path:
        raise LayoutError(f"empty path into {struct.name}: name a field")
    offset, spelled, current, i = 0, "", struct, 0
    while True:
        step = path[i]
        if not isinstance(step, str):
            where = spelled or current.name
            raise LayoutError(f"{where} is not an array: cannot index it with {step!r}")
        try:
            member = current.member(step)
        except LayoutError as err:
            raise LayoutError(f"{spelled + ': ' if spelled else ''}{err.message}") from None
        spelled += ("." if spelled else "") + step
        offset += member.offset
        i += 1
        if member.count is not None:
            index = path[i] if i < len(path) else None
            if not isinstance(index, int) or isinstance(index, bool):
                raise LayoutError(f"{spelled} is an array of {member.count}: "
                                  f"add an index 0..{member.count - 1}")
            if not 0 <= index < member.count:
                raise LayoutError(f"index {index} out of range for {spelled} "
                                  f"(0..{member.count - 1})")
            spelled += f"[{index}]"
            offset += index * member.element_size
            i += 1
        if member.struct is not None:
            if i == len(path):
                raise LayoutError(f"{spelled} is a struct {member.struct.name}, not a scalar: "
                                  f"name one of its fields")
            current = member.struct
            continue
        assert member.ctype is not None    # not a struct: a scalar
        if i < len(path):
            raise LayoutError(f"{spelled} is a scalar {member.ctype.name}: cannot go on "
                              f"with {path[i]!r}")
        return FieldRef(offset, member.ctype, member.bit, member.width, spelled)


def sizeof(thing: Struct | TypeSpec | CType) -> int:
    """``sizeof`` of a struct, a parsed type or a scalar type."""
    return thing.size


_DECL = re.compile(r"([A-Za-z_]\w*)\s+([A-Za-z_]\w*)\s*(\[\d+\]|:\d+)?\s*(?:@(\d+))?\Z")


def _builtin(name: str, body: str, pack: int = 8,
             structs: Mapping[str, Struct] = MappingProxyType({})) -> Struct:
    """A struct from C-like text: ``TYPE Name``, ``TYPE Name[N]``, ``TYPE Name:W``,
    separated by ';'. ``@OFFSET`` pins a member (union arms); TYPE may be one of
    ``structs``; built-ins only."""
    decls = []
    for text in filter(None, (part.strip() for part in body.split(";"))):
        decl = _DECL.match(text)
        assert decl is not None, text      # the built-in declarations are well formed
        ctype_name, mname, suffix, at = decl.groups()
        spec = parse_type(ctype_name + (suffix or ""), structs)
        decls.append((mname, spec, None if at is None else int(at)))
    return _layout(name, decls, pack)


def _resource_builtins() -> list[Struct]:
    """wdm.h's hardware-resource structs (pnp-hardware §2.5): the CM_RESOURCE_LIST that
    START_DEVICE carries, down to each CM_PARTIAL_RESOURCE_DESCRIPTOR and its union u,
    and the IO_RESOURCE_REQUIREMENTS_LIST of QUERY_RESOURCE_REQUIREMENTS. The union's
    arms are named structs at offset 0 (not built-ins of their own)."""
    # PHYSICAL_ADDRESS is a LARGE_INTEGER: {LowPart, HighPart} over QuadPart, aligned 8
    pa = _builtin("PHYSICAL_ADDRESS", "ULONG LowPart; LONG HighPart; LONGLONG QuadPart @0")
    known = {"PHYSICAL_ADDRESS": pa}

    def arms(owner: str, pack: int, **bodies: str) -> Struct:
        for arm, body in bodies.items():
            known[f"{owner}_{arm}"] = _builtin(f"{owner}.u.{arm}", body, pack, known)
        return _builtin(f"{owner}.u", "; ".join(
            f"{owner}_{arm} {arm} @0" for arm in bodies), pack, known)
    # CM_PARTIAL_RESOURCE_DESCRIPTOR is declared under #include <pshpack4.h>: 16 bytes,
    # u at offset 4, PHYSICAL_ADDRESS only 4-aligned inside it. XP's u.Interrupt has
    # ULONG Level (Vista+ split it into USHORT Level, Group)
    cm_range = "PHYSICAL_ADDRESS Start; ULONG Length"
    known["CM_U"] = arms("CM_PARTIAL_RESOURCE_DESCRIPTOR", 4, Generic=cm_range, Port=cm_range,
                         Interrupt="ULONG Level; ULONG Vector; KAFFINITY Affinity",
                         Memory=cm_range, Dma="ULONG Channel; ULONG Port; ULONG Reserved1",
                         DevicePrivate="ULONG Data[3]",
                         BusNumber="ULONG Start; ULONG Length; ULONG Reserved",
                         DeviceSpecificData="ULONG DataSize; ULONG Reserved1; ULONG Reserved2")
    cm = {
        "CM_PARTIAL_RESOURCE_DESCRIPTOR": ("UCHAR Type; UCHAR ShareDisposition; USHORT Flags;"
                                           " CM_U u", 4),
        "CM_PARTIAL_RESOURCE_LIST": ("USHORT Version; USHORT Revision; ULONG Count;"
                                     " CM_PARTIAL_RESOURCE_DESCRIPTOR PartialDescriptors[1]",
                                     8),
        # InterfaceType is an INTERFACE_TYPE enum: a 32-bit int
        "CM_FULL_RESOURCE_DESCRIPTOR": ("LONG InterfaceType; ULONG BusNumber;"
                                        " CM_PARTIAL_RESOURCE_LIST PartialResourceList", 8),
        "CM_RESOURCE_LIST": ("ULONG Count; CM_FULL_RESOURCE_DESCRIPTOR List[1]", 8),
    }
    io_range = ("ULONG Length; ULONG Alignment; PHYSICAL_ADDRESS MinimumAddress;"
                " PHYSICAL_ADDRESS MaximumAddress")
    known["IO_U"] = arms("IO_RESOURCE_DESCRIPTOR", 8, Port=io_range, Memory=io_range,
                         Interrupt="ULONG MinimumVector; ULONG MaximumVector",
                         Dma="ULONG MinimumChannel; ULONG MaximumChannel", Generic=io_range,
                         DevicePrivate="ULONG Data[3]",
                         BusNumber="ULONG Length; ULONG MinBusNumber; ULONG MaxBusNumber;"
                                   " ULONG Reserved",
                         ConfigData="ULONG Priority; ULONG Reserved1; ULONG Reserved2")
    io = {
        "IO_RESOURCE_DESCRIPTOR": ("UCHAR Option; UCHAR Type; UCHAR ShareDisposition;"
                                   " UCHAR Spare1; USHORT Flags; USHORT Spare2; IO_U u", 8),
        "IO_RESOURCE_LIST": ("USHORT Version; USHORT Revision; ULONG Count;"
                             " IO_RESOURCE_DESCRIPTOR Descriptors[1]", 8),
        "IO_RESOURCE_REQUIREMENTS_LIST": ("ULONG ListSize; LONG InterfaceType;"
                                          " ULONG BusNumber; ULONG SlotNumber;"
                                          " ULONG Reserved[3]; ULONG AlternativeLists;"
                                          " IO_RESOURCE_LIST List[1]", 8),
    }
    out = [pa]
    for name, (body, pack) in {**cm, **io}.items():
        known[name] = _builtin(name, body, pack, known)
        out.append(known[name])
    return out


_BUILTINS = [
    # ntddkbd.h
    _builtin("KEYBOARD_INPUT_DATA", "USHORT UnitId; USHORT MakeCode; USHORT Flags;"
             " USHORT Reserved; ULONG ExtraInformation"),
    _builtin("KEYBOARD_INDICATOR_PARAMETERS", "USHORT UnitId; USHORT LedFlags"),
    # kbdmou.h: what a class driver hands its port in IOCTL_INTERNAL_KEYBOARD_CONNECT
    _builtin("CONNECT_DATA", "PDEVICE_OBJECT ClassDeviceObject; PVOID ClassService"),
    # ntddmou.h: union { ULONG Buttons; struct { USHORT ButtonFlags; USHORT ButtonData; }; }
    _builtin("MOUSE_INPUT_DATA", "USHORT UnitId; USHORT Flags; ULONG Buttons @4;"
             " USHORT ButtonFlags @4; USHORT ButtonData @6; ULONG RawButtons;"
             " LONG LastX; LONG LastY; ULONG ExtraInformation"),
    # wdm.h / ntddk.h file information classes; LARGE_INTEGER aligns to 8 on x86 too.
    _builtin("FILE_STANDARD_INFORMATION", "LARGE_INTEGER AllocationSize;"
             " LARGE_INTEGER EndOfFile; ULONG NumberOfLinks; BOOLEAN DeletePending;"
             " BOOLEAN Directory"),
    _builtin("FILE_POSITION_INFORMATION", "LARGE_INTEGER CurrentByteOffset"),
    _builtin("FILE_BASIC_INFORMATION", "LARGE_INTEGER CreationTime;"
             " LARGE_INTEGER LastAccessTime; LARGE_INTEGER LastWriteTime;"
             " LARGE_INTEGER ChangeTime; ULONG FileAttributes"),
    _builtin("FILE_END_OF_FILE_INFORMATION", "LARGE_INTEGER EndOfFile"),
    _builtin("FILE_DISPOSITION_INFORMATION", "BOOLEAN DeleteFile"),
    # wdm.h: RtlTimeToTimeFields' output, all CSHORT (Weekday 0 = Sunday).
    _builtin("TIME_FIELDS", "CSHORT Year; CSHORT Month; CSHORT Day; CSHORT Hour;"
             " CSHORT Minute; CSHORT Second; CSHORT Milliseconds; CSHORT Weekday"),
    # ntdef.h LIST_ENTRY inside a record (a LIST_ENTRY variable itself is a list object)
    _builtin("LIST_ENTRY", "PVOID Flink; PVOID Blink"),
    # ntdef.h: Buffer is a PWCH, a 32-bit pointer here.
    _builtin("UNICODE_STRING", "USHORT Length; USHORT MaximumLength; PVOID Buffer"),
    # ntdef.h: ANSI_STRING is the STRING typedef, Buffer a PCHAR.
    _builtin("ANSI_STRING", "USHORT Length; USHORT MaximumLength; PVOID Buffer"),
    # wdm.h: the Status/Pointer union is 32 bits on x86.
    _builtin("IO_STATUS_BLOCK", "LONG Status; ULONG_PTR Information"),
    # wdm.h / ntddk.h registry information classes (stacks-services 4.20, 4.21): the last
    # member is the variable-length part (ANYSIZE_ARRAY), reached through its address
    _builtin("KEY_VALUE_PARTIAL_INFORMATION", "ULONG TitleIndex; ULONG Type;"
             " ULONG DataLength; UCHAR Data[1]"),
    _builtin("KEY_VALUE_BASIC_INFORMATION", "ULONG TitleIndex; ULONG Type;"
             " ULONG NameLength; WCHAR Name[1]"),
    _builtin("KEY_VALUE_FULL_INFORMATION", "ULONG TitleIndex; ULONG Type; ULONG DataOffset;"
             " ULONG DataLength; ULONG NameLength; WCHAR Name[1]"),
    _builtin("KEY_BASIC_INFORMATION", "LARGE_INTEGER LastWriteTime; ULONG TitleIndex;"
             " ULONG NameLength; WCHAR Name[1]"),
    _builtin("KEY_NODE_INFORMATION", "LARGE_INTEGER LastWriteTime; ULONG TitleIndex;"
             " ULONG ClassOffset; ULONG ClassLength; ULONG NameLength; WCHAR Name[1]"),
    _builtin("KEY_FULL_INFORMATION", "LARGE_INTEGER LastWriteTime; ULONG TitleIndex;"
             " ULONG ClassOffset; ULONG ClassLength; ULONG SubKeys; ULONG MaxNameLen;"
             " ULONG MaxClassLen; ULONG Values; ULONG MaxValueNameLen; ULONG MaxValueDataLen;"
             " WCHAR Class[1]"),
    # scsi.h: arms of union _CDB (under #pragma pack(push, cdb, 1) there); all UCHAR.
    _builtin("CDB6GENERIC", "UCHAR OperationCode; UCHAR Immediate:1;"
             " UCHAR CommandUniqueBits:4; UCHAR LogicalUnitNumber:3;"
             " UCHAR CommandUniqueBytes[3]; UCHAR Link:1; UCHAR Flag:1; UCHAR Reserved:4;"
             " UCHAR VendorUnique:2", pack=1),
    _builtin("MODE_SENSE", "UCHAR OperationCode; UCHAR Reserved1:3; UCHAR Dbd:1;"
             " UCHAR Reserved2:1; UCHAR LogicalUnitNumber:3; UCHAR PageCode:6; UCHAR Pc:2;"
             " UCHAR Reserved3; UCHAR AllocationLength; UCHAR Control", pack=1),
    _builtin("MODE_SENSE10", "UCHAR OperationCode; UCHAR Reserved1:3; UCHAR Dbd:1;"
             " UCHAR Reserved2:1; UCHAR LogicalUnitNumber:3; UCHAR PageCode:6; UCHAR Pc:2;"
             " UCHAR Reserved3[4]; UCHAR AllocationLength[2]; UCHAR Control", pack=1),
    _builtin("CDB10", "UCHAR OperationCode; UCHAR RelativeAddress:1; UCHAR Reserved1:2;"
             " UCHAR ForceUnitAccess:1; UCHAR DisablePageOut:1; UCHAR LogicalUnitNumber:3;"
             " UCHAR LogicalBlockByte0; UCHAR LogicalBlockByte1; UCHAR LogicalBlockByte2;"
             " UCHAR LogicalBlockByte3; UCHAR Reserved2; UCHAR TransferBlocksMsb;"
             " UCHAR TransferBlocksLsb; UCHAR Control", pack=1),
    # scsi.h mode parameter list headers; all UCHAR, so the packing is moot.
    _builtin("MODE_PARAMETER_HEADER", "UCHAR ModeDataLength; UCHAR MediumType;"
             " UCHAR DeviceSpecificParameter; UCHAR BlockDescriptorLength", pack=1),
    _builtin("MODE_PARAMETER_HEADER10", "UCHAR ModeDataLength[2]; UCHAR MediumType;"
             " UCHAR DeviceSpecificParameter; UCHAR Reserved[2];"
             " UCHAR BlockDescriptorLength[2]", pack=1),
    _builtin("MODE_PARAMETER_BLOCK", "UCHAR DensityCode; UCHAR NumberOfBlocks[3];"
             " UCHAR Reserved; UCHAR BlockLength[3]", pack=1),
    *_resource_builtins(),
]


def _scsi_builtins(known: Mapping[str, Struct]) -> list[Struct]:
    """srb.h / scsi.h for the storage stack (stacks-services §3.2-§3.3): the x86
    SCSI_REQUEST_BLOCK (64 bytes, the CDB at offset 48), the CDB union over the arms
    above (a PCDB reads ``cdb->CDB6GENERIC.OperationCode``) and fixed-format SENSE_DATA."""
    srb = _builtin("SCSI_REQUEST_BLOCK", "USHORT Length; UCHAR Function; UCHAR SrbStatus;"
                   " UCHAR ScsiStatus; UCHAR PathId; UCHAR TargetId; UCHAR Lun;"
                   " UCHAR QueueTag; UCHAR QueueAction; UCHAR CdbLength;"
                   " UCHAR SenseInfoBufferLength; ULONG SrbFlags; ULONG DataTransferLength;"
                   " ULONG TimeOutValue; PVOID DataBuffer; PVOID SenseInfoBuffer;"
                   " PVOID NextSrb; PVOID OriginalRequest; PVOID SrbExtension;"
                   " ULONG InternalStatus; ULONG QueueSortKey @44; UCHAR Cdb[16]")
    cdb = _builtin("CDB", "CDB6GENERIC CDB6GENERIC @0; MODE_SENSE MODE_SENSE @0;"
                   " MODE_SENSE10 MODE_SENSE10 @0; CDB10 CDB10 @0; UCHAR AsByte[16] @0",
                   pack=1, structs=known)
    sense = _builtin("SENSE_DATA", "UCHAR ErrorCode:7; UCHAR Valid:1; UCHAR SegmentNumber;"
                     " UCHAR SenseKey:4; UCHAR Reserved:1; UCHAR IncorrectLength:1;"
                     " UCHAR EndOfMedia:1; UCHAR FileMark:1; UCHAR Information[4];"
                     " UCHAR AdditionalSenseLength; UCHAR CommandSpecificInformation[4];"
                     " UCHAR AdditionalSenseCode; UCHAR AdditionalSenseCodeQualifier;"
                     " UCHAR FieldReplaceableUnitCode; UCHAR SenseKeySpecific[3]", pack=1)
    return [srb, cdb, sense]


_BUILTINS += _scsi_builtins({s.name: s for s in _BUILTINS})


def _pnp_notification_builtins() -> list[Struct]:
    """guiddef.h's GUID and wdm.h's DEVICE_INTERFACE_CHANGE_NOTIFICATION (pnp-hardware
    §3.3): 40 bytes on x86, the GUIDs at 4 and 20, SymbolicLinkName a PUNICODE_STRING at
    36 (a log prints it with ``:wZ``)."""
    guid = _builtin("GUID", "ULONG Data1; USHORT Data2; USHORT Data3; UCHAR Data4[8]")
    change = _builtin("DEVICE_INTERFACE_CHANGE_NOTIFICATION", "USHORT Version; USHORT Size;"
                      " GUID Event; GUID InterfaceClassGuid; PVOID SymbolicLinkName",
                      structs={"GUID": guid})
    return [guid, change]


_BUILTINS += _pnp_notification_builtins()

#: The built-in WDK structs (x86 layouts), by name; read-only.
BUILTIN: Mapping[str, Struct] = MappingProxyType({s.name: s for s in _BUILTINS})

#: MODE_PARAMETER_HEADER(10).DeviceSpecificParameter bit: the medium is write-protected.
MODE_DSP_WRITE_PROTECT = 0x80
