"""The HTTP plumbing under RegistryClient: request counting, the retry policy, and reading registry answers.

Kept apart from the client so each call in ``client.py`` reads as the registry protocol step it is. The retry
policy retries only what is transient (network errors, 408/429/5xx, a 403 that carries ``Retry-After``), and
``rate_limited`` keeps a rate limit from being reported as "no access".
"""

from __future__ import annotations

import httpx
import tenacity

from cicd_acceptance.errors import RegistryError
from cicd_acceptance.registry.models import RegistryStats

__all__ = [
    "RETRY_STATUSES",
    "RequestCounter",
    "media_type",
    "oci_errors",
    "rate_limited",
    "retry_wait",
    "retryable",
    "tags_of",
]

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class RequestCounter:
    """An httpx ``request`` event hook counting every request sent, by kind.

    httpx calls request hooks for each hop of a redirect and for each request of an auth flow, so token
    fetches, challenge retries and storage redirects are all counted. A hook rather than a wrapping transport
    keeps httpx's default transport, and with it the user's proxy settings (``HTTPS_PROXY``).
    """

    def __init__(self, stats: RegistryStats, registry_host: str) -> None:
        self._stats = stats
        self._host = registry_host

    def __call__(self, request: httpx.Request) -> None:
        self._stats.requests[_classify(request, self._host)] += 1


def _classify(request: httpx.Request, registry_host: str) -> str:
    path = request.url.path
    if "/manifests/" in path:
        return "manifest_head" if request.method == "HEAD" else "manifest_get"
    if "/blobs/" in path:
        return "blob"
    if path.endswith("/tags/list"):
        return "tags"
    if request.url.params.get("scope") is not None or path.endswith("/token"):
        return "token"
    return "redirect" if request.url.netloc.decode("ascii") != registry_host else "other"


def rate_limited(response: httpx.Response) -> bool:
    """A 403/429 that is a rate limit (Retry-After or an exhausted x-ratelimit), not a refusal of access."""
    headers = response.headers
    limited = "retry-after" in headers or headers.get("x-ratelimit-remaining") == "0"
    return response.status_code in (403, 429) and limited


def retryable(response: httpx.Response) -> bool:
    """Transient answers worth another try: 408/429/5xx, and a 403 that says when to come back."""
    return response.status_code in RETRY_STATUSES or (response.status_code == 403 and "retry-after" in
                                                        response.headers)


_BACKOFF = tenacity.wait_exponential(multiplier=0.5, max=8)
_MAX_RETRY_AFTER = 60.0


def retry_wait(state: tenacity.RetryCallState) -> float:
    """Honour a 429/503 ``Retry-After`` (seconds, capped); otherwise back off exponentially."""
    outcome = state.outcome
    if outcome is not None and not outcome.failed:
        value = outcome.result().headers.get("retry-after", "")
        if value.strip().isdigit():
            return min(float(value), _MAX_RETRY_AFTER)
    return _BACKOFF(state)


def media_type(response: httpx.Response) -> str:
    """The ``Content-Type`` without parameters."""
    content_type: str = response.headers.get("content-type", "")
    return content_type.split(";", 1)[0].strip()


def tags_of(response: httpx.Response) -> list[str]:
    """The ``tags`` of a ``tags/list`` page (``null`` means none)."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        body = None
    tags = body.get("tags") if isinstance(body, dict) else "missing"
    if tags is None:
        return []  # distribution answers "tags": null for a repository without tags
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise RegistryError("tags/list answered without a 'tags' list of strings", method="GET",
                            url=str(response.request.url), status_code=response.status_code)
    return tags


def oci_errors(response: httpx.Response) -> str:
    """`` (MANIFEST_UNKNOWN: manifest unknown)`` from an OCI error envelope, or the start of the body."""
    try:
        errors = response.json().get("errors")
        text = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors if isinstance(e, dict))
    except RecursionError:
        text = "a JSON body nested too deeply to read"
    except (ValueError, AttributeError, TypeError):
        text = response.text[:200].strip() if response.request.method != "HEAD" else ""
    return f" ({text})" if text else ""
