"""DEVICE_CAPABILITIES: what IRP_MN_QUERY_CAPABILITIES carries (pnp-hardware §2.6).

The PnP manager presets the structure (zeroed, Size, Version 1, Address and UINumber
0xFFFFFFFF) and sends it twice: to the PDO alone before AddDevice, and to the whole
stack after the first start. The bus driver fills its fields; the root enumerator fills
what the scenario declares for the devnode (``capabilities:``). The PnP manager keeps
the answer: EjectSupported decides whether an eject ends with IRP_MN_EJECT (§2.10).

Simplified: the bit fields are Python booleans, not the packed ULONG of the C
structure, and drivers in a scenario cannot edit them (no block reaches the structure);
the power-state fields (DeviceState[], SystemWake, D1Latency, ...) are not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

#: the bit fields the model carries, in the structure's order
FLAGS = ("LockSupported", "EjectSupported", "Removable", "DockDevice", "UniqueID",
         "SilentInstall", "RawDeviceOK", "SurpriseRemovalOK")


@dataclass
class DeviceCapabilities:  # noqa: D101 - fields are the WDK's
    Size: int = 0
    Version: int = 0
    LockSupported: bool = False
    EjectSupported: bool = False
    Removable: bool = False
    DockDevice: bool = False
    UniqueID: bool = False
    SilentInstall: bool = False
    RawDeviceOK: bool = False
    SurpriseRemovalOK: bool = False
    Address: int = 0
    UINumber: int = 0

    @classmethod
    def preset(cls) -> "DeviceCapabilities":
        """What the PnP manager sends (§2.6): zeroed, Size = sizeof (0x40 on x86),
        Version 1, Address and UINumber 0xFFFFFFFF."""
        return cls(Size=0x40, Version=1, Address=0xFFFFFFFF, UINumber=0xFFFFFFFF)

    @classmethod
    def declared(cls, flags: dict[str, bool]) -> "DeviceCapabilities":
        """The capabilities a bus reports for a device: the named bit fields set."""
        unknown = set(flags) - set(FLAGS)
        if unknown:
            raise ValueError(f"no DEVICE_CAPABILITIES bit field {sorted(unknown)}")
        return cls(**flags)

    def fill(self, bus: "DeviceCapabilities") -> None:
        """The bus driver's answer: its bit fields set in this structure (the drivers
        above may have set others on the way down, §2.6)."""
        for name in FLAGS:
            if getattr(bus, name):
                setattr(self, name, True)

    def __repr__(self) -> str:
        set_flags = [f.name for f in fields(self) if f.name in FLAGS and getattr(self, f.name)]
        return f"<DEVICE_CAPABILITIES {' '.join(set_flags) or 'none'}>"
