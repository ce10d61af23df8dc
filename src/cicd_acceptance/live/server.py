"""Who answers the live checks: GitHub, or the bundled emulator (a rehearsal), and which login the token acts as.

Telling them apart must not depend on the server's good will in the direction that matters. The verdict can only be
``ACCEPTANCE`` when the harness did not start the emulator itself *and* the API does not answer the emulator's
control endpoint (``GET /_emulator/clock`` on the API's origin, sent without the token; GitHub answers 404). So an
emulator started separately and addressed with ``--github-api-url`` is recognised by what it answers, while a
server can only ever turn an acceptance into a rehearsal: nothing it says makes a run the harness started on the
emulator count as an acceptance.

The token's login (``GET /user``) names the actor that correlation uses to tell our dispatch from someone else's.
An Actions ``GITHUB_TOKEN`` or an app token is not a user's: GitHub refuses ``/user`` ("Resource not accessible by
integration", 403). Correlation then runs without the actor (workflow, event, branch, the pinned commit and the
creation time still have to match); the actor of such a dispatch is not the token's owner anyway.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Literal

import httpx

from cicd_acceptance.errors import GitHubAPIError
from cicd_acceptance.github.client import GitHubClient
from cicd_acceptance.httpbounds import RequestDeadline

__all__ = ["EMULATOR_PROBE_PATH", "ServerKind", "TokenLogin", "classify_server", "token_login"]

EMULATOR_PROBE_PATH = "/_emulator/clock"
_PROBE_BYTES = 4096       # the emulator's answer is a few dozen bytes; read no more from anyone
_PROBE_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ServerKind:
    """``emulator`` or ``github``, and how that was decided (evidence kind ``server``)."""

    kind: Literal["emulator", "github"]
    reason: str
    api_url: str = ""

    @property
    def rehearsal(self) -> bool:
        return self.kind == "emulator"

    def as_evidence(self) -> dict[str, object]:
        return {"kind": self.kind, "reason": self.reason, "api_url": self.api_url}


def _origin(api_url: str) -> httpx.URL:
    url = httpx.URL(api_url)
    return url.copy_with(path="/", query=None, fragment=None)


def _answers_like_the_emulator(response: httpx.Response) -> bool:
    if response.status_code != 200:
        return False
    body = b""
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > _PROBE_BYTES:
            return False
    try:
        doc = json.loads(body)
    except ValueError:
        return False
    return isinstance(doc, dict) and {"now", "speed"} <= set(doc)


def classify_server(api_url: str, *, started_emulator: bool, transport: httpx.BaseTransport | None = None,
                    timeout_s: float = _PROBE_TIMEOUT_S) -> ServerKind:
    """Whether the live half runs on the emulator; see the module docstring. Never raises: a failed probe means
    "no emulator marker", which leaves the settings' word (``started_emulator``) as the only source."""
    if started_emulator:
        return ServerKind("emulator", "the harness started the bundled emulator", api_url)
    probe = _origin(api_url).join(EMULATOR_PROBE_PATH)
    deadline = RequestDeadline()
    try:
        # timeout_s bounds the whole probe, not each read: a server dripping bytes cannot hold the run.
        with httpx.Client(transport=transport, timeout=timeout_s, follow_redirects=False) as http:
            deadline.install(http)
            with deadline.until(time.monotonic() + timeout_s), \
                    http.stream("GET", probe, headers={"Accept": "application/json"}) as response:
                emulator = _answers_like_the_emulator(response)
    except httpx.HTTPError:
        emulator = False
    if emulator:
        return ServerKind("emulator", f"{api_url} answers the bundled emulator's {EMULATOR_PROBE_PATH}", api_url)
    return ServerKind("github", f"{api_url} does not answer the emulator's {EMULATOR_PROBE_PATH}", api_url)


@dataclass(frozen=True)
class TokenLogin:
    """The login correlation uses as the actor (None: correlate without it), and where it came from."""

    login: str | None
    source: str


def token_login(github: GitHubClient) -> TokenLogin:
    """The token's login from ``GET /user``; for a token that is not a user's, None with the reason."""
    try:
        login = github.get_user_login()
    except GitHubAPIError as exc:
        kind = ("not a user's token (an Actions GITHUB_TOKEN or an app token)" if exc.status_code in (403, 404)
                else "the login is unknown")
        return TokenLogin(None, f"GET /user refused ({exc.status_code or 'no answer'}): {kind}; runs are "
                                "correlated without the actor")
    return TokenLogin(login, "GET /user")
