"""Names, tags, digests and media types of the OCI distribution spec, as the emulated registry checks them.

The grammar is the distribution spec's (``opencontainers/distribution-spec`` "Pulling manifests"): repository
names are lowercase path components, tags are ``[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}``, digests are
``algorithm:hex``. ghcr.io applies the same rules, which is why ``${{ github.repository }}`` with an uppercase
owner fails to push there.
"""

from __future__ import annotations

import hashlib
import re

__all__ = [
    "DOCKER_MANIFEST",
    "DOCKER_MANIFEST_LIST",
    "IMAGE_MANIFEST_TYPES",
    "INDEX_TYPES",
    "IN_TOTO",
    "MANIFEST_TYPES",
    "OCI_CONFIG",
    "OCI_INDEX",
    "OCI_LAYER_GZIP",
    "OCI_MANIFEST",
    "OCI_TYPES",
    "compute_digest",
    "is_valid_digest",
    "is_valid_name",
    "is_valid_tag",
]

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
IN_TOTO = "application/vnd.in-toto+json"

INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
IMAGE_MANIFEST_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
MANIFEST_TYPES = INDEX_TYPES | IMAGE_MANIFEST_TYPES
# Distribution serves these only to clients that list them in Accept; docker types are served regardless.
OCI_TYPES = frozenset({OCI_INDEX, OCI_MANIFEST})

_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
_NAME = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
_TAG = re.compile(r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}")
_DIGEST = re.compile(r"([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)")
# Hex lengths of the algorithms distribution accepts; anything else is DIGEST_INVALID / UNSUPPORTED.
_HEX_LENGTH = {"sha256": 64, "sha384": 96, "sha512": 128}
# Distribution's limit for a whole repository name (reference.NameTotalLengthMax).
_NAME_MAX = 255


def is_valid_name(name: str) -> bool:
    """True when ``name`` matches the distribution name grammar (lowercase, ``/``-separated components)."""
    return len(name) <= _NAME_MAX and _NAME.fullmatch(name) is not None


def is_valid_tag(tag: str) -> bool:
    """True when ``tag`` is a valid tag (``[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}``)."""
    return _TAG.fullmatch(tag) is not None


def is_valid_digest(digest: str) -> bool:
    """True for ``sha256:<64 hex>`` (or sha384/sha512 with their lengths), lowercase hex as distribution wants."""
    match = _DIGEST.fullmatch(digest)
    if match is None:
        return False
    algorithm, encoded = match.groups()
    length = _HEX_LENGTH.get(algorithm)
    return length == len(encoded) and re.fullmatch(r"[0-9a-f]+", encoded) is not None


def compute_digest(data: bytes, algorithm: str = "sha256") -> str:
    """The content digest of ``data`` (``algorithm`` must be one :func:`is_valid_digest` accepts)."""
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"
