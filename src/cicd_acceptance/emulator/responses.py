"""Small helpers to answer like GitHub: JSON bodies, errors in GitHub's shape, and the request context.

Errors carry ``message``, ``documentation_url`` and ``status`` (a string, as GitHub sends it); validation errors
add ``errors[]``. Handlers return responses rather than raise, so every path is explicit about its status code; what
the state refuses (:mod:`cicd_acceptance.emulator.errors`) a handler catches and answers with :func:`refusal`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from cicd_acceptance.emulator.auth import TokenInfo
from cicd_acceptance.emulator.errors import EmulatorError, Unprocessable
from cicd_acceptance.emulator.github.payloads_repo import Urls, repository_body

if TYPE_CHECKING:
    from cicd_acceptance.emulator.state import EmulatorState

__all__ = ["API_PREFIX", "DOCS", "Ctx", "error", "json_response", "refusal", "split_api_prefix", "validation_error"]

DOCS = "https://docs.github.com/rest"
API_PREFIX = "/api/v3"
_MAX_JSON_BODY = 1 << 20  # request bodies the API reads (dispatch inputs are at most 65,535 characters)


def split_api_prefix(path: str) -> tuple[str, str]:
    """``(prefix, route path)``: the API answers at the root and under ``/api/v3`` (GHES style) alike."""
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        return API_PREFIX, path.removeprefix(API_PREFIX) or "/"
    return "", path


@dataclass(frozen=True)
class Ctx:
    """Everything a handler needs for one request."""

    state: EmulatorState
    request: Request
    urls: Urls
    token: TokenInfo
    now: datetime

    @cached_property
    def repository(self) -> dict[str, object]:
        """The ``repository`` body, built once per request (a list of runs embeds it twice per run)."""
        return repository_body(self.urls, self.state.identity)

    def json_body(self) -> object:
        """The request body as JSON whatever its ``Content-Type`` says (GitHub reads a body without one, as curl
        ``-d`` and some clients send it, as JSON); None when empty or not JSON."""
        if (self.request.content_length or 0) > _MAX_JSON_BODY:
            return None
        data = self.request.get_data(cache=True)
        if not data.strip():
            return None
        try:
            return json.loads(data)
        except ValueError:
            return None

    def arg(self, name: str) -> str | None:
        """A query parameter (None when absent or empty)."""
        value = self.request.args.get(name)
        return value if value not in (None, "") else None


def json_response(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response (compact, UTF-8)."""
    data = json.dumps(body, separators=(",", ":")).encode()
    response = Response(data, status=status, content_type="application/json; charset=utf-8")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def error(status: int, message: str, *, docs: str = DOCS, headers: dict[str, str] | None = None) -> Response:
    """An error in GitHub's shape."""
    return json_response({"message": message, "documentation_url": docs, "status": str(status)}, status, headers)


def validation_error(message: str, *, field: str | None = None, code: str = "invalid") -> Response:
    """A 422 with ``errors[]`` (GitHub's validation-error shape)."""
    body: dict[str, object] = {"message": message, "documentation_url": DOCS, "status": "422"}
    if field is not None:
        body["errors"] = [{"resource": "Request", "field": field, "code": code, "message": message}]
    return json_response(body, 422)


def refusal(exc: EmulatorError, *, docs: str = DOCS) -> Response:
    """GitHub's answer to what the state refused: its status and message (422s in the validation shape)."""
    if isinstance(exc, Unprocessable):
        return validation_error(exc.message, field=exc.field)
    return error(exc.status, exc.message, docs=docs)
