"""RegistryClient against the real CNCF distribution registry (Debian ``docker-registry``), started on 127.0.0.1.

Images are pushed over plain HTTP with httpx (blob uploads, per-platform manifests, then the index), using the
emulator's buildx-style content builder, so the same OCI index with attestation manifests that the emulator
serves is served here by the reference implementation. skopeo, when installed, cross-checks the digest.
"""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from cicd_acceptance.emulator.registry.content import Platform, build_image
from cicd_acceptance.errors import RegistryNotFound
from cicd_acceptance.httpbounds import HttpSettings
from cicd_acceptance.live.images import snapshot_before, verify_published
from cicd_acceptance.registry import RegistryClient
from cicd_acceptance.testing.tooling import require_tool

pytestmark = pytest.mark.tool

NAME = "octo-org/stream-monitor-worker"
OTHER = "octo-org/stream-monitor-webhook-demo"
SHA = "89abcdef0123456789abcdef0123456789abcdef"
REVISION = "org.opencontainers.image.revision"
CONFIG = """version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: {root}
http:
  addr: 127.0.0.1:{port}
"""


@dataclass(frozen=True)
class Distribution:
    host: str


@pytest.fixture
def client(distribution: Distribution) -> Iterator[RegistryClient]:
    quick = HttpSettings(sleep=lambda _: None)
    with RegistryClient(registry=distribution.host, scheme="http", http=quick) as registry_client:
        yield registry_client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(host: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"docker-registry exited with {process.returncode}")
        try:
            if httpx.get(f"http://{host}/v2/", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    pytest.fail(f"docker-registry did not answer on {host} within 20 s")


@pytest.fixture(scope="module")
def distribution(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Distribution]:
    binary = require_tool("docker-registry", why="the CNCF distribution registry (Debian package docker-registry)")
    root = tmp_path_factory.mktemp("distribution")
    port = _free_port()
    config = root / "config.yml"
    config.write_text(CONFIG.format(root=root / "data", port=port))
    process = subprocess.Popen([binary, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_ready(f"127.0.0.1:{port}", process)
        yield Distribution(f"127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


def _upload_blob(http: httpx.Client, name: str, digest: str, data: bytes) -> None:
    started = http.post(f"/v2/{name}/blobs/uploads/")
    assert started.status_code == 202, started.text
    location = httpx.URL(started.headers["location"])
    done = http.put(location.copy_merge_params({"digest": digest}), content=data,
                    headers={"content-type": "application/octet-stream"})
    assert done.status_code == 201, done.text


def push(host: str, name: str, tags: list[str], *, labels: dict[str, str], platforms: list[str],
         created: datetime) -> str:
    """Upload a buildx-style index (platform manifests + attestations) and tag it; return the index digest."""
    image = build_image(name, labels=labels, created=created, attestation=True,
                        platforms=[Platform(*p.split("/")) for p in platforms])
    with httpx.Client(base_url=f"http://{host}") as http:
        for digest, data in image.blobs.items():
            _upload_blob(http, name, digest, data)
        index_type, index_body = image.manifests[image.index_digest]
        for digest, (media_type, body) in image.manifests.items():
            if digest != image.index_digest:
                put = http.put(f"/v2/{name}/manifests/{digest}", content=body, headers={"content-type": media_type})
                assert put.status_code == 201, put.text
        for tag in tags:
            put = http.put(f"/v2/{name}/manifests/{tag}", content=index_body, headers={"content-type": index_type})
            assert put.status_code == 201, put.text
            assert put.headers["docker-content-digest"] == image.index_digest
    return image.index_digest


def test_verification_of_a_buildx_style_index_on_distribution(distribution: Distribution,
                                                             client: RegistryClient) -> None:
    dispatched = datetime.now(UTC)
    push(distribution.host, NAME, ["latest"], labels={REVISION: "0" * 40}, platforms=["linux/amd64"],
         created=dispatched - timedelta(days=1))
    before = snapshot_before(client, f"{distribution.host}/{NAME}", "sha-89abcde")
    digest = push(distribution.host, NAME, ["sha-89abcde", "latest"], labels={REVISION: SHA},
                  platforms=["linux/amd64", "linux/arm64"], created=dispatched + timedelta(minutes=3))

    verdict = verify_published(client, before, sha=SHA, sha_tags=["sha-89abcde"],
                               dispatched_at=dispatched, service="worker")

    assert verdict.passed, verdict.summary()
    assert verdict.digest == digest
    assert verdict.info is not None
    assert [p.platform for p in verdict.info.platforms] == ["linux/amd64", "linux/arm64"]
    assert len(verdict.info.attestations) == 2
    assert "token" not in client.stats.requests   # distribution without auth sends no challenge


def test_absent_tags_and_repositories_on_distribution(distribution: Distribution, client: RegistryClient) -> None:
    push(distribution.host, NAME, ["present"], labels={}, platforms=["linux/amd64"], created=datetime.now(UTC))

    assert client.head_manifest(NAME, "sha-absent") is None
    assert client.head_manifest("octo-org/never-pushed", "latest") is None
    with pytest.raises(RegistryNotFound) as caught:
        client.get_manifest("octo-org/never-pushed", "latest")
    assert str(caught.value) == (   # distribution 2.8 says MANIFEST_UNKNOWN even for an unknown repository
        f"GET http://{distribution.host}/v2/octo-org/never-pushed/manifests/latest -> 404: "
        "manifest octo-org/never-pushed:latest not found (MANIFEST_UNKNOWN: manifest unknown)")
    assert "present" in client.list_tags(NAME)


def test_skopeo_sees_the_same_index_digest(distribution: Distribution, client: RegistryClient,
                                           tmp_path: Path) -> None:
    skopeo = require_tool("skopeo", why="cross-checks the digest the client reports")
    digest = push(distribution.host, NAME, ["cross-check"], labels={REVISION: SHA}, platforms=["linux/amd64"],
                  created=datetime.now(UTC))
    ref = client.head_manifest(NAME, "cross-check")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))

    raw = subprocess.run([skopeo, "--policy", str(policy), "inspect", "--raw", "--tls-verify=false",
                          f"docker://{distribution.host}/{NAME}:cross-check"],
                         capture_output=True, check=True, timeout=60).stdout

    assert ref is not None
    assert ref.digest == digest == "sha256:" + hashlib.sha256(raw).hexdigest()


def _push_mixed_index(host: str, name: str, tag: str, revisions: dict[str, str]) -> str:
    """An index whose platforms were built from different commits (a half-updated multi-arch push)."""
    entries = []
    with httpx.Client(base_url=f"http://{host}") as http:
        for platform, revision in revisions.items():
            image = build_image(name, labels={REVISION: revision}, platforms=[Platform(*platform.split("/"))],
                                attestation=False, created=datetime.now(UTC))
            for digest, data in image.blobs.items():
                _upload_blob(http, name, digest, data)
            index = json.loads(image.manifests[image.index_digest][1])
            for digest, (media_type, body) in image.manifests.items():
                if digest != image.index_digest:
                    http.put(f"/v2/{name}/manifests/{digest}", content=body,
                             headers={"content-type": media_type}).raise_for_status()
            entries.extend(index["manifests"])
        body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                           "manifests": entries}).encode()
        put = http.put(f"/v2/{name}/manifests/{tag}", content=body,
                       headers={"content-type": "application/vnd.oci.image.index.v1+json"})
        put.raise_for_status()
        return put.headers["docker-content-digest"]


def test_skopeo_inspect_shows_host_platform_labels_where_the_verdict_names_the_stale_platform(
        distribution: Distribution, client: RegistryClient, tmp_path: Path) -> None:
    skopeo = require_tool("skopeo", why="the comparison with skopeo inspect")
    image = f"{distribution.host}/{OTHER}"
    before = snapshot_before(client, image, "sha-89abcde")
    digest = _push_mixed_index(distribution.host, OTHER, "sha-89abcde", {"linux/amd64": SHA, "linux/arm64": "0" * 40})
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))

    inspected = json.loads(subprocess.run(
        [skopeo, "--policy", str(policy), "--override-os", "linux", "--override-arch", "amd64", "inspect",
         "--tls-verify=false", f"docker://{image}:sha-89abcde"],
        capture_output=True, check=True, timeout=60).stdout)
    verdict = verify_published(client, before, sha=SHA, sha_tags=["sha-89abcde"],
                               dispatched_at=datetime.now(UTC) - timedelta(hours=1))

    # skopeo: the index digest beside amd64's labels, so the stale arm64 image looks published.
    assert inspected["Digest"] == digest
    assert inspected["Labels"][REVISION] == SHA
    # the verdict: each platform's own config, and the stale one named.
    assert [f.check for f in verdict.failed] == ["latest-matches", "revision-label"]   # no latest pushed here
    assert f"linux/amd64={SHA}, linux/arm64={'0' * 40}" in verdict.fact("revision-label").observed
