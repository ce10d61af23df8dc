"""RegistryClient: the few OCI distribution calls acceptance needs, each counted, each failing with a named call.

It resolves the exact tag with one ``HEAD`` (never by listing tags), fetches an index and each platform's own
manifest and config blob (so labels are never the host platform's, unlike ``skopeo inspect``), verifies every
body against its digest, and lists tags only when asked, following ``Link`` pages. Authentication is the Bearer
challenge flow of :mod:`cicd_acceptance.registry.auth`; the transport is injected for tests.

Example::

    client = RegistryClient(registry="ghcr.io", username="octocat", token=Secret(pat))
    ref = client.head_manifest("acme/shop-gateway", "sha-860c190")   # None when the tag is absent
    info = client.image_info("acme/shop-gateway", ref.digest)        # per-platform labels
"""

from __future__ import annotations

import re
from collections.abc import Collection
from types import TracebackType

import httpx
import tenacity

from cicd_acceptance.errors import ConfigError, RegistryAccessDenied, RegistryError, RegistryNotFound
from cicd_acceptance.httpbounds import ACCEPT_ENCODING, DEFAULT_HTTP, BodyRefused, HttpSettings, bounded_response_hook
from cicd_acceptance.loopback import is_loopback_host
from cicd_acceptance.registry.auth import ACCESS_DENIED_HINT, RegistryTokenAuth
from cicd_acceptance.registry.manifests import (
    image_config,
    parse_manifest,
    platform_image,
    verify_digest,
)
from cicd_acceptance.registry.models import (
    MANIFEST_ACCEPT,
    Descriptor,
    ImageInfo,
    Manifest,
    ManifestRef,
    PlatformImage,
    RegistryStats,
    is_digest,
    validate_name,
    validate_tag,
)
from cicd_acceptance.registry.transport import (
    RequestCounter,
    media_type,
    oci_errors,
    rate_limited,
    retry_wait,
    retryable,
    tags_of,
)
from cicd_acceptance.secret import Secret

__all__ = ["RegistryClient"]

_REGISTRY_RE = re.compile(r"(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:]+\])(?::[0-9]{1,5})?")
_MAX_TAG_PAGES = 10_000
MAX_PLATFORMS = 32
MAX_RESPONSE_BYTES = 8 * 1024 * 1024
"""Largest body read (decoded): OCI manifests are at most 4 MiB, and an image config is far smaller."""
MAX_ATTEMPTS = 3


class RegistryClient:
    """A read-only client of one OCI registry.

    Parameters:
        registry: ``host[:port]``, e.g. ``ghcr.io`` or ``127.0.0.1:5000``.
        username / token: optional credentials, sent only to the registry's own token realm.
        scheme: ``https`` by default; ``http`` only for a loopback host.
        withheld: why no token was given although the run has one (see :mod:`.credentials`); access-denied
            messages repeat it.
        http: :class:`~cicd_acceptance.httpbounds.HttpSettings`: the transport (``MockTransport`` /
            ``WSGITransport`` in tests; default: the network), sleep and clock for retries and token expiry,
            timeouts, attempts (default 3) and the body cap (default :data:`MAX_RESPONSE_BYTES`).
    """

    def __init__(self, *, registry: str, username: str | None = None, token: Secret | None = None,
                 scheme: str | None = None, withheld: str = "", http: HttpSettings = DEFAULT_HTTP) -> None:
        self.registry = _check_registry(registry, scheme)
        self.scheme = scheme or "https"
        self.stats = RegistryStats()
        self._attempts = http.attempts(MAX_ATTEMPTS)
        self._sleep = http.sleep
        self._withheld = withheld
        auth = RegistryTokenAuth(registry_host=self.registry, username=username, token=token, clock=http.clock,
                                 withheld=withheld)
        bounds = bounded_response_hook(limit=http.body_limit(MAX_RESPONSE_BYTES), deadline_s=http.deadline_s,
                                       on_refused=_refused, clock=http.clock)
        self._http = httpx.Client(base_url=f"{self.scheme}://{self.registry}", transport=http.transport, auth=auth,
                                  event_hooks={"request": [RequestCounter(self.stats, self.registry)],
                                               "response": [bounds]},
                                  headers={"Accept-Encoding": ACCEPT_ENCODING, "User-Agent": http.user_agent},
                                  timeout=http.timeout_s, follow_redirects=False)

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def url(self, path: str) -> str:
        """The absolute URL of a registry path, as error messages show it."""
        return f"{self.scheme}://{self.registry}{path}"

    def head_manifest(self, name: str, reference: str) -> ManifestRef | None:
        """Resolve ``reference`` with one HEAD; None when the registry says the manifest or repository is unknown."""
        path = _manifest_path(name, reference)
        response = self._send("HEAD", path, headers={"Accept": MANIFEST_ACCEPT})
        if response.status_code == 404:
            return None  # a HEAD has no body, so MANIFEST_UNKNOWN and NAME_UNKNOWN look alike: both mean absent
        if response.status_code != 200:
            raise self._error(response, f"manifest {name}:{reference}")
        digest = response.headers.get("docker-content-digest")
        if digest and not is_digest(digest):  # the server's bad answer: it would be fetched as a path next
            raise RegistryError(f"Docker-Content-Digest {digest[:100]!r} is not a content digest", method="HEAD",
                                url=self.url(path), status_code=response.status_code)
        if not digest:
            digest = reference if is_digest(reference) else self.get_manifest(name, reference).digest
        size = response.headers.get("content-length")
        return ManifestRef(digest=digest, media_type=media_type(response),
                           size=int(size) if size and size.isdigit() else None)

    def get_manifest(self, name: str, reference: str) -> Manifest:
        """GET a manifest or index and verify its body against the digest (reference or Docker-Content-Digest)."""
        path = _manifest_path(name, reference)
        response = self._send("GET", path, headers={"Accept": MANIFEST_ACCEPT})
        if response.status_code != 200:
            raise self._error(response, f"manifest {name}:{reference}")
        url = self.url(path)
        expected = [d for d in (reference if is_digest(reference) else None,
                                response.headers.get("docker-content-digest")) if d]
        digest = verify_digest(response.content, expected, url=url)
        return parse_manifest(response.content, digest=digest, content_type=media_type(response), url=url)

    def get_blob_json(self, name: str, digest: str) -> dict[str, object]:
        """GET a JSON blob (an image config), following the registry's redirect to storage, and verify it."""
        path = f"/v2/{validate_name(name)}/blobs/{_check_digest(digest)}"
        # Registries hand blobs to storage by redirect; httpx drops Authorization when the host changes.
        response = self._send("GET", path, follow_redirects=True)
        if response.status_code != 200:
            raise self._error(response, f"blob {name}@{digest}")
        verify_digest(response.content, [digest], url=self.url(path))
        return image_config(response.content, url=self.url(path))

    def image_info(self, name: str, reference: str, *, platforms: Collection[str] | None = None) -> ImageInfo:
        """Every platform image ``reference`` points to, each with its own config labels; attestations apart.

        An index is hostile input too: more than ``MAX_INDEX_ENTRIES`` entries is refused, each digest is
        fetched once, and only the platforms that matter are verified: ``platforms`` when given (``linux/amd64``),
        else every ``linux/...`` platform. At most :data:`MAX_PLATFORMS` distinct images are fetched.
        """
        top = self.get_manifest(name, reference)
        if not top.is_index:
            platform = self._platform_image(name, top, None)
            return ImageInfo(reference=reference, digest=top.digest, media_type=top.media_type,
                             platforms=(platform,))
        wanted = self._wanted_entries(name, top, platforms)
        attestations = tuple(d for d in top.manifests if d.is_attestation)
        found = tuple(self._platform_image(name, self.get_manifest(name, d.digest), d.platform) for d in wanted)
        return ImageInfo(reference=reference, digest=top.digest, media_type=top.media_type,
                         platforms=found, attestations=attestations)

    def _wanted_entries(self, name: str, index: Manifest, platforms: Collection[str] | None) -> list[Descriptor]:
        url = self.url(_manifest_path(name, index.digest))
        chosen = set(platforms) if platforms is not None else None
        wanted: dict[str, Descriptor] = {}
        for entry in index.manifests:
            if entry.is_attestation or entry.digest in wanted:
                continue
            platform = entry.platform or ""
            if (platform in chosen) if chosen is not None else (platform.startswith("linux/") or not platform):
                wanted[entry.digest] = entry
        if len(wanted) > MAX_PLATFORMS:
            raise RegistryError(f"the index names {len(wanted)} distinct platform images, more than "
                                f"{MAX_PLATFORMS}; not verified", method="GET", url=url)
        return list(wanted.values())

    def list_tags(self, name: str, *, page_size: int | None = None) -> list[str]:
        """Every tag of ``name``, following ``Link: <...>; rel="next"``; a request per page, so only on demand."""
        url: str | None = f"/v2/{validate_name(name)}/tags/list" + (f"?n={page_size}" if page_size else "")
        tags: list[str] = []
        seen: set[str] = set()
        while url is not None:
            if url in seen or len(seen) >= _MAX_TAG_PAGES:
                raise RegistryError("tag pages loop or never end", method="GET", url=self.url(url))
            seen.add(url)
            response = self._send("GET", url)
            if response.status_code != 200:
                raise self._error(response, f"repository {name}")
            tags.extend(tags_of(response))
            url = self._next_page(response)
        return tags

    def _platform_image(self, name: str, manifest: Manifest, declared: str | None) -> PlatformImage:
        if manifest.config is None:
            raise RegistryError(f"{manifest.media_type} inside an index is not an image manifest", method="GET",
                                url=self.url(_manifest_path(name, manifest.digest)))
        config = self.get_blob_json(name, manifest.config.digest)
        return platform_image(config, manifest_digest=manifest.digest, config_digest=manifest.config.digest,
                              declared_platform=declared)

    def _send(self, method: str, url: str, *, headers: dict[str, str] | None = None,
              follow_redirects: bool = False) -> httpx.Response:
        """One logical request, retried on network errors and 408/429/5xx (every call here is idempotent)."""
        def attempt() -> httpx.Response:
            return self._http.request(method, url, headers=headers, follow_redirects=follow_redirects)

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self._attempts),
            wait=retry_wait,
            retry=(tenacity.retry_if_exception_type(httpx.TransportError)
                   | tenacity.retry_if_result(retryable)),
            sleep=self._sleep,
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
        )
        try:
            response: httpx.Response = retrying(attempt)
        except httpx.TransportError as exc:
            raise RegistryError(f"network error after {self._attempts} attempts: {exc}", method=method,
                                url=self.url(url)) from None
        except httpx.HTTPError as exc:   # e.g. TooManyRedirects from a blob redirect loop
            raise RegistryError(f"{type(exc).__name__}: {exc}", method=method, url=self.url(url)) from None
        return response

    def _next_page(self, response: httpx.Response) -> str | None:
        link = response.links.get("next", {}).get("url")
        if not link:
            return None
        try:
            target = response.request.url.join(link)
        except httpx.InvalidURL:
            raise RegistryError(f"Link rel=next is not a URL: {link[:100]!r}", method="GET",
                                url=str(response.request.url), status_code=response.status_code) from None
        if target.netloc.decode("ascii") != self.registry or target.scheme != self.scheme:
            # Our bearer token would follow the link: refuse to send it to another origin.
            raise RegistryError(f"Link rel=next points to another origin: {target}", method="GET",
                                url=str(response.request.url), status_code=response.status_code)
        return target.raw_path.decode("ascii")

    def _error(self, response: httpx.Response, what: str) -> RegistryError:
        method, url, status = response.request.method, str(response.request.url), response.status_code
        detail = oci_errors(response)
        if rate_limited(response):
            wait = response.headers.get("retry-after") or f"reset at {response.headers.get('x-ratelimit-reset')}"
            return RegistryError(f"rate limited (retry-after {wait}){detail}", method=method, url=url,
                                 status_code=status)
        if status in (401, 403):
            withheld = f"; {self._withheld}" if self._withheld else ""
            return RegistryAccessDenied(f"{ACCESS_DENIED_HINT}{detail}{withheld}", method=method, url=url,
                                        status_code=status)
        if status == 404:
            return RegistryNotFound(f"{what} not found{detail}", method=method, url=url, status_code=status)
        return RegistryError(f"unexpected answer for {what}{detail}", method=method, url=url, status_code=status)


def _refused(response: httpx.Response, exc: BodyRefused) -> RegistryError:
    return RegistryError(exc.reason, method=response.request.method, url=str(response.request.url),
                         status_code=response.status_code)


def _check_registry(registry: str, scheme: str | None) -> str:
    host = registry.strip().lower()
    # The host is the user's --registry or the plan's (which --registry checks less strictly than this).
    if "/" in host or not _REGISTRY_RE.fullmatch(host):
        raise ConfigError(f"{registry!r} is not a registry host[:port] (e.g. ghcr.io)", source="registry")
    # The scheme is the caller's choice (registry_scheme picks http for a loopback host only).
    if scheme not in (None, "https", "http"):
        raise ValueError(f"registry scheme {scheme!r} is neither https nor http")
    bare = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:host.index("]")]
    if scheme == "http" and not is_loopback_host(bare):
        raise ValueError(f"plain http is allowed only for a loopback registry, not {registry!r}")
    return host


def _manifest_path(name: str, reference: str) -> str:
    ref = reference if is_digest(reference) else validate_tag(reference)
    return f"/v2/{validate_name(name)}/manifests/{ref}"


def _check_digest(digest: str) -> str:
    # Digests come from manifests, which parse_manifest has checked; another value is the caller's mistake.
    if not is_digest(digest):
        raise ValueError(f"{digest!r} is not a content digest (algorithm:hex)")
    return digest


