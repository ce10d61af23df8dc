"""Real, content-addressed image content for the emulated registry: what ``docker buildx build --push`` uploads.

:func:`build_image` makes, per platform, a small gzip'd tar layer, an OCI image config (labels, ``created``,
``rootfs.diff_ids``) and an OCI image manifest; then, as buildx does by default, one provenance attestation
manifest per platform (platform ``unknown/unknown``, annotation ``vnd.docker.reference.type:
attestation-manifest``, an in-toto SLSA provenance layer); and an OCI image index holding all of them. Every
digest is the sha256 of the exact bytes stored, so skopeo and other clients can verify what they pull.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cicd_acceptance.emulator.errors import OciRefused
from cicd_acceptance.emulator.registry.grammar import (
    IN_TOTO,
    OCI_CONFIG,
    OCI_INDEX,
    OCI_LAYER_GZIP,
    OCI_MANIFEST,
    compute_digest,
)

__all__ = ["BuiltImage", "Platform", "build_image", "canonical_json", "parse_platform", "rfc3339"]

_REFERENCE_TYPE = "vnd.docker.reference.type"


@dataclass(frozen=True)
class Platform:
    """An OCI platform (``linux/arm/v7`` -> os ``linux``, architecture ``arm``, variant ``v7``)."""

    os: str
    architecture: str
    variant: str | None = None

    def to_json(self) -> dict[str, str]:
        """The ``platform`` object of an index entry."""
        out = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            out["variant"] = self.variant
        return out

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


@dataclass(frozen=True)
class BuiltImage:
    """Everything one push uploads: ``blobs`` (layers, configs) and ``manifests`` (digest -> (media type, bytes))."""

    index_digest: str
    blobs: Mapping[str, bytes]
    manifests: Mapping[str, tuple[str, bytes]]


def canonical_json(value: object) -> bytes:
    """Compact JSON bytes; the digest of a manifest is the digest of exactly these bytes."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def rfc3339(moment: datetime) -> str:
    """``2026-11-27T07:30:00Z`` (naive datetimes are taken as UTC, as the emulated clock uses UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_platform(text: str, *, where: str) -> Platform:
    """``os/arch[/variant]`` -> :class:`Platform`; anything else is refused like buildx refuses it."""
    parts = text.split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise OciRefused(f"invalid platform {text!r} (expected os/arch[/variant])", code="MANIFEST_INVALID",
                              method="PUT", url=where)
    return Platform(parts[0], parts[1], parts[2] if len(parts) == 3 else None)


def build_image(name: str, *, labels: Mapping[str, str], platforms: Sequence[Platform], attestation: bool,
                created: datetime) -> BuiltImage:
    """Build the blobs, per-platform manifests, attestations and the index of one multi-platform push."""
    blobs: dict[str, bytes] = {}
    manifests: dict[str, tuple[str, bytes]] = {}
    entries: list[dict[str, object]] = []
    attestations: list[dict[str, object]] = []
    for platform in platforms:
        manifest = _platform_manifest(name, platform, labels, created, blobs)
        digest = _store(manifests, OCI_MANIFEST, manifest)
        entries.append(_descriptor(OCI_MANIFEST, digest, manifest, platform=platform.to_json()))
        if attestation:
            attestations.append(_attestation_entry(name, platform, digest, created, blobs, manifests))
    index = canonical_json({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries + attestations})
    index_digest = _store(manifests, OCI_INDEX, index)
    return BuiltImage(index_digest=index_digest, blobs=blobs, manifests=manifests)


def _platform_manifest(name: str, platform: Platform, labels: Mapping[str, str], created: datetime,
                       blobs: dict[str, bytes]) -> bytes:
    layer, diff_id = _layer(f"{name} {platform}\n")
    config = canonical_json({
        "created": rfc3339(created),
        "architecture": platform.architecture,
        "os": platform.os,
        **({"variant": platform.variant} if platform.variant else {}),
        "config": {"Labels": dict(labels), "Cmd": ["/bin/true"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": rfc3339(created), "created_by": "COPY image-info /etc/image-info # buildkit"}],
    })
    return _image_manifest(config, OCI_CONFIG, [(layer, OCI_LAYER_GZIP, None)], blobs)


def _attestation_entry(name: str, platform: Platform, subject: str, created: datetime, blobs: dict[str, bytes],
                       manifests: dict[str, tuple[str, bytes]]) -> dict[str, object]:
    statement = canonical_json({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://slsa.dev/provenance/v0.2",
        "subject": [{"name": f"pkg:docker/{name}?platform={platform}", "digest": {"sha256": subject[7:]}}],
        "predicate": {
            "builder": {"id": ""},
            "buildType": "https://mobyproject.org/buildkit@v1",
            "metadata": {"buildStartedOn": rfc3339(created), "buildFinishedOn": rfc3339(created)},
        },
    })
    config = canonical_json({"architecture": "unknown", "os": "unknown", "config": {},
                             "rootfs": {"type": "layers", "diff_ids": [compute_digest(statement)]}})
    annotations = {"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"}
    manifest = _image_manifest(config, OCI_CONFIG, [(statement, IN_TOTO, annotations)], blobs)
    digest = _store(manifests, OCI_MANIFEST, manifest)
    return _descriptor(OCI_MANIFEST, digest, manifest, platform={"architecture": "unknown", "os": "unknown"},
                       annotations={"vnd.docker.reference.digest": subject,
                                    _REFERENCE_TYPE: "attestation-manifest"})


def _image_manifest(config: bytes, config_type: str, layers: list[tuple[bytes, str, dict[str, str] | None]],
                    blobs: dict[str, bytes]) -> bytes:
    config_digest = compute_digest(config)
    blobs[config_digest] = config
    layer_descriptors = []
    for data, media_type, layer_annotations in layers:
        digest = compute_digest(data)
        blobs[digest] = data
        layer_descriptors.append(_descriptor(media_type, digest, data, annotations=layer_annotations))
    return canonical_json({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": _descriptor(config_type, config_digest, config),
        "layers": layer_descriptors,
    })


def _descriptor(media_type: str, digest: str, data: bytes, *, platform: dict[str, str] | None = None,
                annotations: dict[str, str] | None = None) -> dict[str, object]:
    out: dict[str, object] = {"mediaType": media_type, "digest": digest, "size": len(data)}
    if annotations:
        out["annotations"] = annotations
    if platform:
        out["platform"] = platform
    return out


def _store(manifests: dict[str, tuple[str, bytes]], media_type: str, data: bytes) -> str:
    digest = compute_digest(data)
    manifests[digest] = (media_type, data)
    return digest


def _layer(text: str) -> tuple[bytes, str]:
    """A deterministic tar.gz holding ``etc/image-info``; returns (compressed bytes, diff_id of the tar)."""
    payload = text.encode()
    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("etc/image-info")
        info.size = len(payload)
        info.mode = 0o644
        info.mtime = 0  # fixed, so the same image content always has the same digest
        tar.addfile(info, io.BytesIO(payload))
    raw = tar_buffer.getvalue()
    return gzip.compress(raw, mtime=0), compute_digest(raw)
