"""Reading a pushed manifest the way distribution does before it accepts it.

:func:`manifest_references` parses the bytes of a ``PUT /v2/<name>/manifests/<ref>``, settles its media type
(``Content-Type``, else the body's ``mediaType``) and returns the digests it needs: blobs (config, layers) for an
image manifest, manifests for an index. The store then checks they exist (``MANIFEST_BLOB_UNKNOWN``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cicd_acceptance.emulator.errors import OciRefused
from cicd_acceptance.emulator.registry.grammar import INDEX_TYPES, MANIFEST_TYPES, is_valid_digest

__all__ = ["ManifestReferences", "manifest_references"]

# Layers that live elsewhere (Windows base layers) are not uploaded, so they are not required to exist.
_FOREIGN_LAYERS = frozenset({
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
})


@dataclass(frozen=True)
class ManifestReferences:
    """What a manifest needs: its media type, the blobs and the child manifests it points at."""

    media_type: str
    blobs: tuple[str, ...]
    manifests: tuple[str, ...]


def manifest_references(body: bytes, content_type: str | None, *, url: str) -> ManifestReferences:
    """Parse and validate a manifest; raises :class:`OciRefused` ``MANIFEST_INVALID`` naming ``url``."""
    document = _load(body, url)
    media_type = _media_type(document, content_type, url)
    if document.get("schemaVersion") != 2:
        raise _invalid("schemaVersion must be 2", url)
    if media_type in INDEX_TYPES:
        return ManifestReferences(media_type, (), tuple(_digests(document, "manifests", url)))
    config = document.get("config")
    if not isinstance(config, dict):
        raise _invalid("an image manifest needs a config descriptor", url)
    blobs = [_digest_of(config, url), *_digests(document, "layers", url, skip=_FOREIGN_LAYERS)]
    return ManifestReferences(media_type, tuple(blobs), ())


def _load(body: bytes, url: str) -> dict[str, object]:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _invalid(f"manifest is not JSON: {exc}", url) from None
    if not isinstance(document, dict):
        raise _invalid("manifest is not a JSON object", url)
    return document


def _media_type(document: dict[str, object], content_type: str | None, url: str) -> str:
    declared = document.get("mediaType")
    header = (content_type or "").split(";")[0].strip()
    # A generic Content-Type (application/json, octet-stream) defers to the body's mediaType, as distribution's
    # fallback does; a manifest type in the header is authoritative and must agree with the body.
    media_type = header if header in MANIFEST_TYPES else declared
    if not isinstance(media_type, str) or media_type not in MANIFEST_TYPES:
        raise _invalid(f"unsupported manifest media type {header or declared!r}", url)
    if declared is not None and declared != media_type:
        raise _invalid(f"mediaType {declared!r} in the body does not match Content-Type {media_type!r}", url)
    return media_type


def _digests(document: dict[str, object], key: str, url: str, *, skip: frozenset[str] = frozenset()) -> list[str]:
    items = document.get(key, [])
    if not isinstance(items, list):
        raise _invalid(f"{key} must be a list", url)
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise _invalid(f"every entry of {key} must be a descriptor object", url)
        if item.get("mediaType") not in skip:
            out.append(_digest_of(item, url))
    return out


def _digest_of(descriptor: dict[str, object], url: str) -> str:
    digest = descriptor.get("digest")
    if not isinstance(digest, str) or not is_valid_digest(digest):
        raise _invalid(f"descriptor has an invalid digest {digest!r}", url)
    return digest


def _invalid(message: str, url: str) -> OciRefused:
    return OciRefused(message, code="MANIFEST_INVALID", method="PUT", url=url)
