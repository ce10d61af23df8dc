"""``make_app(state)``: the emulator's one WSGI app (GitHub API, registry, control API, downloads).

Layers, outermost first: the request log (everything but ``/_emulator/``), fault injection (per method and path,
for the API and the registry alike), then dispatch by path: ``/v2/...`` and ``/token`` go to the registry half,
``/_logs/...`` and ``/_artifacts/...`` serve downloads (:mod:`~cicd_acceptance.emulator.github.downloads`), ``/graphql``
the GraphQL API, everything else is the GitHub REST API (at the root and under ``/api/v3``). The same app runs
in-process (``httpx.WSGITransport``) and on a socket (:class:`~cicd_acceptance.emulator.server.ThreadedServer`).
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable, Iterable
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from cicd_acceptance.emulator.control import ControlApi
from cicd_acceptance.emulator.faults import Fault
from cicd_acceptance.emulator.github.downloads import download_route, serve_download
from cicd_acceptance.emulator.github.routes import GitHubApi
from cicd_acceptance.emulator.github.routes_graphql import GRAPHQL_PATHS, answer_graphql
from cicd_acceptance.emulator.registry.app import make_registry_app
from cicd_acceptance.emulator.requestlog import RequestRecord
from cicd_acceptance.emulator.responses import error, split_api_prefix

if TYPE_CHECKING:
    from cicd_acceptance.emulator.state import EmulatorState

__all__ = ["EmulatorApp", "WSGIApp", "make_app", "registry_route"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_REGISTRY_KINDS = ("manifests", "blobs/uploads", "blobs", "tags", "referrers")


def registry_route(method: str, path: str) -> str:
    """A template for a registry path (``GET /v2/{name}/manifests/{reference}``) for the request log."""
    if path in {"/v2", "/v2/", "/token"}:
        return f"{method} {path}"
    for kind in _REGISTRY_KINDS:
        marker = f"/{kind}/"
        if marker in path or path.endswith(f"/{kind}"):
            suffix = {"manifests": "/manifests/{reference}", "blobs": "/blobs/{digest}",
                      "blobs/uploads": "/blobs/uploads/{upload}", "tags": "/tags/list",
                      "referrers": "/referrers/{digest}"}[kind]
            return f"{method} /v2/{{name}}{suffix}"
    return f"{method} /v2/(unknown)"


def _is_registry(path: str) -> bool:
    return path in {"/v2", "/token"} or path.startswith("/v2/")


def make_app(state: EmulatorState) -> WSGIApp:
    """The emulator's WSGI application for ``state``."""
    return EmulatorApp(state)


class EmulatorApp:
    """The WSGI callable: control API, then (logged and fault-injected) registry, job logs or GitHub API."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.github = GitHubApi(state)
        self.control = ControlApi(state)
        self.registry = make_registry_app(state.registry, now=state.now,
                                          check_basic=lambda _user, password: state.tokens.accepts(password),
                                          can_push=self._can_push)

    def _can_push(self, _user: str, password: str) -> bool:
        # A read-only token (packages: read) may pull but must not push, as on ghcr.io.
        info = self.state.tokens.lookup(password)
        return info is not None and info.write

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        if request.path.startswith("/_emulator/") or request.path == "/_emulator":
            return self.control.wsgi(environ, _with_date(start_response, self.state))
        # Executions due to have ended are waited for: a client never sees a conclusion the run has not reached.
        self.state.github.settle()
        response, route, counted = self._serve(request, environ)
        self.state.requests.record(RequestRecord(method=request.method, path=request.path, route=route,
                                                 status=response.status_code, counted=counted,
                                                 not_modified=response.status_code == 304))
        if "Date" not in response.headers:  # the registry's answers and the downloads: emulated time too
            response.headers["Date"] = format_datetime(self.state.now(), usegmt=True)
        result: Iterable[bytes] = response(environ, start_response)
        return result

    def _fault(self, request: Request, environ: dict[str, Any]) -> Fault | None:
        fault = self.state.faults.take(request.method, split_api_prefix(request.path)[1])
        if fault is not None and fault.kind == "slow":
            self.state.sleep(fault.value or 0.0)
            return None
        if fault is not None and fault.kind == "reset":
            _reset_connection(environ)
        return fault

    def _serve(self, request: Request, environ: dict[str, Any]) -> tuple[Response, str, bool]:
        state, path, method = self.state, request.path, request.method
        fault = self._fault(request, environ)
        if _is_registry(path):
            faulted = _fault_response(fault, registry=True)
            return faulted or Response.from_app(self.registry, environ), registry_route(method, path), False
        download = download_route(path)
        if download is not None:
            faulted = _fault_response(fault, registry=False)
            return faulted or serve_download(state, request), f"{method} {download}", False
        if fault is not None and fault.kind == "primary":
            token = self.github.token_for(request)
            if token is not None:
                state.rate.exhaust(token)
            fault = None
        faulted = _fault_response(fault, registry=False)
        if faulted is not None:
            return faulted, self.github.route_for(request), False
        if path in GRAPHQL_PATHS:
            return self._graphql(request), f"{method} {path}", False
        return _guarded(state, self.github, request)

    def _graphql(self, request: Request) -> Response:
        token = self.github.token_for(request)
        if token is None:
            return self.github.finish(request, error(401, "Bad credentials", docs="https://docs.github.com/graphql"),
                                      None)
        try:
            response = answer_graphql(self.state, request, token)
        except Exception as exc:  # the server boundary, as in _guarded
            self.state.internal_errors.append(f"{request.method} {request.path}: {exc!r}")
            response = error(500, f"emulator error: {type(exc).__name__}")
        return self.github.finish(request, response, token)


def _with_date(start_response: Callable[..., Any], state: EmulatorState) -> Callable[..., Any]:
    def start(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
        if not any(name.lower() == "date" for name, _ in headers):
            headers = [*headers, ("Date", format_datetime(state.now(), usegmt=True))]
        return start_response(status, headers, *rest)
    return start


def _guarded(state: EmulatorState, github: GitHubApi, request: Request) -> tuple[Response, str, bool]:
    """Answer a bug in a handler like GitHub answers its own: a 500 in GitHub's error shape, not a dropped
    connection or a traceback on the client's side; ``state.internal_errors`` keeps it for tests to check."""
    try:
        return github.handle(request)
    except Exception as exc:  # the server boundary: every request must get an answer
        state.internal_errors.append(f"{request.method} {request.path}: {exc!r}")
        return error(500, f"emulator error: {type(exc).__name__}"), f"{request.method} {request.path}", False


def _fault_response(fault: Fault | None, *, registry: bool) -> Response | None:
    if fault is None:
        return None
    if fault.kind in {"429", "403"}:
        message = ("You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
                   "If you reach out to GitHub Support for help, please include the request ID.")
        response = error(int(fault.kind), message,
                         docs="https://docs.github.com/rest/overview/rate-limits-for-the-rest-api")
        response.headers["retry-after"] = str(fault.retry_after)
        return response
    if fault.kind == "primary":  # on the registry: GHCR answers 429 TOOMANYREQUESTS
        response = Response(b'{"errors":[{"code":"TOOMANYREQUESTS","message":"rate limit exceeded"}]}', status=429,
                            content_type="application/json")
        response.headers["retry-after"] = "60"
        return response
    status = int(fault.kind)
    if registry:
        return Response(b'{"errors":[{"code":"UNAVAILABLE","message":"service unavailable"}]}', status=status,
                        content_type="application/json")
    return error(status, "Server Error" if status == 500 else "Service Unavailable")


def _reset_connection(environ: dict[str, Any]) -> None:
    """Close the client's connection with a TCP reset (server mode) and abort the request.

    In-process there is no socket; raising ConnectionResetError reaches the client the same way a dropped
    connection would (the in-process transport maps it to httpx.ReadError).
    """
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        # SO_LINGER 0 makes the final close send RST; shutdown() acts at once, even while werkzeug still holds
        # the socket's file objects (close() alone would wait for them and the client would just time out).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    raise ConnectionResetError("connection reset by the emulator's fault injection")
