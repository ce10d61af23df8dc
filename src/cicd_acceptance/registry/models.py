"""Frozen value types of the OCI registry client, and image-reference parsing.

Everything a :class:`~cicd_acceptance.registry.client.RegistryClient` returns is one of these dataclasses, so no
raw JSON escapes the client. :func:`parse_image_ref` validates names against the distribution spec's grammar
(lowercase path components) so a ``${{ github.repository }}`` with capitals is caught here with a clear message
rather than as a confusing 404 from the registry.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from cicd_acceptance.errors import ConfigError

__all__ = [
    "ATTESTATION_REFERENCE_TYPE",
    "DOCKER_MANIFEST",
    "DOCKER_MANIFEST_LIST",
    "INDEX_MEDIA_TYPES",
    "MANIFEST_ACCEPT",
    "OCI_INDEX",
    "OCI_MANIFEST",
    "Descriptor",
    "ImageInfo",
    "ImageRef",
    "Manifest",
    "ManifestRef",
    "PlatformImage",
    "RegistryStats",
    "is_digest",
    "parse_image_ref",
    "validate_name",
    "validate_tag",
]

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEX_MEDIA_TYPES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
# All four in one Accept: distribution 2.8 answers 404 MANIFEST_UNKNOWN for an OCI manifest whose type is missing.
MANIFEST_ACCEPT = ", ".join((OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST))
# buildx marks its provenance/SBOM manifests in the index with this annotation value.
ATTESTATION_REFERENCE_TYPE = "attestation-manifest"

# Distribution spec grammar (docs/spec.md "Pulling manifests"): path components of lowercase alphanumerics
# joined by '.', '_', '__' or runs of '-'; components joined by '/'.
_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
_NAME_RE = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
_TAG_RE = re.compile(r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}")
_DIGEST_RE = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")
_HOST_RE = re.compile(r"(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?")
_MAX_NAME = 255


def is_digest(reference: str) -> bool:
    """True when ``reference`` is a content digest (``sha256:...``) rather than a tag."""
    return _DIGEST_RE.fullmatch(reference) is not None


def validate_name(name: str, *, source: str = "image name") -> str:
    """Return ``name`` if it is a valid repository name, else raise ConfigError saying what is wrong."""
    if _NAME_RE.fullmatch(name) and len(name) <= _MAX_NAME:
        return name
    hint = f" (registry names are lowercase: use {name.lower()!r})" if name != name.lower() else ""
    raise ConfigError(f"{name!r} is not a valid OCI repository name{hint}", source=source)


def validate_tag(tag: str, *, source: str = "image tag") -> str:
    """Return ``tag`` if it matches ``[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}``, else raise ConfigError."""
    if _TAG_RE.fullmatch(tag):
        return tag
    raise ConfigError(f"{tag!r} is not a valid OCI tag ([a-zA-Z0-9_][a-zA-Z0-9._-]{{0,127}})", source=source)


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference: ``registry/name[:tag][@digest]``."""

    registry: str
    name: str
    tag: str | None = None
    digest: str | None = None

    @property
    def reference(self) -> str:
        """The digest when pinned, else the tag, else ``latest`` (what ``docker pull`` would fetch)."""
        return self.digest or self.tag or "latest"

    def __str__(self) -> str:
        text = f"{self.registry}/{self.name}"
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def parse_image_ref(text: str, *, default_registry: str | None = None, source: str = "image reference") -> ImageRef:
    """Parse ``ghcr.io/owner/repo-gateway:sha-abc`` (or ``...@sha256:...``) into an :class:`ImageRef`.

    The first path component is the registry when it looks like a host (has a '.' or ':' or is ``localhost``),
    as docker decides; otherwise ``default_registry`` is used and must be given.
    """
    rest, digest = _split_digest(text, source)
    first, _, remainder = rest.partition("/")
    if remainder and (("." in first or ":" in first or first == "localhost") and _HOST_RE.fullmatch(first)):
        registry, path = first, remainder
    elif default_registry:
        registry, path = default_registry, rest
    else:
        raise ConfigError(f"{text!r} names no registry host (expected e.g. ghcr.io/owner/name:tag)", source=source)
    name, tag = _split_tag(path)
    validate_name(name, source=source)
    if tag is not None:
        validate_tag(tag, source=source)
    return ImageRef(registry=registry, name=name, tag=tag, digest=digest)


def _split_digest(text: str, source: str) -> tuple[str, str | None]:
    rest, sep, digest = text.strip().partition("@")
    if not sep:
        return rest, None
    if not is_digest(digest):
        raise ConfigError(f"{text!r} has an invalid digest {digest!r}", source=source)
    return rest, digest


def _split_tag(path: str) -> tuple[str, str | None]:
    # A ':' after the last '/' separates the tag; a ':' before it belongs to a host port.
    slash = path.rfind("/")
    colon = path.rfind(":")
    if colon > slash:
        return path[:colon], path[colon + 1 :]
    return path, None


@dataclass(frozen=True)
class ManifestRef:
    """What a manifest HEAD says: the digest the reference resolves to, its media type and size."""

    digest: str
    media_type: str
    size: int | None = None


@dataclass(frozen=True)
class Descriptor:
    """An OCI descriptor: a child manifest in an index, or a config/layer of a manifest."""

    media_type: str
    digest: str
    size: int
    platform: str | None = None
    annotations: tuple[tuple[str, str], ...] = ()

    @property
    def is_attestation(self) -> bool:
        """True for buildx provenance/SBOM manifests (annotation or the ``unknown/unknown`` platform)."""
        marked = dict(self.annotations).get("vnd.docker.reference.type") == ATTESTATION_REFERENCE_TYPE
        return marked or self.platform == "unknown/unknown"


@dataclass(frozen=True)
class Manifest:
    """A fetched manifest whose body hashed to ``digest``: an index (``manifests``) or an image (``config``)."""

    digest: str
    media_type: str
    manifests: tuple[Descriptor, ...] = ()
    config: Descriptor | None = None
    layers: tuple[Descriptor, ...] = ()

    @property
    def is_index(self) -> bool:
        """True for an OCI image index or a docker manifest list."""
        return self.media_type in INDEX_MEDIA_TYPES


@dataclass(frozen=True)
class PlatformImage:
    """One platform's image inside what a tag points to, with the labels of *its own* config blob."""

    platform: str
    manifest_digest: str
    config_digest: str
    labels: tuple[tuple[str, str], ...]
    created: datetime | None

    def label(self, key: str) -> str | None:
        """The value of label ``key``, or None when the config does not carry it."""
        return dict(self.labels).get(key)


@dataclass(frozen=True)
class ImageInfo:
    """What ``reference`` points to: its digest and media type, each platform image, and skipped attestations."""

    reference: str
    digest: str
    media_type: str
    platforms: tuple[PlatformImage, ...]
    attestations: tuple[Descriptor, ...] = ()


@dataclass
class RegistryStats:
    """Requests sent by one client, by kind (``manifest_head``, ``manifest_get``, ``blob``, ``tags``, ``token``)."""

    requests: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        """Every request sent, including token fetches, challenge round trips and redirect hops."""
        return sum(self.requests.values())

    def snapshot(self) -> dict[str, int]:
        """A plain copy for evidence (sorted by kind)."""
        return dict(sorted(self.requests.items()))
