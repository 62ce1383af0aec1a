"""C integer types with the WDK's names and the widths of the modelled machine.

The machine is the book's: x86, 32-bit (ILP32). ``ULONG`` is 32 bits, ``LONGLONG``
64, and pointers, ``HANDLE``, ``ULONG_PTR`` and ``SIZE_T`` are 32 bits wide. A value
of a type is a Python int already reduced to the type's range; :meth:`CType.wrap`
reduces any int the way a C store does (two's complement, modulo 2**bits).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Width of a pointer on the modelled machine (x86).
POINTER_BITS = 32


@dataclass(frozen=True)
class CType:
    """One C integer type.

    Attributes:
        name: the WDK name (``ULONG``, ``LONGLONG``, ``PVOID``).
        bits: width in bits (8, 16, 32, 64).
        signed: two's-complement signed or unsigned.
        pointer: a pointer or handle (for printing and for struct alignment it is
            an unsigned integer of POINTER_BITS).
    """

    name: str
    bits: int
    signed: bool
    pointer: bool = False

    @property
    def size(self) -> int:
        """Size in bytes (``sizeof``); also its natural alignment on x86."""
        return self.bits // 8

    @property
    def min(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def max(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    def wrap(self, value: int) -> int:
        """Reduce ``value`` to this type as a C conversion does (modulo 2**bits)."""
        value &= (1 << self.bits) - 1
        if self.signed and value >> (self.bits - 1):
            value -= 1 << self.bits
        return value

    def to_bytes(self, value: int) -> bytes:
        """Little-endian bytes of ``value`` after wrapping (x86 byte order)."""
        return (self.wrap(value) & ((1 << self.bits) - 1)).to_bytes(self.size, "little")

    def from_bytes(self, data: bytes) -> int:
        """The value stored little-endian in ``data`` (exactly ``size`` bytes)."""
        return self.wrap(int.from_bytes(data, "little"))

    def __str__(self) -> str:
        return self.name


def _types() -> dict[str, CType]:
    table: dict[str, CType] = {}

    def add(names: str, bits: int, signed: bool, pointer: bool = False) -> None:
        for name in names.split():
            table[name] = CType(name, bits, signed, pointer)

    add("UCHAR BYTE BOOLEAN", 8, False)
    add("CHAR CCHAR", 8, True)
    add("USHORT WORD WCHAR CSHORT", 16, False)
    add("SHORT", 16, True)
    add("ULONG DWORD UINT32 NTSTATUS_U KAFFINITY", 32, False)
    add("LONG INT32 NTSTATUS BOOL", 32, True)
    add("ULONGLONG DWORD64 UINT64", 64, False)
    add("LONGLONG INT64 LARGE_INTEGER", 64, True)
    add("ULONG_PTR SIZE_T", POINTER_BITS, False)
    add("LONG_PTR", POINTER_BITS, True)
    add("PVOID HANDLE PIRP PDEVICE_OBJECT PMDL PUCHAR PCHAR PULONG PFILE_OBJECT PKEVENT"
        " PDRIVER_OBJECT PIO_STATUS_BLOCK PETHREAD PKTHREAD PEPROCESS PKSEMAPHORE PKMUTEX"
        " PRKMUTEX PFAST_MUTEX PKTIMER PKINTERRUPT", POINTER_BITS, False, True)
    del table["NTSTATUS_U"]
    return table


#: Every integer type a scenario may name, by WDK name.
TYPES: dict[str, CType] = _types()

LONG = TYPES["LONG"]
ULONG = TYPES["ULONG"]
LONGLONG = TYPES["LONGLONG"]
ULONGLONG = TYPES["ULONGLONG"]
UCHAR = TYPES["UCHAR"]
BOOLEAN = TYPES["BOOLEAN"]
