"""The HTTP layer under :class:`~cicd_acceptance.github.client.GitHubClient`: auth, ETags, retries, counting.

Rules, all from GitHub's REST API "best practices" documentation:

* ``Authorization: Bearer`` goes only to the API origin (a ``Link`` or redirect elsewhere gets no token).
* GETs are cached by URL with their ``ETag``; the next GET sends ``If-None-Match`` and a 304 returns the cached
  body. 304s do not count against the primary rate limit, so a poller that mostly sees 304s is nearly free.
* tenacity retries 5xx and network errors only for idempotent requests (never a POST: a dispatch may have
  happened), and 403/429 rate limits for any method (a rate-limited request was not executed), waiting as the
  headers say, with a cap on total waiting after which :class:`RateLimited` is raised. Other 4xx never retry.
  A limit that persists although its reset time has passed backs off exponentially (capped) instead of asking
  again every second.
* Every server is hostile input: each attempt has one overall deadline (a server dripping a byte every few
  seconds cannot hold us), the body is streamed and counted after decompression (a small gzip bomb is refused
  early), JSON nesting is bounded, and paging stops at a page cap, on a page seen before, or at a ``next`` link
  to another origin (which is never followed).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime

import httpx
import tenacity

from cicd_acceptance.errors import GitHubAPIError, RateLimited
from cicd_acceptance.github.failures import error_for, is_transient, rate_limit_hint, server_date
from cicd_acceptance.httpbounds import (
    ACCEPT_ENCODING,
    DEFAULT_HTTP,
    BodyRefused,
    HttpSettings,
    body_chunks,
    bounded_chunks,
    bounded_response_hook,
)
from cicd_acceptance.secret import Secret

__all__ = ["ApiResponse", "ApiSession", "ClientStats"]

Params = Mapping[str, str | int]
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})
CACHE_ENTRIES = 2048  # ETag cache bound: far above one acceptance run, small enough for a long-lived client
MAX_PAGES = 100  # 10,000 items at per_page=100: far above what acceptance lists, and a stop for endless paging
MAX_RESPONSE_BYTES = 16 * 1024 * 1024  # decoded body; a page of 100 runs is about half a megabyte
MAX_ATTEMPTS = 4  # of an idempotent request on 5xx and network errors
DEFAULT_API_VERSION = "2022-11-28"
REDIRECT_BODY_BYTES = 64 * 1024  # a redirect's body is never used
MAX_LIMIT_BACKOFF_S = 300.0


@dataclass(frozen=True)
class ClientStats:
    """Request counters for the evidence. ``counted`` is what the primary rate limit sees (all but 304s)."""

    requests: int = 0
    counted: int = 0
    not_modified: int = 0
    retries: int = 0
    waited_s: float = 0.0
    rate_limit_remaining: int | None = None
    rate_limit_limit: int | None = None
    rate_limit_reset: int | None = None

    def as_dict(self) -> dict[str, object]:
        """JSON-ready counters (evidence kind ``api_budget``)."""
        return dict(asdict(self))

    def since(self, earlier: ClientStats) -> ClientStats:
        """The counters spent since ``earlier`` (rate-limit fields are the latest seen)."""
        return replace(self, requests=self.requests - earlier.requests, counted=self.counted - earlier.counted,
                       not_modified=self.not_modified - earlier.not_modified, retries=self.retries - earlier.retries,
                       waited_s=self.waited_s - earlier.waited_s)


@dataclass(frozen=True)
class ApiResponse:
    """A decoded answer. ``body`` is the JSON value (``None`` for an empty body); ``cached`` for a 304 hit."""

    status_code: int
    body: object
    url: str
    next_url: str | None = None
    date: datetime | None = None
    cached: bool = False


@dataclass
class _CacheEntry:
    etag: str
    body: object
    next_url: str | None


@dataclass
class _Call:
    """One logical request across its attempts (the state tenacity's strategies read)."""

    method: str
    url: str
    idempotent: bool
    consecutive_limits: int = 0
    last_hint: str = ""
    transient: bool = True


class _OriginBearer(httpx.Auth):
    """Bearer auth that only ever reaches the API origin."""

    def __init__(self, token: Secret, origin: tuple[bytes, bytes, int | None]) -> None:
        self._token = token
        self._origin = origin

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        url = request.url
        if (url.raw_scheme, url.raw_host, url.port) == self._origin:
            request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        yield request


def _api_base(base_url: str) -> httpx.URL:
    """The API base as a URL ending in ``/`` (so relative paths join under ``/api/v3``), or a ValueError (the
    settings refuse a bad ``--github-api-url`` first, naming it)."""
    try:
        base = httpx.URL(base_url.rstrip("/") + "/")
    except httpx.InvalidURL:
        base = httpx.URL("invalid:/")
    if base.scheme not in ("http", "https") or not base.host:
        raise ValueError(f"GitHub API URL: expected https://api.github.com or https://HOST/api/v3, got {base_url!r}")
    return base


def _header_int(headers: httpx.Headers, name: str, previous: int | None) -> int | None:
    """An integer header, or the previous value when this response has none (GHES may send no limits)."""
    try:
        return int(headers[name])
    except (KeyError, ValueError):
        return previous


class ApiSession:
    """Sends requests to one GitHub API base URL; see the module docstring for the rules it keeps."""

    def __init__(self, *, base_url: str, token: Secret | None, http: HttpSettings = DEFAULT_HTTP,
                 api_version: str = DEFAULT_API_VERSION, max_rate_limit_wait_s: float = 900.0,
                 max_pages: int = MAX_PAGES) -> None:
        base = _api_base(base_url)
        self._origin = (base.raw_scheme, base.raw_host, base.port)
        self._token = token
        self._sleep = http.sleep
        self._clock = http.clock
        self._deadline_s = http.deadline_s
        self._max_response_bytes = http.body_limit(MAX_RESPONSE_BYTES)
        self._max_pages = max_pages
        self._max_attempts = http.attempts(MAX_ATTEMPTS)
        self._max_rate_limit_wait_s = max_rate_limit_wait_s
        self._cache: dict[str, _CacheEntry] = {}
        self._stats = ClientStats()
        self._server_date: datetime | None = None
        auth = _OriginBearer(token, (base.raw_scheme, base.raw_host, base.port)) if token else None
        # httpx reads a redirect's body itself before following it: bound that read too.
        redirect_bodies = bounded_response_hook(limit=REDIRECT_BODY_BYTES, deadline_s=http.deadline_s,
                                                clock=http.clock, on_refused=_redirect_refused)
        self._http = httpx.Client(
            base_url=base, transport=http.transport, auth=auth, timeout=http.timeout_s,
            headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": api_version,
                     "User-Agent": http.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            event_hooks={"response": [lambda response: redirect_bodies(response) if response.is_redirect else None]})

    @property
    def base_url(self) -> str:
        return str(self._http.base_url)

    @property
    def stats(self) -> ClientStats:
        return self._stats

    @property
    def server_date(self) -> datetime | None:
        """The ``Date`` of the latest response: "now" on the server's clock, immune to local clock skew."""
        return self._server_date

    def close(self) -> None:
        self._http.close()

    def redact(self, text: str) -> str:
        return self._token.redact(text) if self._token else text

    def request(self, method: str, url: str, *, params: Params | None = None, body: object = None,
                headers: Mapping[str, str] | None = None) -> ApiResponse:
        """Send one logical request (with retries as the rules allow) and decode its JSON."""
        request = self._http.build_request(method, url, params=params, json=body, headers=headers)
        call = _Call(method=method, url=str(request.url), idempotent=method in IDEMPOTENT)
        retrying = tenacity.Retrying(
            sleep=self._sleep,
            retry=tenacity.retry_if_exception(lambda exc: self._retryable(call, exc)),
            wait=lambda state: self._wait(call, state),
            stop=lambda state: self._stop(call, state),
            before_sleep=self._count_sleep,
            retry_error_callback=lambda state: self._give_up(call, state),
        )
        result: ApiResponse = retrying(self._attempt, call, request)
        return result

    def paginate(self, url: str, *, params: Params | None, key: str | None) -> Iterator[object]:
        """Yield the items of every page, following ``Link: rel="next"`` (``key`` picks the list in an object).

        At most ``max_pages`` pages; a page seen before (a loop) or a ``next`` link to another origin is an error.
        """
        page = self.request("GET", url, params=params)
        seen = {page.url}
        while True:
            items = page.body.get(key) if key and isinstance(page.body, dict) else page.body
            if not isinstance(items, list):
                raise GitHubAPIError(f"expected a list{' under ' + repr(key) if key else ''}",
                                     method="GET", url=page.url, status_code=page.status_code)
            yield from items
            if not page.next_url:
                return
            next_url = self._next_page(page, seen)
            seen.add(next_url)
            # params=None: httpx 0.28 replaces the URL's query with `params` when given, dropping the cursor.
            page = self.request("GET", next_url, params=None)

    def _next_page(self, page: ApiResponse, seen: set[str]) -> str:
        try:
            target = httpx.URL(page.url).join(page.next_url or "")
        except httpx.InvalidURL:
            raise GitHubAPIError(f"Link rel=next is not a URL: {page.next_url!r:.200}", method="GET",
                                 url=page.url, status_code=page.status_code) from None
        if (target.raw_scheme, target.raw_host, target.port) != self._origin:
            raise GitHubAPIError(f"Link rel=next points to another origin ({target.scheme}://{target.netloc.decode()}"
                                 f"); not followed", method="GET", url=page.url, status_code=page.status_code)
        if str(target) in seen:
            raise GitHubAPIError("Link rel=next points to a page already read (a paging loop); stopped",
                                 method="GET", url=page.url, status_code=page.status_code)
        if len(seen) >= self._max_pages:
            raise GitHubAPIError(f"more than {self._max_pages} pages; stopped (the listing never ends)",
                                 method="GET", url=page.url, status_code=page.status_code)
        return str(target)

    @contextmanager
    def stream_redirected(self, url: str, *, limit: int, timeout_s: float,
                          max_redirects: int = 3) -> Iterator[Iterator[bytes]]:
        """GET ``url`` as a byte stream (no JSON, no cache, no retries), following redirects by hand: only the API
        hop carries the token; the storage a log redirects to gets a request without it. The body is decoded in
        bounded steps and refused past ``limit`` decoded bytes or ``timeout_s`` (the caller stops earlier, at its
        own bounds). Raises GitHubAPIError for a non-2xx answer, a refused body or a network error."""
        request = self._http.build_request("GET", url)
        where = str(request.url)
        try:
            response = self._http.send(request, stream=True, follow_redirects=False)
            self._record(response)
            for _ in range(max_redirects):
                if not response.is_redirect:
                    break
                target = response.url.join(response.headers.get("location", ""))
                response.close()
                if target.scheme != "https" and target.scheme != self._http.base_url.scheme:
                    raise GitHubAPIError(f"refusing a redirect to {target.scheme}://{target.host}", method="GET",
                                         url=where)
                response = self._http.send(self._http.build_request("GET", target), auth=None, stream=True,
                                           follow_redirects=False)
        except httpx.RequestError as exc:
            raise GitHubAPIError(f"network error: {self.redact(str(exc)) or type(exc).__name__}", method="GET",
                                 url=where) from None
        try:
            if not 200 <= response.status_code < 300:
                raise GitHubAPIError(f"answered {response.status_code}", method="GET", url=where,
                                     status_code=response.status_code)
            yield _body_chunks(response, limit=limit, deadline=self._clock() + timeout_s, clock=self._clock)
        except BodyRefused as exc:
            raise GitHubAPIError(str(exc), method="GET", url=where) from None
        except httpx.RequestError as exc:
            raise GitHubAPIError(f"network error while reading: {self.redact(str(exc)) or type(exc).__name__}",
                                 method="GET", url=where) from None
        finally:
            response.close()

    # -- one attempt -------------------------------------------------------------------------------------

    def _attempt(self, call: _Call, request: httpx.Request) -> ApiResponse:
        cached = self._cache.get(call.url) if call.method == "GET" else None
        if cached is not None:
            request.headers["If-None-Match"] = cached.etag
        try:
            response = self._receive(call, request)
        except httpx.RequestError as exc:
            # Connection/timeout errors may pass; a redirect loop or an undecodable body will not.
            call.transient = isinstance(exc, httpx.TransportError)
            kind = "network error" if call.transient else "request failed"
            raise GitHubAPIError(f"{kind}: {self.redact(str(exc)) or type(exc).__name__}",
                                 method=call.method, url=call.url) from None
        self._record(response)
        if response.status_code == 304 and cached is not None:
            return ApiResponse(304, cached.body, call.url, cached.next_url, _date(response), cached=True)
        if not 200 <= response.status_code < 300:
            call.consecutive_limits += 1 if response.status_code in (403, 429) else 0
            consecutive = max(call.consecutive_limits, 1)
            hint = rate_limit_hint(response, consecutive=consecutive)
            call.last_hint = hint.source if hint else ""
            raise error_for(response, method=call.method, url=call.url, redact=self.redact, consecutive=consecutive)
        return self._decode(call, response)

    def _receive(self, call: _Call, request: httpx.Request) -> httpx.Response:
        """Send one attempt and read its body within the deadline and the size cap (decoded size)."""
        deadline = self._clock() + self._deadline_s
        response = self._http.send(request, follow_redirects=call.idempotent, stream=True)
        try:
            body = _read_bounded(response, deadline=deadline, clock=self._clock, limit=self._max_response_bytes)
        except BodyRefused as exc:
            call.transient = exc.transient
            # A deadline is like a timeout (no answer: may be retried); a refused body is final.
            raise GitHubAPIError(exc.reason, method=call.method, url=call.url,
                                 status_code=None if exc.transient else response.status_code) from None
        finally:
            response.close()
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        return httpx.Response(response.status_code, headers=headers, content=body, request=response.request,
                              extensions=response.extensions)

    def _decode(self, call: _Call, response: httpx.Response) -> ApiResponse:
        try:
            body = json.loads(response.content) if response.content.strip() else None
        except RecursionError:
            raise GitHubAPIError("response JSON is nested too deeply", method=call.method, url=call.url,
                                 status_code=response.status_code) from None
        except ValueError:
            raise GitHubAPIError("response is not JSON", method=call.method, url=call.url,
                                 status_code=response.status_code) from None
        next_link = response.links.get("next", {}).get("url")
        etag = response.headers.get("etag")
        if call.method == "GET" and etag:
            if len(self._cache) >= CACHE_ENTRIES:
                del self._cache[next(iter(self._cache))]  # oldest first: dicts keep insertion order
            self._cache.pop(call.url, None)
            self._cache[call.url] = _CacheEntry(etag, body, next_link)
        return ApiResponse(response.status_code, body, call.url, next_link, _date(response))

    def _record(self, response: httpx.Response) -> None:
        self._server_date = _date(response) or self._server_date
        free = response.status_code == 304
        headers = response.headers
        old = self._stats
        self._stats = replace(
            old, requests=old.requests + 1, counted=old.counted + (0 if free else 1),
            not_modified=old.not_modified + (1 if free else 0),
            rate_limit_remaining=_header_int(headers, "x-ratelimit-remaining", old.rate_limit_remaining),
            rate_limit_limit=_header_int(headers, "x-ratelimit-limit", old.rate_limit_limit),
            rate_limit_reset=_header_int(headers, "x-ratelimit-reset", old.rate_limit_reset),
        )

    # -- tenacity strategies -----------------------------------------------------------------------------

    @staticmethod
    def _retryable(call: _Call, exc: BaseException) -> bool:
        if isinstance(exc, RateLimited):
            return True
        if isinstance(exc, GitHubAPIError) and is_transient(exc):
            return call.idempotent and call.transient
        return False

    @staticmethod
    def _wait(call: _Call, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            # A limit still in force after the wait GitHub named (a reset time in the past, a clock far off):
            # back off exponentially rather than ask again every second until the cap.
            backoff = min(2.0 ** (state.attempt_number - 1), MAX_LIMIT_BACKOFF_S) if state.attempt_number > 1 else 0.0
            return max(exc.retry_after, backoff)
        call.consecutive_limits = 0
        return float(min(2 ** (state.attempt_number - 1), 30))

    def _stop(self, call: _Call, state: tenacity.RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimited):
            return state.idle_for + state.upcoming_sleep > self._max_rate_limit_wait_s
        return state.attempt_number >= self._max_attempts

    def _count_sleep(self, state: tenacity.RetryCallState) -> None:
        old = self._stats
        self._stats = replace(old, retries=old.retries + 1, waited_s=old.waited_s + state.upcoming_sleep)

    def _give_up(self, call: _Call, state: tenacity.RetryCallState) -> ApiResponse:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimited):
            raise RateLimited(
                f"rate limited ({call.last_hint}): GitHub asks for another {state.upcoming_sleep:.0f}s after "
                f"{state.idle_for:.0f}s already waited, beyond the {self._max_rate_limit_wait_s:.0f}s cap; "
                f"retry later or use a token with a larger budget",
                method=call.method, url=call.url, status_code=exc.status_code, retry_after=state.upcoming_sleep)
        if isinstance(exc, GitHubAPIError):
            raise type(exc)(f"{exc.reason} (gave up after {state.attempt_number} attempts)",
                            method=exc.method, url=exc.url, status_code=exc.status_code)
        raise GitHubAPIError("request failed", method=call.method, url=call.url)  # pragma: no cover


def _redirect_refused(response: httpx.Response, exc: BodyRefused) -> GitHubAPIError:
    return GitHubAPIError(f"redirect: {exc.reason}", method=response.request.method, url=str(response.request.url),
                          status_code=None if exc.transient else response.status_code)


def _body_chunks(response: httpx.Response, *, limit: int, deadline: float,
                 clock: Callable[[], float]) -> Iterator[bytes]:
    """The decoded body as it arrives, bounded; an in-memory transport's answer arrives read (and decoded)."""
    try:
        content = response.content
    except httpx.ResponseNotRead:
        return bounded_chunks(response.iter_raw(), encoding=response.headers.get("content-encoding", ""),
                              limit=limit, deadline=deadline, clock=clock)
    return bounded_chunks([content], encoding="", limit=limit, deadline=deadline, clock=clock)


def _read_bounded(response: httpx.Response, *, deadline: float, clock: Callable[[], float], limit: int) -> bytes:
    """The decoded body, read chunk by chunk as it arrives (:func:`cicd_acceptance.httpbounds.bounded_chunks`)."""
    raw, encoding = body_chunks(response)
    return b"".join(bounded_chunks(raw, encoding=encoding, limit=limit, deadline=deadline, clock=clock))


def _date(response: httpx.Response) -> datetime | None:
    stamp = server_date(response)
    return datetime.fromtimestamp(stamp, tz=UTC) if stamp is not None else None
