"""The emulated registry's state: repositories, content-addressed blobs and manifests, tags, uploads, versions.

One :class:`RegistryState` is created per emulator (no module state) and shared by the HTTP routes
(:mod:`registry_app`) and the workflow executor, which calls :meth:`RegistryState.push_image` to publish what a
build job would push. A lock makes it safe under the threaded server. Blobs live in one content-addressed store
and are *linked* into repositories, as in distribution: a blob is visible in a repository only once it was
uploaded there (or pushed with an image there).

Usage::

    state = RegistryState(now=lambda: datetime.now(UTC))
    digest = state.push_image("owner/stream-monitor/gateway", ["main", "sha-abc1234"],
                              labels={"org.opencontainers.image.revision": "abc1234..."})
    state.manifest("owner/stream-monitor/gateway", "main").digest == digest
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cicd_acceptance.emulator.errors import OciRefused
from cicd_acceptance.emulator.registry.content import build_image, parse_platform
from cicd_acceptance.emulator.registry.grammar import compute_digest, is_valid_digest, is_valid_name, is_valid_tag
from cicd_acceptance.emulator.registry.manifests import manifest_references

__all__ = ["PackageVersion", "RegistryState", "StoredManifest"]


@dataclass(frozen=True)
class PackageVersion:
    """One version as GitHub's Packages REST lists it: a pushed top-level manifest digest and its current tags."""

    id: int
    digest: str
    tags: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True)
class StoredManifest:
    """A manifest exactly as stored: its digest is the sha256 of ``body``."""

    digest: str
    media_type: str
    body: bytes


@dataclass
class _Repository:
    blobs: set[str] = field(default_factory=set)
    manifests: dict[str, StoredManifest] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    versions: dict[str, tuple[int, datetime]] = field(default_factory=dict)


class RegistryState:
    """Repositories of the emulated ghcr.io. ``now`` is the emulator's clock (used for ``created`` times)."""

    def __init__(self, *, now: Callable[[], datetime]) -> None:
        self._now = now
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Forget every repository, blob, upload and visibility setting."""
        with self._lock:
            self._blobs: dict[str, bytes] = {}
            self._repos: dict[str, _Repository] = {}
            self._private: set[str] = set()
            self._uploads: dict[str, tuple[str, bytearray]] = {}
            self._next_version_id = 1

    # -- publishing (the workflow executor's side) -----------------------------------------------------------
    def push_image(self, name: str, tags: Sequence[str], *, labels: Mapping[str, str],
                   platforms: Sequence[str] = ("linux/amd64",), attestation: bool = True) -> str:
        """Push an OCI image index (one manifest per platform + attestations) tagged ``tags``; return its digest."""
        where = f"/v2/{name}/manifests/{tags[0] if tags else ''}"
        _check_name(name, "PUT", where)
        for tag in tags:
            _check_tag(tag, where)
        if not platforms or len(set(platforms)) != len(platforms):
            raise OciRefused(f"platforms must be distinct and non-empty: {list(platforms)}",
                                  code="MANIFEST_INVALID", method="PUT", url=where)
        parsed = [parse_platform(p, where=where) for p in platforms]
        with self._lock:
            image = build_image(name, labels=labels, platforms=parsed, attestation=attestation, created=self._now())
            repo = self._repo(name)
            for digest, data in image.blobs.items():
                self._link(repo, digest, data)
            for digest, (media_type, body) in image.manifests.items():
                self._store_manifest(repo, StoredManifest(digest, media_type, body))
            for tag in tags:
                repo.tags[tag] = image.index_digest
            self._record_version(repo, image.index_digest)
            return image.index_digest

    def set_public(self, name: str, public: bool) -> None:
        """Make a package public (the default: anonymous pulls work) or private (pulls need credentials)."""
        with self._lock:
            if public:
                self._private.discard(name)
            else:
                self._private.add(name)

    # -- reading -----------------------------------------------------------------------------------------
    def is_public(self, name: str) -> bool:
        """Whether anonymous pulls of ``name`` are allowed (only meaningful once it exists)."""
        with self._lock:
            return name not in self._private

    def has_repository(self, name: str) -> bool:
        """Whether anything was pushed to ``name``."""
        with self._lock:
            return name in self._repos

    def repositories(self) -> list[str]:
        """Every repository name, sorted."""
        with self._lock:
            return sorted(self._repos)

    def tags(self, name: str) -> list[str]:
        """Tags of ``name`` in lexical (byte) order, as ``tags/list`` returns them; empty if unknown."""
        with self._lock:
            repo = self._repos.get(name)
            return sorted(repo.tags) if repo else []

    def manifest(self, name: str, reference: str) -> StoredManifest | None:
        """The manifest a tag or digest names in ``name``, or None."""
        with self._lock:
            repo = self._repos.get(name)
            if repo is None:
                return None
            digest = reference if is_valid_digest(reference) else repo.tags.get(reference)
            return repo.manifests.get(digest) if digest else None

    def blob(self, name: str, digest: str) -> bytes | None:
        """The bytes of a blob linked into ``name`` (manifests are blobs too, as in distribution), or None."""
        with self._lock:
            repo = self._repos.get(name)
            return self._blobs.get(digest) if repo and digest in repo.blobs else None

    def versions(self, name: str) -> list[PackageVersion]:
        """Package versions of ``name``, newest first (empty if unknown), with the tags that point at each now."""
        with self._lock:
            repo = self._repos.get(name)
            if repo is None:
                return []
            out = [PackageVersion(vid, digest, tuple(sorted(t for t, d in repo.tags.items() if d == digest)), at)
                   for digest, (vid, at) in repo.versions.items()]
            return sorted(out, key=lambda v: (v.created_at, v.id), reverse=True)

    # -- the distribution protocol (the HTTP routes' side) ------------------------------------------------
    def put_manifest(self, name: str, reference: str, body: bytes, content_type: str | None) -> StoredManifest:
        """Store a pushed manifest after distribution's checks (grammar, digest, referenced content exists)."""
        url = f"/v2/{name}/manifests/{reference}"
        _check_name(name, "PUT", url)
        refs = manifest_references(body, content_type, url=url)
        digest = compute_digest(body)
        if is_valid_digest(reference):
            if reference != compute_digest(body, reference.split(":")[0]):
                raise OciRefused(f"manifest body does not match digest {reference}", code="DIGEST_INVALID",
                                      method="PUT", url=url)
        else:
            _check_tag(reference, url)
        with self._lock:
            repo = self._repo(name)
            missing = [d for d in refs.blobs if d not in repo.blobs]
            missing += [d for d in refs.manifests if d not in repo.manifests]
            if missing:
                raise OciRefused(f"blob unknown to registry: {missing[0]}", code="MANIFEST_BLOB_UNKNOWN",
                                      method="PUT", url=url, detail=missing[0])
            stored = StoredManifest(digest, refs.media_type, body)
            self._store_manifest(repo, stored)
            if not is_valid_digest(reference):
                repo.tags[reference] = digest
                self._record_version(repo, digest)
            return stored

    def delete_manifest(self, name: str, reference: str) -> bool:
        """Delete a manifest by digest (and the tags on it) or just a tag; False when there was nothing."""
        with self._lock:
            repo = self._repos.get(name)
            if repo is None:
                return False
            if not is_valid_digest(reference):
                return repo.tags.pop(reference, None) is not None
            if repo.manifests.pop(reference, None) is None:
                return False
            repo.tags = {t: d for t, d in repo.tags.items() if d != reference}
            repo.versions.pop(reference, None)
            return True

    def start_upload(self, name: str) -> str:
        """Open an upload session in ``name``; returns its id."""
        _check_name(name, "POST", f"/v2/{name}/blobs/uploads/")
        with self._lock:
            upload_id = str(uuid.uuid4())
            self._uploads[upload_id] = (name, bytearray())
            return upload_id

    def upload_size(self, name: str, upload_id: str) -> int | None:
        """Bytes received so far by an upload session, or None when it is unknown."""
        with self._lock:
            buffer = self._upload(name, upload_id)
            return len(buffer) if buffer is not None else None

    def append_upload(self, name: str, upload_id: str, data: bytes, *, start: int | None = None) -> int:
        """Append a chunk (``start`` from Content-Range must equal the current size); returns the new size."""
        url = f"/v2/{name}/blobs/uploads/{upload_id}"
        with self._lock:
            buffer = self._session(name, upload_id, url)
            if start is not None and start != len(buffer):
                raise OciRefused(f"chunk starts at {start}, upload has {len(buffer)} bytes",
                                      code="RANGE_INVALID", method="PATCH", url=url, status_code=416)
            buffer.extend(data)
            return len(buffer)

    def finish_upload(self, name: str, upload_id: str, digest: str, data: bytes = b"") -> str:
        """Close an upload with its last chunk; the content must have ``digest`` (else DIGEST_INVALID)."""
        url = f"/v2/{name}/blobs/uploads/{upload_id}"
        with self._lock:
            buffer = self._session(name, upload_id, url)
            buffer.extend(data)
            self._commit_blob(name, digest, bytes(buffer), url)
            del self._uploads[upload_id]
            return digest

    def put_blob(self, name: str, digest: str, data: bytes) -> str:
        """A monolithic upload (``POST .../blobs/uploads/?digest=``): verify and link ``data``."""
        url = f"/v2/{name}/blobs/uploads/"
        _check_name(name, "POST", url)
        with self._lock:
            self._commit_blob(name, digest, data, url)
            return digest

    def cancel_upload(self, name: str, upload_id: str) -> bool:
        """Drop an upload session; False when it is unknown."""
        with self._lock:
            if self._upload(name, upload_id) is None:
                return False
            del self._uploads[upload_id]
            return True

    # -- internals ---------------------------------------------------------------------------------------
    def _repo(self, name: str) -> _Repository:
        return self._repos.setdefault(name, _Repository())

    def _link(self, repo: _Repository, digest: str, data: bytes) -> None:
        self._blobs.setdefault(digest, data)
        repo.blobs.add(digest)

    def _store_manifest(self, repo: _Repository, stored: StoredManifest) -> None:
        repo.manifests[stored.digest] = stored
        self._link(repo, stored.digest, stored.body)

    def _record_version(self, repo: _Repository, digest: str) -> None:
        if digest not in repo.versions:
            repo.versions[digest] = (self._next_version_id, self._now())
            self._next_version_id += 1

    def _upload(self, name: str, upload_id: str) -> bytearray | None:
        # An upload id is only valid in the repository it was opened in, as in distribution.
        session = self._uploads.get(upload_id)
        return session[1] if session is not None and session[0] == name else None

    def _session(self, name: str, upload_id: str, url: str) -> bytearray:
        buffer = self._upload(name, upload_id)
        if buffer is None:
            raise OciRefused("upload unknown (finished, cancelled or never started)",
                                  code="BLOB_UPLOAD_UNKNOWN", method="PATCH", url=url, status_code=404)
        return buffer

    def _commit_blob(self, name: str, digest: str, data: bytes, url: str) -> None:
        if not is_valid_digest(digest):
            raise OciRefused(f"invalid digest {digest!r}", code="DIGEST_INVALID", method="PUT", url=url)
        actual = compute_digest(data, digest.split(":")[0])
        if actual != digest:
            raise OciRefused(f"content has digest {actual}, not {digest}", code="DIGEST_INVALID",
                                  method="PUT", url=url, detail={"digest": digest})
        self._link(self._repo(name), digest, data)


def _check_name(name: str, method: str, url: str) -> None:
    if not is_valid_name(name):
        raise OciRefused(f"invalid repository name {name!r} (lowercase [a-z0-9] components separated by "
                              "'/', '.', '_', '__' or '-')", code="NAME_INVALID", method=method, url=url,
                              detail={"name": name})


def _check_tag(tag: str, url: str) -> None:
    if not is_valid_tag(tag):
        raise OciRefused(f"invalid tag {tag!r} (must match [a-zA-Z0-9_][a-zA-Z0-9._-]{{0,127}})",
                              code="TAG_INVALID", method="PUT", url=url, detail={"tag": tag})
