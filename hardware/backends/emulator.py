"""``emulator:`` printers: the built-in emulator of this process, reached over loopback TCP.

Going through TCP (rather than calling the emulator directly) makes status
queries and printing take exactly the path of a real network printer.
"""

from __future__ import annotations

from hardware.backends.base import PrinterOffline
from hardware.backends.network import NetworkPrinter
from hardware.printer_url import EmulatorSpec, TcpSpec


class EmulatorPrinter(NetworkPrinter):
    """The emulator registered under the spec's name; PrinterOffline when none is running."""

    def __init__(self, spec: EmulatorSpec, timeout: float) -> None:
        from hardware.emulator import (
            lookup_emulator,  # late: the emulator imports the decoder
        )

        emulator = lookup_emulator(spec.name)
        if emulator is None or emulator.tcp_address is None:
            raise PrinterOffline(f"no printer emulator named {spec.name!r} is running "
                                 "(start one with `servicepoint printer emulate`)")
        host, port = emulator.tcp_address
        super().__init__(TcpSpec(url=spec.url, host=host, port=port, profile=spec.profile), timeout)
