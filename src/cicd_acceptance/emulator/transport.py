"""In-process access to the emulator with httpx: a WSGI transport that behaves like a socket on faults.

``httpx.WSGITransport`` re-raises whatever the app raises; the emulator's connection-reset fault raises
ConnectionResetError, which a client over a real socket would see as ``httpx.ReadError``. This transport makes
in-process tests see the same exception type as server-mode ones.

    >>> client = httpx.Client(transport=EmulatorTransport(make_app(state)), base_url="https://api.github.com")
"""

from __future__ import annotations

import httpx

__all__ = ["EmulatorTransport"]


class EmulatorTransport(httpx.WSGITransport):
    """``httpx.WSGITransport`` that maps an emulated connection reset to ``httpx.ReadError``."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return super().handle_request(request)
        except ConnectionResetError as exc:
            raise httpx.ReadError(str(exc), request=request) from exc
