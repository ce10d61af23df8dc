"""The registry Bearer-token challenge as an ``httpx.Auth`` flow (distribution "token authentication").

A request goes out anonymously (or with a cached token for its scope). On ``401`` with
``WWW-Authenticate: Bearer realm=...,service=...,scope=...`` the flow asks the realm for a token, first
anonymously, then with HTTP Basic ``user:token`` when credentials are configured, and retries the request once
with ``Authorization: Bearer``. Credentials go only to a realm on the registry's own host: a realm elsewhere gets
anonymous requests only, because the registry chose that URL, not the user. Tokens are cached per scope until
``expires_in`` (default 60 s).

ghcr.io sends the literal placeholder ``scope="repository:user/image:pull"``, so the scope is computed from the
request path (``/v2/<name>/manifests/...`` -> ``repository:<name>:pull``) whenever the path names a repository.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass

import httpx

from cicd_acceptance.errors import RegistryAccessDenied, RegistryError
from cicd_acceptance.loopback import is_loopback_host
from cicd_acceptance.registry.transport import retryable
from cicd_acceptance.secret import Secret

__all__ = [
    "ACCESS_DENIED_HINT",
    "BearerChallenge",
    "RegistryTokenAuth",
    "parse_bearer_challenge",
    "scope_for_path",
]

ACCESS_DENIED_HINT = "private package or no access; set GITHUB_TOKEN with read:packages / packages: read"
DEFAULT_EXPIRES_IN = 60.0
# Refresh a little early so a token does not expire between the cache check and the registry's check.
_EXPIRY_MARGIN = 5.0
# GHCR authenticates by the token; when no user name is configured we send a neutral one (not checked here).
_DEFAULT_USERNAME = "token"
_PARAM_RE = re.compile(r'\s*([a-zA-Z_]+)\s*=\s*(?:"([^"]*)"|([^,\s]*))\s*,?')
_REPO_PATH_RE = re.compile(r"^/v2/(.+)/(?:manifests|blobs|tags)/")


@dataclass(frozen=True)
class BearerChallenge:
    """The parameters of a ``WWW-Authenticate: Bearer`` header."""

    realm: str
    service: str | None = None
    scope: str | None = None


def parse_bearer_challenge(header: str | None) -> BearerChallenge | None:
    """Parse ``Bearer realm="...",service="...",scope="..."``; None for other schemes or no realm."""
    if not header:
        return None
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    params = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
              for m in _PARAM_RE.finditer(rest)}
    realm = params.get("realm")
    if not realm:
        return None
    return BearerChallenge(realm=realm, service=params.get("service"), scope=params.get("scope"))


def scope_for_path(path: str) -> str | None:
    """``repository:<name>:pull`` for a ``/v2/<name>/(manifests|blobs|tags)/...`` path, else None."""
    match = _REPO_PATH_RE.match(path)
    return f"repository:{match.group(1)}:pull" if match else None


@dataclass(frozen=True)
class _CachedToken:
    value: Secret
    expires_at: float


class RegistryTokenAuth(httpx.Auth):
    """Answer registry Bearer challenges; see the module docstring for the rules.

    Parameters:
        registry_host: ``host[:port]`` of the registry; only a realm on this host may receive credentials.
        username / token: optional credentials for the token endpoint (HTTP Basic).
        clock: monotonic seconds, injectable so tests can expire cached tokens without sleeping.
        withheld: why credentials were withheld from this registry; refusals repeat it.
    """

    requires_response_body = True

    def __init__(self, *, registry_host: str, username: str | None = None, token: Secret | None = None,
                 clock: Callable[[], float] = time.monotonic, withheld: str = "") -> None:
        self._registry_host = registry_host.lower()
        self._withheld = withheld
        self._username = username
        self._token = token
        self._clock = clock
        self._cache: dict[str, _CachedToken] = {}
        self._private_scopes: set[str] = set()   # anonymous refused once: renewals go straight to Basic

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Send ``request``; on a Bearer challenge fetch a token and retry once."""
        scope = scope_for_path(request.url.path)
        cached = self._cached(scope)
        if cached is not None:
            request.headers["Authorization"] = f"Bearer {cached.reveal()}"
        response = yield request
        challenge = parse_bearer_challenge(response.headers.get("www-authenticate"))
        if response.status_code != 401 or challenge is None:
            return
        if not _is_http_url(challenge.realm):
            raise RegistryError(f"the WWW-Authenticate realm is not an http(s) URL: {challenge.realm[:100]!r}",
                                method=request.method, url=str(request.url), status_code=401)
        scope = scope or challenge.scope
        self._cache.pop(scope or "", None)
        try:
            token, anonymous = yield from self._token_for(challenge, scope)
            request.headers["Authorization"] = f"Bearer {token.reveal()}"
            response = yield request
            if response.status_code in (401, 403) and anonymous and self._may_send_credentials(challenge):
                # An anonymous token that the registry then refuses: a private package, try our credentials.
                self._private_scopes.add(scope or "")
                token = yield from self._fetch_credentialed(challenge, scope)
                request.headers["Authorization"] = f"Bearer {token.reveal()}"
                yield request
        except _TransientTokenAnswer:
            # Ending the flow hands the token endpoint's 5xx/429 to the client as the answer, and the client's
            # retry policy (the same as for any request) tries the whole request again.
            return

    def _token_for(self, challenge: BearerChallenge, scope: str | None
                   ) -> Generator[httpx.Request, httpx.Response, tuple[Secret, bool]]:
        """A token for ``scope`` and whether it is anonymous; scopes known to be private skip the anonymous try."""
        if (scope or "") not in self._private_scopes or not self._may_send_credentials(challenge):
            anonymous = yield from self._fetch_token(challenge, scope, with_credentials=False)
            if anonymous is not None:
                return anonymous, True
            self._private_scopes.add(scope or "")
        token = yield from self._fetch_credentialed(challenge, scope)
        return token, False

    def _cached(self, scope: str | None) -> Secret | None:
        entry = self._cache.get(scope or "")
        if entry is None or entry.expires_at <= self._clock():
            return None
        return entry.value

    def _may_send_credentials(self, challenge: BearerChallenge) -> bool:
        if self._token is None:
            return False
        realm = httpx.URL(challenge.realm)
        on_own_host = realm.netloc.decode("ascii").lower() == self._registry_host
        return on_own_host and (realm.scheme == "https" or is_loopback_host(realm.host))

    def _fetch_token(self, challenge: BearerChallenge, scope: str | None, *, with_credentials: bool
                     ) -> Generator[httpx.Request, httpx.Response, Secret | None]:
        """Ask the realm for a token; None only when an anonymous attempt was refused and Basic may follow."""
        if with_credentials and not self._may_send_credentials(challenge):
            raise _denied(_token_url(challenge, scope), 401, "the token endpoint refused an anonymous request")
        request = httpx.Request("GET", _token_url(challenge, scope))
        if with_credentials and self._token is not None:
            pair = f"{self._username or _DEFAULT_USERNAME}:{self._token.reveal()}".encode()
            request.headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        response = yield request
        if retryable(response):
            raise _TransientTokenAnswer
        if response.status_code in (401, 403):
            if not with_credentials and self._may_send_credentials(challenge):
                return None
            message = _refusal(with_credentials)
            if self._token is not None and not self._may_send_credentials(challenge):
                message += f"; credentials are sent only to a realm on {self._registry_host}, not {challenge.realm}"
            if self._withheld:
                message += f"; {self._withheld}"
            raise _denied(request.url, response.status_code, message)
        if response.status_code != 200:
            raise RegistryError(f"token endpoint failed: {response.text[:200]!r}", method="GET",
                                url=str(request.url), status_code=response.status_code)
        token = _parse_token(request.url, response)
        self._store(scope, token, response)
        return token

    def _fetch_credentialed(self, challenge: BearerChallenge, scope: str | None
                            ) -> Generator[httpx.Request, httpx.Response, Secret]:
        token = yield from self._fetch_token(challenge, scope, with_credentials=True)
        if token is None:  # _fetch_token raises rather than return None for a credentialed attempt
            raise _denied(_token_url(challenge, scope), 401, _refusal(True))
        return token

    def _store(self, scope: str | None, token: Secret, response: httpx.Response) -> None:
        expires_in = _expires_in(response)
        self._cache[scope or ""] = _CachedToken(token, self._clock() + max(expires_in - _EXPIRY_MARGIN, 0.0))


class _TransientTokenAnswer(Exception):  # a private control-flow signal, never raised to callers
    """The token endpoint answered 5xx/429/408: end the auth flow and let the client retry."""


def _is_http_url(text: str) -> bool:
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, ValueError, TypeError):
        return False
    return url.scheme in ("http", "https") and bool(url.host)


def _token_url(challenge: BearerChallenge, scope: str | None) -> httpx.URL:
    params = {key: value for key, value in (("service", challenge.service), ("scope", scope)) if value}
    return httpx.URL(challenge.realm).copy_merge_params(params)


def _refusal(with_credentials: bool) -> str:
    # To an anonymous client a package that was never pushed looks exactly like a private one (GHCR: 401 both).
    who = ("the configured credentials were refused" if with_credentials
           else "anonymous pull refused: the package is private, or does not exist yet")
    return f"{ACCESS_DENIED_HINT} ({who})"


def _denied(url: httpx.URL, status: int, message: str) -> RegistryAccessDenied:
    return RegistryAccessDenied(message, method="GET", url=str(url), status_code=status)


def _parse_token(url: httpx.URL, response: httpx.Response) -> Secret:
    try:
        body = response.json()
    except (ValueError, RecursionError):
        body = None
    value = (body.get("token") or body.get("access_token")) if isinstance(body, dict) else None
    if not isinstance(value, str) or not value:
        raise RegistryError("token endpoint answered without a 'token' or 'access_token'", method="GET",
                            url=str(url), status_code=response.status_code)
    return Secret(value)


def _expires_in(response: httpx.Response) -> float:
    try:
        value = response.json().get("expires_in", DEFAULT_EXPIRES_IN)
        return float(value) if float(value) > 0 else DEFAULT_EXPIRES_IN
    except (ValueError, TypeError, AttributeError, RecursionError):
        return DEFAULT_EXPIRES_IN
