"""The loopback rule: plain http is acceptable only to this machine (the emulator, a local registry).

Settings, the registry client and its token flow all ask the same question, so they share one answer (a prefix
test once let ``127.example.com`` pass).
"""

from __future__ import annotations

import ipaddress

__all__ = ["is_loopback_host"]


def is_loopback_host(host: str) -> bool:
    """True for localhost and 127.0.0.0/8 / ::1 (the only hosts we talk plain http to)."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
