"""oras-py, an OCI client besides skopeo, against the whole emulator app on a socket: it pushes and pulls an
artifact through the token protocol, reads a blob in byte ranges, attaches an artifact to it with ``subject``
and, finding no referrers API (as on ghcr.io), keeps the referrers tag schema index itself."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import oras.oci
import oras.provider
import pytest

from cicd_acceptance.emulator import EmulatorState, ThreadedServer, make_app
from tests.emulator.conftest import TOKEN

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


@pytest.fixture
def registry(state: EmulatorState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
             ) -> Iterator[tuple[oras.provider.Registry, str]]:
    monkeypatch.setenv("HOME", str(tmp_path))  # no docker config of the machine is read
    monkeypatch.chdir(tmp_path)  # oras-py pushes paths relative to the working directory
    with ThreadedServer(make_app(state)) as server:
        host = f"127.0.0.1:{server.port}"
        client = oras.provider.Registry(hostname=host, insecure=True)
        client.auth.set_basic_auth("example", TOKEN)
        yield client, host


def test_oras_pushes_pulls_and_reads_ranges(registry: tuple[oras.provider.Registry, str], tmp_path: Path) -> None:
    client, host = registry
    (tmp_path / "notes.txt").write_text("0123456789abcdef")
    target = f"{host}/example/notes:v1"
    assert client.push(target, files=["notes.txt"], quiet=True).status_code == 201
    pulled = client.pull(target, outdir=str(tmp_path / "out"))
    assert [Path(p).read_text() for p in pulled] == ["0123456789abcdef"]
    layer = client.get_manifest(target)["layers"][0]["digest"]
    blob = f"http://{host}/v2/example/notes/blobs/{layer}"
    part = client.do_request(blob, "GET", headers={"Range": "bytes=4-9"})
    assert (part.status_code, part.content, part.headers["Content-Range"]) == (206, b"456789", "bytes 4-9/16")
    assert part.headers["Accept-Ranges"] == "bytes"
    tail = client.do_request(blob, "GET", headers={"Range": "bytes=-3"})
    assert (tail.status_code, tail.content) == (206, b"def")
    beyond = client.do_request(blob, "GET", headers={"Range": "bytes=99-"})
    assert (beyond.status_code, beyond.headers["Content-Range"]) == (416, "bytes */16")


def test_oras_attaches_with_subject_and_falls_back_to_the_tag_schema(
        registry: tuple[oras.provider.Registry, str], tmp_path: Path) -> None:
    client, host = registry
    (tmp_path / "image.txt").write_text("the subject")
    (tmp_path / "sbom.json").write_text('{"packages": []}')
    subject_ref = f"{host}/example/notes:v1"
    client.push(subject_ref, files=["image.txt"], quiet=True)
    head = client.do_request(f"http://{host}/v2/example/notes/manifests/v1", "HEAD",
                             headers={"Accept": OCI_MANIFEST})
    digest, size = head.headers["Docker-Content-Digest"], int(head.headers["Content-Length"])
    subject = oras.oci.Subject(mediaType=OCI_MANIFEST, digest=digest, size=size)
    attached = client.push(f"{host}/example/notes:sbom", files=["sbom.json"], subject=subject, quiet=True)
    assert attached.status_code == 201
    assert "OCI-Subject" not in attached.headers  # ghcr.io does not announce referrers support
    referrer = client.get_manifest(f"{host}/example/notes:sbom")
    assert referrer["subject"]["digest"] == digest
    api = client.do_request(f"http://{host}/v2/example/notes/referrers/{digest}", "GET")
    assert api.status_code == 404
    # The client's side of the fallback: an index of referrers under the tag sha256-<hex>.
    body = json.dumps(referrer).encode()
    index: dict[str, Any] = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": "sha256:" + hashlib.sha256(body).hexdigest(), "size": len(body)}]}
    tag = digest.replace(":", "-")
    put = client.do_request(f"http://{host}/v2/example/notes/manifests/{tag}", "PUT", data=json.dumps(index).encode(),
                            headers={"Content-Type": OCI_INDEX})
    assert put.status_code == 201
    assert tag in client.get_tags(f"{host}/example/notes")
    listed = client.get_manifest(f"{host}/example/notes:{tag}", allowed_media_type=[OCI_INDEX])
    assert listed["manifests"][0]["digest"] == index["manifests"][0]["digest"]
