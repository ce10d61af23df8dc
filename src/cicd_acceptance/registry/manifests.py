"""Turning registry bodies into models: digest verification, manifest/index parsing, image configs.

Pure functions over bytes, so they are tested without HTTP. Each takes the ``url`` the body came from, and every
error names it (``GET https://ghcr.io/v2/... : digest mismatch ...``): a bad body is the registry's fault or a
tampered path, and the user needs to know which call it was.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from cicd_acceptance.errors import RegistryError
from cicd_acceptance.registry.models import Descriptor, Manifest, PlatformImage, is_digest

__all__ = ["image_config", "parse_manifest", "parse_oci_time", "platform_image", "verify_digest"]

_ALGORITHMS = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}
_MANIFEST_TYPES = frozenset({
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
})
# Go writes up to nine fractional digits; datetime takes six.
_TIME_RE = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$")


def _bad(message: str, url: str) -> RegistryError:
    return RegistryError(message, method="GET", url=url)


def verify_digest(body: bytes, expected: Sequence[str], *, url: str) -> str:
    """Return the body's digest; raise if it differs from any expected digest (reference, Docker-Content-Digest)."""
    algorithm = expected[0].split(":", 1)[0] if expected else "sha256"
    hasher = _ALGORITHMS.get(algorithm)
    if hasher is None:
        raise _bad(f"unsupported digest algorithm {algorithm!r}", url)
    actual = f"{algorithm}:{hasher(body).hexdigest()}"
    for digest in expected:
        if digest != actual:
            raise _bad(f"digest mismatch: expected {digest}, the body hashes to {actual}", url)
    return actual


def _json_object(body: bytes, what: str, url: str) -> dict[str, object]:
    try:
        data = json.loads(body)
    except RecursionError:
        raise _bad(f"{what} is JSON nested too deeply to read", url) from None
    except ValueError as exc:
        raise _bad(f"{what} is not JSON: {exc}", url) from None
    if not isinstance(data, dict):
        raise _bad(f"{what} is not a JSON object", url)
    return data


def _descriptor(raw: object, url: str) -> Descriptor:
    if not isinstance(raw, dict):
        raise _bad("malformed descriptor (not an object)", url)
    media_type, digest, size = raw.get("mediaType"), raw.get("digest"), raw.get("size", 0)
    if not isinstance(media_type, str) or not isinstance(digest, str) or not isinstance(size, int):
        raise _bad(f"malformed descriptor {json.dumps(raw)[:200]}", url)
    if not is_digest(digest):  # it is fetched next: a path, never a tag (../x, ?query, 64 KB of text)
        raise _bad(f"descriptor has an invalid digest {digest[:100]!r}", url)
    annotations = raw.get("annotations") or {}
    pairs = tuple(sorted((str(k), str(v)) for k, v in annotations.items())) if isinstance(annotations, dict) else ()
    return Descriptor(media_type=media_type, digest=digest, size=size, platform=_platform(raw.get("platform")),
                      annotations=pairs)


def _platform(raw: object) -> str | None:
    if not isinstance(raw, Mapping):
        return None
    parts = [raw.get("os"), raw.get("architecture"), raw.get("variant")]
    return "/".join(str(p) for p in parts if p) or None


MAX_INDEX_ENTRIES = 256
"""Largest image index verified: a multi-platform build with attestations has a handful of entries."""
MAX_LAYERS = 1024


def parse_manifest(body: bytes, *, digest: str, content_type: str, url: str) -> Manifest:
    """Parse an image index / manifest list or an image manifest (OCI or docker v2)."""
    data = _json_object(body, "manifest", url)
    declared = data.get("mediaType")
    media_type = declared if isinstance(declared, str) and declared else content_type
    if media_type not in _MANIFEST_TYPES:
        if "manifests" not in data and "config" not in data:
            raise _bad(f"unsupported manifest media type {media_type!r}", url)
        media_type = "application/vnd.oci.image.index.v1+json" if "manifests" in data else (
            "application/vnd.oci.image.manifest.v1+json")
    children = data.get("manifests")
    if children is not None:
        if not isinstance(children, list):
            raise _bad("index 'manifests' is not a list", url)
        if len(children) > MAX_INDEX_ENTRIES:  # refused before a descriptor is built for each
            raise _bad(f"the index lists {len(children)} manifests, more than the {MAX_INDEX_ENTRIES} a build's "
                       "image may have; not verified", url)
        return Manifest(digest=digest, media_type=media_type, manifests=tuple(_descriptor(c, url) for c in children))
    layers = data.get("layers") or []
    if not isinstance(layers, list):
        raise _bad("manifest 'layers' is not a list", url)
    if len(layers) > MAX_LAYERS:
        raise _bad(f"the manifest lists {len(layers)} layers, more than {MAX_LAYERS}; not verified", url)
    return Manifest(digest=digest, media_type=media_type, config=_descriptor(data.get("config"), url),
                    layers=tuple(_descriptor(layer, url) for layer in layers))


def image_config(body: bytes, *, url: str) -> dict[str, object]:
    """The JSON object of an image config blob."""
    return _json_object(body, "image config", url)


def parse_oci_time(value: object) -> datetime | None:
    """An RFC 3339 time as written by Go (nanoseconds, ``Z``) as an aware datetime; None if absent or odd."""
    if not isinstance(value, str):
        return None
    match = _TIME_RE.match(value.strip())
    if not match:
        return None
    base, fraction, zone = match.groups()
    text = base + (f".{fraction[:6].ljust(6, '0')}" if fraction else "") + ("+00:00" if zone in (None, "Z") else zone)
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        return None


def platform_image(config: Mapping[str, object], *, manifest_digest: str, config_digest: str,
                   declared_platform: str | None) -> PlatformImage:
    """A :class:`PlatformImage` from a platform's own config blob (labels under ``config.Labels``)."""
    inner = config.get("config")
    labels = inner.get("Labels") if isinstance(inner, Mapping) else None
    pairs = tuple(sorted((str(k), str(v)) for k, v in labels.items())) if isinstance(labels, Mapping) else ()
    created = parse_oci_time(config.get("created"))
    if created is None:
        created = parse_oci_time(dict(pairs).get("org.opencontainers.image.created"))
    return PlatformImage(platform=declared_platform or _platform(config) or "unknown",
                         manifest_digest=manifest_digest, config_digest=config_digest, labels=pairs,
                         created=created)
