"""``ThreadedServer``: serve a WSGI app on a real socket (threaded, optional TLS) in a background thread.

Port 0 picks a free port; :attr:`ThreadedServer.url` tells where it listens. werkzeug's per-request log lines are
silenced (the emulator has its own request log), so tests and the CLI keep stdout/stderr clean.
"""

from __future__ import annotations

import ssl
import threading
from types import TracebackType
from typing import Any
from wsgiref.types import WSGIApplication

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from cicd_acceptance.errors import ConfigError

__all__ = ["ThreadedServer", "tls_context"]


class _QuietHandler(WSGIRequestHandler):
    """No access log lines; a dropped connection (our reset fault) is not an error worth printing."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None

    def log(self, type: str, message: str, *args: Any) -> None:
        return None

    def send_response(self, code: int, message: str | None = None) -> None:
        # http.server adds a Date of the real clock; the app sends its own, of the emulated clock, and a client
        # must not see both (gh and others read the first).
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Server", self.version_string())


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    """A server TLS context from PEM files; a bad pair raises ConfigError naming the files."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot load the TLS certificate/key pair ({cert}, {key}): {exc}",
                          source="--tls-cert/--tls-key") from exc
    return context


class ThreadedServer:
    """Serve ``app`` on ``host:port`` until :meth:`stop`.

    >>> with ThreadedServer(make_app(state)) as server:   # doctest: +SKIP
    ...     httpx.get(f"{server.url}/meta")
    """

    def __init__(self, app: WSGIApplication, host: str = "127.0.0.1", port: int = 0, *,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        try:
            self._server: BaseWSGIServer = make_server(host, port, app, threaded=True, request_handler=_QuietHandler,
                                                       ssl_context=ssl_context)
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", source="--host/--port") from exc
        self._tls = ssl_context is not None
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def address(self) -> str:
        """``host:port`` (IPv6 hosts in brackets): the registry's name in image references."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def url(self) -> str:
        """``http(s)://host:port``."""
        return f"{'https' if self._tls else 'http'}://{self.address}"

    def start(self) -> ThreadedServer:
        """Start serving in a daemon thread; returns self."""
        if self._thread is None:
            # A short poll interval keeps stop() quick (shutdown waits for the next poll).
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                            name="emulator-server", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
