"""Workflow-run artifacts: what ``actions/upload-artifact`` stored, served as GitHub serves them (a zip per artifact).

The store is filled by whoever produced the files (the workflow executor, or a test) and read by the run-artifact
routes; it knows nothing about HTTP.
"""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

__all__ = ["Artifact", "ArtifactStore", "zip_files"]

_FIRST_ARTIFACT_ID = 4_100_000_000
_MAX_ARTIFACT_BYTES = 64 << 20  # one artifact's zip; the emulator keeps everything in memory
_MAX_NAME = 256


@dataclass
class Artifact:
    """One artifact of one run; ``content`` is the zip GitHub's download endpoint redirects to."""

    id: int
    name: str
    run_id: int
    created_at: datetime
    content: bytes  # a zip
    size_in_bytes: int
    expired: bool = False


def zip_files(files: Mapping[str, bytes]) -> bytes:
    """A deflated zip of ``files`` (relative POSIX paths), entries in sorted order so the bytes are reproducible."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            clean = path.lstrip("/")
            if not clean or ".." in clean.split("/"):
                raise ValueError(f"artifact path {path!r} must be relative and stay inside the artifact")
            info = zipfile.ZipInfo(clean, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[path])
    return buffer.getvalue()


class ArtifactStore:
    """Artifacts of every run, by id. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._artifacts: list[Artifact] = []
        self._next_id = _FIRST_ARTIFACT_ID

    def add(self, run_id: int, name: str, files: Mapping[str, bytes], *, now: datetime) -> Artifact:
        """Store ``files`` as artifact ``name`` of run ``run_id``; a second upload of a name replaces the first
        (upload-artifact v4 refuses duplicates unless ``overwrite``; the executor decides which it emulates)."""
        if not name or len(name) > _MAX_NAME or any(ch in name for ch in '":<>|*?\\/\r\n'):
            raise ValueError(f"invalid artifact name {name!r}")
        content = zip_files(files)
        if len(content) > _MAX_ARTIFACT_BYTES:
            raise ValueError(f"artifact {name!r} is {len(content)} bytes; the emulator keeps at most "
                             f"{_MAX_ARTIFACT_BYTES}")
        with self._lock:
            self._artifacts = [a for a in self._artifacts if not (a.run_id == run_id and a.name == name)]
            self._next_id += 3
            artifact = Artifact(id=self._next_id, name=name, run_id=run_id, created_at=now, content=content,
                                size_in_bytes=sum(len(data) for data in files.values()))
            self._artifacts.append(artifact)
            return artifact

    def for_run(self, run_id: int) -> list[Artifact]:
        """The run's artifacts, oldest first."""
        with self._lock:
            return [a for a in self._artifacts if a.run_id == run_id]

    def get(self, artifact_id: int) -> Artifact | None:
        with self._lock:
            return next((a for a in self._artifacts if a.id == artifact_id), None)

    def all(self) -> list[Artifact]:
        with self._lock:
            return list(self._artifacts)

    def clear(self) -> None:
        with self._lock:
            self._artifacts.clear()
            self._next_id = _FIRST_ARTIFACT_ID
