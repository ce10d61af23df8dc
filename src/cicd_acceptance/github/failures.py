"""Turn a GitHub error response into a typed error that says what to do, and read rate-limit hints.

Pure functions over ``httpx.Response`` so the rules (which 403 is a rate limit, how long to wait, what a 422 on
a dispatch means) are tested without any client. Messages name the call (``GET https://... -> 404``) and carry
GitHub's own ``message``; the caller redacts the token before anything is shown.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from cicd_acceptance.errors import (
    GitHubAPIError,
    GitHubAuthError,
    GitHubNotFound,
    GitHubPermissionError,
    GitHubValidationError,
    RateLimited,
)

__all__ = ["RateLimitHint", "error_for", "github_message", "is_transient", "rate_limit_hint", "server_date"]

# With no header to go by, GitHub's guidance is "wait at least one minute" before retrying a secondary limit.
SECONDARY_LIMIT_WAIT_S = 60.0


@dataclass(frozen=True)
class RateLimitHint:
    """How long GitHub asked us to wait; ``source`` names the header (or rule) the figure came from."""

    wait_s: float
    source: str


def is_transient(exc: GitHubAPIError) -> bool:
    """No answer (network) or a 5xx: the request may have worked, and asking again may work. A 4xx is final."""
    return exc.status_code is None or exc.status_code >= 500


def github_message(response: httpx.Response) -> str:
    """GitHub's ``message`` (plus ``errors[]`` of a 422) or a trimmed body when it is not the usual JSON."""
    try:
        body = json.loads(response.content or b"null")
    except RecursionError:
        return "(a JSON body nested too deeply to read)"
    except ValueError:
        return response.text[:200].strip() or "(empty body)"
    if not isinstance(body, dict):
        return "(no message)"
    message = str(body.get("message") or "(no message)")
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        details = "; ".join(str(e.get("message") or e.get("code") or e) if isinstance(e, dict) else str(e)
                            for e in errors)
        message = f"{message} ({details})"
    return message


def server_date(response: httpx.Response) -> float | None:
    """The server's ``Date`` header as epoch seconds: the clock rate-limit resets are measured against."""
    value = response.headers.get("date")
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


def _float_header(response: httpx.Response, name: str) -> float | None:
    try:
        return float(response.headers[name])
    except (KeyError, ValueError):
        return None


def rate_limit_hint(response: httpx.Response, *, consecutive: int = 1) -> RateLimitHint | None:
    """Return a wait if ``response`` is a primary or secondary rate limit, else ``None`` (e.g. a permission 403).

    Order from GitHub's docs: ``retry-after``; else ``x-ratelimit-remaining: 0`` -> until ``x-ratelimit-reset``;
    else (a secondary limit without headers) at least 60 s, doubling for each consecutive hit.
    """
    if response.status_code not in (403, 429):
        return None
    retry_after = _float_header(response, "retry-after")
    if retry_after is not None:
        return RateLimitHint(max(retry_after, 0.0), "retry-after")
    if response.headers.get("x-ratelimit-remaining") == "0":
        reset = _float_header(response, "x-ratelimit-reset")
        now = server_date(response) or time.time()
        if reset is not None:
            # +1 s: reset is whole seconds and the server clock may be a fraction ahead of its Date header.
            return RateLimitHint(max(reset - now, 0.0) + 1.0, "x-ratelimit-reset")
        return RateLimitHint(SECONDARY_LIMIT_WAIT_S, "x-ratelimit-remaining: 0")
    if response.status_code == 429 or "rate limit" in github_message(response).lower():
        return RateLimitHint(SECONDARY_LIMIT_WAIT_S * 2 ** (consecutive - 1), "secondary rate limit")
    return None


def _needed_permission(response: httpx.Response) -> str | None:
    header = response.headers.get("x-accepted-github-permissions")
    if not header:
        return None
    # "actions=write; contents=read" -> "actions:write, contents:read"
    parts = [part.strip().replace("=", ":") for part in header.split(";") if part.strip()]
    return ", ".join(parts) or None


def _forbidden(response: httpx.Response, method: str, url: str, said: str) -> GitHubAPIError:
    needed = _needed_permission(response)
    if needed:
        return GitHubPermissionError(f"token lacks {needed} (GitHub says: {said})",
                                     method=method, url=url, needed=needed)
    return GitHubPermissionError(
        f"forbidden: the token lacks a permission for this call, or the resource is blocked (GitHub says: {said})",
        method=method, url=url)


_THINGS = (("/actions/runs/", "workflow run"), ("/actions/workflows/", "workflow"), ("/branches/", "branch"),
           ("/commits/", "commit"), ("/pulls/", "pull request"))


def _missing_thing(url: str) -> str:
    """For a 404 below the repository, name what is missing first: a 404 there may also hide the repository."""
    path = httpx.URL(url).path
    for marker, thing in _THINGS:
        if marker in path:
            name = path.split(marker, 1)[1].split("/", 1)[0]
            return f"{thing} {name!r} not found, or "
    return ""


def _unprocessable(response: httpx.Response, method: str, url: str, said: str) -> GitHubAPIError:
    if "workflow_dispatch" in said:
        return GitHubValidationError(
            f"workflow has no workflow_dispatch trigger on this ref: add `on: workflow_dispatch` "
            f"(GitHub says: {said})", method=method, url=url, status_code=422)
    return GitHubValidationError(f"request refused (GitHub says: {said})", method=method, url=url, status_code=422)


def error_for(response: httpx.Response, *, method: str, url: str,
              redact: Callable[[str], str] = str, consecutive: int = 1) -> GitHubAPIError:
    """The typed error for a non-2xx, non-304 answer; ``redact`` scrubs GitHub's text before we repeat it."""
    status = response.status_code
    said = redact(github_message(response))
    if status == 401:
        return GitHubAuthError(f"bad credentials: check GITHUB_TOKEN/GH_TOKEN (GitHub says: {said})",
                               method=method, url=url, status_code=401)
    hint = rate_limit_hint(response, consecutive=consecutive)
    if hint is not None:
        return RateLimited(f"rate limited ({hint.source}: wait {hint.wait_s:.0f}s; GitHub says: {said})",
                           method=method, url=url, status_code=status, retry_after=hint.wait_s)
    if status == 403:
        return _forbidden(response, method, url, said)
    if status == 404:
        return GitHubNotFound(f"{_missing_thing(url)}repository not found or no access (token scope?) "
                              f"(GitHub says: {said})", method=method, url=url, status_code=404)
    if status == 422:
        return _unprocessable(response, method, url, said)
    return GitHubAPIError(said, method=method, url=url, status_code=status)
