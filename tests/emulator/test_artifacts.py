"""The artifact store: zips laid out as uploaded, ids stable, replacement by name, hostile paths refused."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

import pytest

from cicd_acceptance.emulator.github.artifacts import ArtifactStore

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_an_artifact_is_a_zip_of_its_files() -> None:
    store = ArtifactStore()
    artifact = store.add(7, "coverage", {"report/index.html": b"<p>ok</p>", "summary.txt": b"91%"}, now=NOW)
    with zipfile.ZipFile(io.BytesIO(artifact.content)) as archive:
        assert archive.namelist() == ["report/index.html", "summary.txt"]
        assert archive.read("summary.txt") == b"91%"
    assert artifact.size_in_bytes == len(b"<p>ok</p>") + 3
    assert store.get(artifact.id) is artifact
    assert store.for_run(7) == [artifact]
    assert store.for_run(8) == []


def test_a_second_upload_of_a_name_replaces_the_first_with_a_new_id() -> None:
    store = ArtifactStore()
    first = store.add(7, "dist", {"a": b"1"}, now=NOW)
    second = store.add(7, "dist", {"a": b"2"}, now=NOW)
    assert second.id != first.id
    assert store.get(first.id) is None
    assert store.for_run(7) == [second]
    store.clear()
    assert store.all() == []


@pytest.mark.parametrize("path", ["../escape", "/", "a/../../b"])
def test_paths_leaving_the_artifact_are_refused(path: str) -> None:
    with pytest.raises(ValueError, match="inside the artifact"):
        ArtifactStore().add(1, "x", {path: b""}, now=NOW)


@pytest.mark.parametrize("name", ["", "a/b", 'quote"', "x" * 300])
def test_invalid_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="invalid artifact name"):
        ArtifactStore().add(1, name, {"a": b""}, now=NOW)
