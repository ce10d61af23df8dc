"""The emulated registry on a real socket, driven by real clients: skopeo, and the CNCF distribution registry.

* skopeo (containers/image) pushes OCI layouts built here in Python, lists tags (following ghcr-style paging) and
  inspects manifests and configs, with the emulator's bearer-token protocol in the way.
* The differential test runs the same skopeo pushes and the same raw protocol calls (httpx) against
  ``docker-registry`` (distribution 2.8, started here on 127.0.0.1 without auth) and the emulator (with auth),
  and compares tags, digests, media types, status codes and OCI error codes. Tag paging is excepted:
  distribution 2.8 does not page tags.
"""

from __future__ import annotations

import json
import os
import re
import socket
import ssl
import subprocess
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import tenacity

from cicd_acceptance.emulator import EmulatorState, ThreadedServer, make_app
from cicd_acceptance.emulator.app import WSGIApp
from cicd_acceptance.emulator.registry.app import make_registry_app
from cicd_acceptance.emulator.registry.content import BuiltImage, Platform, build_image
from cicd_acceptance.emulator.registry.grammar import (
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    OCI_CONFIG,
    OCI_INDEX,
    OCI_LAYER_GZIP,
    OCI_MANIFEST,
    compute_digest,
)
from cicd_acceptance.emulator.registry.state import RegistryState
from cicd_acceptance.emulator.server import tls_context
from cicd_acceptance.testing.tooling import require_tool

pytestmark = pytest.mark.tool

USER, TOKEN = "octocat", "ghp_realComponentTestToken42"
CREATED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LABELS = {"org.opencontainers.image.revision": "0123456789abcdef0123456789abcdef01234567"}
ALL_TYPES = ", ".join([OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST])


# -- a registry on a socket ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Endpoint:
    """A running registry: ``host`` (``127.0.0.1:PORT``) and the credentials its token protocol wants, if any."""

    host: str
    credentials: tuple[str, str] | None

    @property
    def authenticated(self) -> bool:
        return self.credentials is not None

    def client(self) -> httpx.Client:
        auth = _TokenAuth(self.credentials) if self.credentials else None
        return httpx.Client(base_url=f"http://{self.host}", auth=auth, timeout=10)


@contextmanager
def serve(app: WSGIApp, credentials: tuple[str, str]) -> Iterator[Endpoint]:
    """``app`` on 127.0.0.1 (free port) with the emulator's own threaded server."""
    with ThreadedServer(app) as server:
        yield Endpoint(f"127.0.0.1:{server.port}", credentials)


class _TokenAuth(httpx.Auth):
    """The client half of the token protocol, kept here so this test does not depend on the harness's client."""

    def __init__(self, credentials: tuple[str, str]) -> None:
        self._credentials = credentials

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        response = yield request
        challenge = response.headers.get("www-authenticate", "")
        if response.status_code != 401 or not challenge.startswith("Bearer "):
            return
        # Not a split on ",": the scope value itself holds one ("pull,push").
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        query = {k: v for k, v in params.items() if k in ("service", "scope")}
        token = httpx.get(params["realm"], params=query, auth=self._credentials).json()["token"]
        request.headers["Authorization"] = f"Bearer {token}"
        yield request


@pytest.fixture
def registry() -> RegistryState:
    return RegistryState(now=lambda: CREATED)


@pytest.fixture
def emulator(registry: RegistryState) -> Iterator[Endpoint]:
    """The registry app alone, tokens checked against USER/TOKEN, on a clock that stands still (no expiry)."""
    require_tool("skopeo", why="real-client tests of the emulated registry")
    app = make_registry_app(registry, check_basic=lambda user, password: (user, password) == (USER, TOKEN),
                            now=lambda: CREATED)
    with serve(app, (USER, TOKEN)) as endpoint:
        yield endpoint


@pytest.fixture
def distribution(tmp_path: Path) -> Iterator[Endpoint]:
    binary = require_tool("docker-registry", why="differential test against the CNCF distribution registry",
                          path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/bin"]))
    require_tool("skopeo", why="differential test pushes with skopeo")
    port = _free_port()
    config = tmp_path / "registry.yml"
    config.write_text(f"""version: 0.1
log: {{level: error, accesslog: {{disabled: true}}}}
storage: {{filesystem: {{rootdirectory: {tmp_path / 'storage'}}}, delete: {{enabled: true}}}}
http: {{addr: "127.0.0.1:{port}"}}
""")
    log = (tmp_path / "registry.log").open("w")
    process = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_serving(f"http://127.0.0.1:{port}/v2/", process, tmp_path / "registry.log")
        yield Endpoint(f"127.0.0.1:{port}", None)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    def ping() -> None:
        if process.poll() is not None:
            pytest.fail(f"docker-registry exited with {process.returncode}: {log.read_text()}")
        httpx.get(url, timeout=1).raise_for_status()

    retrying = tenacity.Retrying(stop=tenacity.stop_after_delay(20), wait=tenacity.wait_fixed(0.05),
                                 retry=tenacity.retry_if_exception_type(httpx.TransportError), reraise=True)
    retrying(ping)


# -- images built here, and skopeo ----------------------------------------------------------------------------
def _image(name: str, platforms: tuple[str, ...] = ("linux/amd64", "linux/arm64")) -> BuiltImage:
    parsed = [Platform(*p.split("/")) for p in platforms]
    return build_image(name, labels=LABELS, platforms=parsed, attestation=True, created=CREATED)


def _write_layout(directory: Path, image: BuiltImage, digest: str, ref: str) -> str:
    """An OCI image layout whose ``ref`` names ``digest`` (the index or one platform manifest of ``image``)."""
    blobs = directory / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    for blob_digest, data in [*image.blobs.items(), *((d, body) for d, (_, body) in image.manifests.items())]:
        (blobs / blob_digest.removeprefix("sha256:")).write_bytes(data)
    media_type, body = image.manifests[digest]
    (directory / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    (directory / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": media_type, "digest": digest, "size": len(body),
         "annotations": {"org.opencontainers.image.ref.name": ref}}]}))
    return f"oci:{directory}:{ref}"


def _platform_manifest(image: BuiltImage) -> str:
    index = json.loads(image.manifests[image.index_digest][1])
    digest: str = index["manifests"][0]["digest"]
    return digest


def _skopeo(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run skopeo with a private HOME (no blob-info cache or auth file shared with other runs)."""
    env = {**os.environ, "HOME": str(home), "REGISTRY_AUTH_FILE": str(home / "auth.json"),
           "XDG_RUNTIME_DIR": str(home)}
    home.mkdir(exist_ok=True)
    result = subprocess.run(["skopeo", *args], capture_output=True, text=True, env=env, timeout=120, check=False)
    if check and result.returncode != 0:
        pytest.fail(f"skopeo {args[0]} failed ({result.returncode}): {result.stderr}")
    return result


def _creds(endpoint: Endpoint, option: str) -> list[str]:
    return [option, ":".join(endpoint.credentials)] if endpoint.credentials else []


def _push(home: Path, source: str, endpoint: Endpoint, ref: str, *extra: str) -> None:
    _skopeo(home, "copy", "--all", "--dest-tls-verify=false", *_creds(endpoint, "--dest-creds"), *extra,
            source, f"docker://{endpoint.host}/{ref}")


def _read(home: Path, endpoint: Endpoint, *args: str) -> str:
    *options, ref = args
    return _skopeo(home, *options, "--tls-verify=false", *_creds(endpoint, "--creds"),
                   f"docker://{endpoint.host}/{ref}").stdout


# -- skopeo against the emulator ------------------------------------------------------------------------------
def test_skopeo_pushes_a_multi_platform_index_and_the_digest_survives(emulator: Endpoint, registry: RegistryState,
                                                                      tmp_path: Path) -> None:
    image = _image("octo-org/app")
    source = _write_layout(tmp_path / "layout", image, image.index_digest, "v1")

    _push(tmp_path / "home", source, emulator, "octo-org/app:v1")

    stored = registry.manifest("octo-org/app", "v1")
    assert stored is not None
    assert stored.digest == image.index_digest
    raw = _read(tmp_path / "home", emulator, "inspect", "--raw", "octo-org/app:v1")
    assert compute_digest(raw.encode()) == image.index_digest
    config = json.loads(_read(tmp_path / "home", emulator, "inspect", "--config", "octo-org/app:v1"))
    assert (config["config"]["Labels"], config["created"]) == (LABELS, "2026-03-02T09:00:00Z")
    assert json.loads(_read(tmp_path / "home", emulator, "list-tags", "octo-org/app"))["Tags"] == ["v1"]


def test_skopeo_push_without_credentials_is_refused(emulator: Endpoint, registry: RegistryState,
                                                   tmp_path: Path) -> None:
    image = _image("octo-org/app")
    source = _write_layout(tmp_path / "layout", image, image.index_digest, "v1")

    result = _skopeo(tmp_path / "home", "copy", "--all", "--dest-tls-verify=false", source,
                     f"docker://{emulator.host}/octo-org/app:v1", check=False)

    assert result.returncode != 0
    assert "authentication required" in result.stderr or "unauthorized" in result.stderr.lower()
    assert registry.repositories() == []


def test_skopeo_pushes_docker_schema2_and_single_oci_manifests(emulator: Endpoint, registry: RegistryState,
                                                               tmp_path: Path) -> None:
    image = _image("octo-org/single", ("linux/amd64",))
    source = _write_layout(tmp_path / "layout", image, _platform_manifest(image), "single")

    _push(tmp_path / "home", source, emulator, "octo-org/single:oci")
    _push(tmp_path / "home", source, emulator, "octo-org/single:docker", "--format", "v2s2")

    oci, docker = registry.manifest("octo-org/single", "oci"), registry.manifest("octo-org/single", "docker")
    assert oci is not None
    assert docker is not None
    assert (oci.digest, oci.media_type) == (_platform_manifest(image), OCI_MANIFEST)
    assert docker.media_type == DOCKER_MANIFEST
    raw = json.loads(_read(tmp_path / "home", emulator, "inspect", "--raw", "octo-org/single:docker"))
    assert raw["mediaType"] == DOCKER_MANIFEST


def test_skopeo_reads_what_push_image_published_through_paged_tags(emulator: Endpoint, registry: RegistryState,
                                                                   tmp_path: Path) -> None:
    tags = sorted(f"sha-{i:07x}" for i in range(150))
    digest = registry.push_image("octo-org/paged", tags, labels=LABELS)

    listed = json.loads(_read(tmp_path / "home", emulator, "list-tags", "octo-org/paged"))["Tags"]
    _skopeo(tmp_path / "home", "copy", "--all", "--src-tls-verify=false", *_creds(emulator, "--src-creds"),
            f"docker://{emulator.host}/octo-org/paged:{tags[0]}", f"oci:{tmp_path / 'pulled'}:copy")

    assert listed == tags  # 150 tags: skopeo had to follow the Link header past ghcr's 100-tag page
    pulled_index = json.loads((tmp_path / "pulled" / "index.json").read_text())["manifests"][0]
    assert pulled_index["digest"] == digest


def test_private_packages_need_credentials_for_skopeo(emulator: Endpoint, registry: RegistryState,
                                                      tmp_path: Path) -> None:
    registry.push_image("octo-org/private", ["v1"], labels=LABELS)
    registry.set_public("octo-org/private", False)
    ref = f"docker://{emulator.host}/octo-org/private"

    anonymous = _skopeo(tmp_path / "home", "list-tags", "--tls-verify=false", ref, check=False)
    with_creds = _read(tmp_path / "home", emulator, "list-tags", "octo-org/private")

    assert anonymous.returncode != 0
    assert json.loads(with_creds)["Tags"] == ["v1"]


# -- differential: distribution 2.8 vs the emulator -----------------------------------------------------------
def _skopeo_observations(home: Path, endpoint: Endpoint, sources: dict[str, tuple[str, tuple[str, ...]]]
                         ) -> dict[str, object]:
    for ref, (source, extra) in sources.items():
        _push(home, source, endpoint, ref, *extra)
    out: dict[str, object] = {}
    for ref in sources:
        name = ref.split(":")[0]
        out[f"tags {name}"] = sorted(json.loads(_read(home, endpoint, "list-tags", name))["Tags"])
        out[f"raw {ref}"] = _read(home, endpoint, "inspect", "--raw", ref)
        out[f"config {ref}"] = json.loads(_read(home, endpoint, "inspect", "--config", ref))
    with endpoint.client() as client:
        for ref in sources:
            name, tag = ref.split(":")
            head = client.head(f"/v2/{name}/manifests/{tag}", headers={"Accept": ALL_TYPES})
            out[f"head {ref}"] = (head.status_code, head.headers.get("docker-content-digest"),
                                  head.headers.get("content-type"), head.headers.get("content-length"))
            narrow = client.get(f"/v2/{name}/manifests/{tag}", headers={"Accept": DOCKER_MANIFEST})
            out[f"docker-only {ref}"] = (narrow.status_code, narrow.headers.get("content-type"),
                                         _code(narrow) or compute_digest(narrow.content))
    return out


def _code(response: httpx.Response) -> str | None:
    if response.status_code < 400:
        return None
    code: str = response.json()["errors"][0]["code"]
    return code


def _protocol_observations(endpoint: Endpoint) -> dict[str, object]:
    """Raw distribution-protocol calls (uploads, manifest PUT/GET/DELETE and their errors) and what came back."""
    name = "octo-org/probe"
    config = b'{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[]}}'
    layer = b"layer bytes sent in two chunks"
    out: dict[str, object] = {}
    with endpoint.client() as client:
        # POST + one PUT: the monolithic upload both support (distribution 2.8 ignores POST ?digest=, answering
        # 202 and opening a session; the emulator finishes it at once, which the OCI spec allows as well).
        mono = client.put(_with_digest(client.post(f"/v2/{name}/blobs/uploads/"), config), content=config)
        out["monolithic"] = (mono.status_code, mono.headers.get("docker-content-digest"))
        bad = client.put(_with_digest(client.post(f"/v2/{name}/blobs/uploads/"), b"x"), content=b"y")
        out["monolithic wrong digest"] = (bad.status_code, _code(bad))
        out["chunked"] = _chunked_upload(client, name, layer)
        manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                               "config": {"mediaType": OCI_CONFIG, "digest": compute_digest(config),
                                          "size": len(config)},
                               "layers": [{"mediaType": OCI_LAYER_GZIP, "digest": compute_digest(layer),
                                           "size": len(layer)}]}).encode()
        oci = {"Content-Type": OCI_MANIFEST, "Accept": OCI_MANIFEST}
        put = client.put(f"/v2/{name}/manifests/probe", content=manifest, headers=oci)
        out["put manifest"] = (put.status_code, put.headers.get("docker-content-digest"))
        got = client.get(f"/v2/{name}/manifests/probe", headers=oci)
        out["get manifest"] = (got.status_code, got.headers.get("content-type"), compute_digest(got.content))
        out["blob"] = compute_digest(client.get(f"/v2/{name}/blobs/{compute_digest(layer)}").content)
        out["ranges"] = _ranges(client, f"/v2/{name}/blobs/{compute_digest(layer)}")
        out["referrers"] = _referrers(client, name, manifest, put.headers.get("docker-content-digest"))
        missing = manifest.replace(compute_digest(layer).encode(), compute_digest(b"absent").encode())
        bad_put = client.put(f"/v2/{name}/manifests/missing", content=missing, headers=oci)
        out["put missing blob"] = (bad_put.status_code, _code(bad_put), bad_put.json()["errors"][0].get("detail"))
        wrong = client.put(f"/v2/{name}/manifests/{compute_digest(b'other')}", content=manifest, headers=oci)
        out["put wrong digest"] = (wrong.status_code, _code(wrong))
        unknown = client.get(f"/v2/{name}/manifests/nope", headers=oci)
        out["unknown tag"] = (unknown.status_code, _code(unknown), unknown.json()["errors"][0].get("detail"))
        blob = client.get(f"/v2/{name}/blobs/{compute_digest(b'nothing')}")
        out["unknown blob"] = (blob.status_code, _code(blob))
        repo = client.get("/v2/octo-org/never-pushed/tags/list")
        out["unknown repository"] = (repo.status_code, _code(repo), repo.json()["errors"][0].get("detail"))
        out["tags"] = client.get(f"/v2/{name}/tags/list").json()
        deleted = client.delete(f"/v2/{name}/manifests/{put.headers.get('docker-content-digest')}")
        after = client.get(f"/v2/{name}/manifests/probe", headers=oci)
        out["delete"] = (deleted.status_code, after.status_code, _code(after))
    return out


_RANGES = (None, "bytes=5-9", "bytes=20-", "bytes=-4", "bytes=500-",
           # several ranges (206 multipart/byteranges), some dropped or malformed, more bytes than the blob has
           "bytes=0-1,4-5", "bytes=4-5, 0-1,1-2", "bytes=0-1,500-600", "bytes=500-600,700-800", "bytes=0-29,0-29",
           "bytes=-0", "bytes=-99", "bytes=5-1", "bytes=0-1,x", "BYTES=0-1", "bytes=")


def _ranges(client: httpx.Client, blob: str) -> list[tuple[object, ...]]:
    """A whole blob, then byte ranges of it: single and several, and ones that fail (whose body is not read:
    distribution 2.8 announces a Content-Length for its 416 that it does not send). A multipart boundary is
    random, so it is replaced by ``B`` (its length is the same: the Content-Length is compared as sent)."""
    seen: list[tuple[object, ...]] = []
    for wanted in _RANGES:
        with client.stream("GET", blob, headers={"Range": wanted} if wanted else {}) as got:
            ok = got.status_code < 400
            body = got.read() if ok else b""
            content_type = got.headers.get("content-type", "")
            boundary = content_type.partition("; boundary=")[2]
            if boundary:
                content_type, body = content_type.replace(boundary, "B"), body.replace(boundary.encode(), b"B")
            seen.append((wanted, got.status_code, got.headers.get("content-range"),
                         got.headers.get("accept-ranges"), got.headers.get("content-length") if ok else None,
                         content_type if ok else None, body))
    return seen


def _referrers(client: httpx.Client, name: str, subject_manifest: bytes, subject: str | None) -> tuple[object, ...]:
    """An artifact manifest with a ``subject``, the referrers API, and the referrers tag schema index."""
    empty = b"{}"
    client.put(_with_digest(client.post(f"/v2/{name}/blobs/uploads/"), empty), content=empty)
    artifact = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                           "artifactType": "application/vnd.example+json",
                           "config": {"mediaType": "application/vnd.oci.empty.v1+json",
                                      "digest": compute_digest(empty), "size": 2},
                           "layers": [{"mediaType": "application/vnd.oci.empty.v1+json",
                                       "digest": compute_digest(empty), "size": 2}],
                           "subject": {"mediaType": OCI_MANIFEST, "digest": subject,
                                       "size": len(subject_manifest)}}).encode()
    oci = {"Content-Type": OCI_MANIFEST, "Accept": OCI_MANIFEST}
    put = client.put(f"/v2/{name}/manifests/{compute_digest(artifact)}", content=artifact, headers=oci)
    api = client.get(f"/v2/{name}/referrers/{subject}")
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": compute_digest(artifact), "size": len(artifact),
         "artifactType": "application/vnd.example+json"}]}).encode()
    tag = str(subject).replace(":", "-")
    fallback = client.put(f"/v2/{name}/manifests/{tag}", content=index, headers={"Content-Type": OCI_INDEX})
    read = client.get(f"/v2/{name}/manifests/{tag}", headers={"Accept": OCI_INDEX})
    return (put.status_code, put.headers.get("oci-subject"), api.status_code, fallback.status_code,
            read.status_code, compute_digest(read.content) == compute_digest(index))


def _with_digest(response: httpx.Response, data: bytes) -> str:
    """The upload ``Location`` (relative or absolute, maybe with distribution's ``_state``) plus ``?digest=``."""
    return str(httpx.URL(response.headers["location"]).copy_merge_params({"digest": compute_digest(data)}))


def _chunked_upload(client: httpx.Client, name: str, data: bytes) -> tuple[object, ...]:
    start = client.post(f"/v2/{name}/blobs/uploads/")
    first = client.patch(start.headers["location"], content=data[:10],
                         headers={"Content-Type": "application/octet-stream"})
    second = client.patch(first.headers["location"], content=data[10:],
                          headers={"Content-Type": "application/octet-stream"})
    done = client.put(_with_digest(second, data))
    return (start.status_code, start.headers.get("range"), first.status_code, first.headers.get("range"),
            second.headers.get("range"), done.status_code, done.headers.get("docker-content-digest"))


def test_emulator_and_distribution_agree(emulator: Endpoint, distribution: Endpoint, tmp_path: Path) -> None:
    multi = _image("octo-org/multi")
    single = _image("octo-org/single", ("linux/amd64",))
    index_source = _write_layout(tmp_path / "multi", multi, multi.index_digest, "v1")
    single_source = _write_layout(tmp_path / "single", single, _platform_manifest(single), "v1")
    sources = {
        "octo-org/multi:v1": (index_source, ()),
        "octo-org/multi:main": (index_source, ()),
        "octo-org/single:oci": (single_source, ()),
        "octo-org/single:docker": (single_source, ("--format", "v2s2")),
    }

    expected = _skopeo_observations(tmp_path / "home-d", distribution, sources)
    observed = _skopeo_observations(tmp_path / "home-e", emulator, sources)
    expected_protocol = _protocol_observations(distribution)
    observed_protocol = _protocol_observations(emulator)

    assert observed == expected
    assert observed_protocol == expected_protocol
    # Guard against agreeing on nothing: the pushes really happened and the digests are the ones built here.
    assert expected["head octo-org/multi:v1"] == (200, multi.index_digest, OCI_INDEX,
                                                  str(len(multi.manifests[multi.index_digest][1])))
    assert expected_protocol["put missing blob"] == (400, "MANIFEST_BLOB_UNKNOWN", compute_digest(b"absent"))
    ranges = expected_protocol["ranges"]
    assert isinstance(ranges, list)
    assert ranges[1][1:5] == (206, "bytes 5-9/30", "bytes", "5")
    multi_range = ranges[_RANGES.index("bytes=0-1,4-5")]
    assert multi_range[1:3] == (206, None)  # several ranges: a multipart answer, neither 200 nor 416
    assert str(multi_range[5]).startswith("multipart/byteranges; boundary=")
    assert expected_protocol["referrers"] == (201, None, 404, 201, 200, True)


# -- the registry mounted in the whole emulator -----------------------------------------------------------------
def test_skopeo_through_the_whole_emulator_app(state: EmulatorState, tmp_path: Path) -> None:
    """``make_app`` wraps the registry (request log, faults): a real push and pull must still come through intact."""
    require_tool("skopeo", why="real-client test of the emulated registry")
    token = state.config.token
    assert token is not None
    image = _image("example/stream-monitor/gateway")
    source = _write_layout(tmp_path / "layout", image, image.index_digest, "v1")

    with serve(make_app(state), ("x-access-token", token)) as endpoint:
        _push(tmp_path / "home", source, endpoint, "example/stream-monitor/gateway:v1")
        raw = _read(tmp_path / "home", endpoint, "inspect", "--raw", "example/stream-monitor/gateway:v1")
        with endpoint.client() as client:
            head = client.head("/v2/example/stream-monitor/gateway/manifests/v1", headers={"Accept": ALL_TYPES})

    assert compute_digest(raw.encode()) == image.index_digest
    assert (head.status_code, head.headers["docker-content-digest"]) == (200, image.index_digest)
    assert head.headers["content-length"] == str(len(raw.encode()))
    assert state.registry.tags("example/stream-monitor/gateway") == ["v1"]


def test_skopeo_over_tls_gets_its_token_from_an_https_realm(registry: RegistryState, tmp_path: Path) -> None:
    """ghcr.io is HTTPS: the realm must follow the request's scheme, and skopeo verifies the certificate here."""
    require_tool("skopeo", why="real-client test of the emulated registry")
    openssl = require_tool("openssl", why="to make a self-signed certificate")
    certs = tmp_path / "certs"
    certs.mkdir()
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(certs / "ca.crt")], check=True, capture_output=True)
    app = make_registry_app(registry, check_basic=lambda user, password: (user, password) == (USER, TOKEN),
                            now=lambda: CREATED)
    image = _image("octo-org/tls", ("linux/amd64",))
    source = _write_layout(tmp_path / "layout", image, image.index_digest, "v1")

    with ThreadedServer(app, ssl_context=tls_context(str(certs / "ca.crt"), str(tmp_path / "key.pem"))) as server:
        target = f"docker://127.0.0.1:{server.port}/octo-org/tls:v1"
        _skopeo(tmp_path / "home", "copy", "--all", "--dest-cert-dir", str(certs), "--dest-creds", f"{USER}:{TOKEN}",
                source, target)
        raw = _skopeo(tmp_path / "home", "inspect", "--raw", "--cert-dir", str(certs), "--creds", f"{USER}:{TOKEN}",
                      target).stdout
        trust = ssl.create_default_context(cafile=str(certs / "ca.crt"))
        challenge = httpx.get(f"{server.url}/v2/", verify=trust).headers["www-authenticate"]

    assert compute_digest(raw.encode()) == image.index_digest
    assert challenge.startswith(f'Bearer realm="https://127.0.0.1:{server.port}/token"')
