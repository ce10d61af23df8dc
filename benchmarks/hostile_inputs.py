"""What hostile input costs the harness: requests, time and memory until it refuses.

Each row is one attack, served in-process (``httpx.MockTransport``, no network) or from a temporary file:

* an image index with N entries (the registry client refuses more than 256 in one request);
* endless GitHub paging (stops at 100 pages);
* a 1 MB gzip answer that inflates to 1 GiB, from GitHub and from the registry (refused at the size cap);
* a plan file with a 20 MB ``ci.test_command`` (refused at load).

Usage: ``.venv/bin/python benchmarks/hostile_inputs.py``.
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
import tempfile
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from cicd_acceptance.errors import HarnessError
from cicd_acceptance.github import GitHubClient
from cicd_acceptance.httpbounds import HttpSettings
from cicd_acceptance.plan import load_plan
from cicd_acceptance.registry import RegistryClient
from cicd_acceptance.secret import Secret

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def gzip_bomb(mib: int) -> bytes:
    chunk = b" " * (1 << 20)
    raw = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block, tail = raw.compress(chunk) + raw.flush(zlib.Z_FULL_FLUSH), raw.flush(zlib.Z_FINISH)
    trailer = struct.pack("<II", 0, (len(chunk) * mib) & 0xFFFFFFFF)
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + block * mib + tail + trailer


class Chunks(httpx.SyncByteStream):
    def __init__(self, data: bytes) -> None:
        self.data = data

    def __iter__(self) -> Iterator[bytes]:
        for start in range(0, len(self.data), 65536):
            yield self.data[start:start + 65536]


SEEN: list[httpx.Request] = []  # every request the attack's server answered


def measure(attack: Callable[[], object]) -> tuple[int, float, float, str]:
    """(requests, ms, peak MiB, outcome) of one attack."""
    SEEN.clear()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        attack()
        outcome = "accepted"
    except HarnessError as exc:
        outcome = f"refused: {exc.args[0][-90:] if exc.args else exc}"
    elapsed = (time.perf_counter() - started) * 1000
    peak = tracemalloc.get_traced_memory()[1] / (1 << 20)
    tracemalloc.stop()
    return len(SEEN), elapsed, peak, outcome


def _digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def index_attack(entries: int) -> Callable[[], object]:
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Labels": {}}}).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {
        "mediaType": "application/vnd.oci.image.config.v1+json", "digest": _digest(config), "size": len(config)},
        "layers": []}).encode()
    digest = _digest(manifest)
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": digest, "size": len(manifest),
         "platform": {"os": "linux", "architecture": f"arch{i}"}} for i in range(entries)]}).encode()
    def handler(request: httpx.Request) -> httpx.Response:
        SEEN.append(request)
        if "/blobs/" in request.url.path:
            return httpx.Response(200, content=config)
        body = index if request.url.path.endswith("/v1") else manifest
        return httpx.Response(200, headers={"content-type": OCI_INDEX if body is index else OCI_MANIFEST}, content=body)

    def attack() -> object:
        with RegistryClient(registry="ghcr.io", http=HttpSettings(transport=httpx.MockTransport(handler))) as client:
            return client.image_info("o/app", "v1")

    return attack


def paging_attack() -> object:
    def handler(request: httpx.Request) -> httpx.Response:
        SEEN.append(request)
        page = int(request.url.params.get("page", "1"))
        link = f'<https://api.github.com/repos/o/r/actions/workflows?page={page + 1}>; rel="next"'
        return httpx.Response(200, headers={"link": link}, json={"workflows": []})

    client = GitHubClient(base_url="https://api.github.com", token=Secret("t"),
                          http=HttpSettings(transport=httpx.MockTransport(handler)))
    return client.list_workflows("o/r")


def bomb_attack(kind: str) -> Callable[[], object]:
    bomb = gzip_bomb(1024)

    def handler(request: httpx.Request) -> httpx.Response:
        SEEN.append(request)
        return httpx.Response(200, headers={"content-encoding": "gzip", "content-type": OCI_INDEX},
                              stream=Chunks(bomb))

    def attack() -> object:
        if kind == "github":
            return GitHubClient(base_url="https://api.github.com", token=None,
                                http=HttpSettings(transport=httpx.MockTransport(handler))).get_rate_limit()
        registry = RegistryClient(registry="ghcr.io", http=HttpSettings(transport=httpx.MockTransport(handler)))
        return registry.get_manifest("o/app", "v1")

    return attack


def plan_attack() -> object:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "acceptance.toml"
        path.write_text('[ci]\ntest_command = "' + "go test ./... " * 1_500_000 + '"\n', encoding="utf-8")
        return load_plan(path)


def main() -> int:
    attacks: list[tuple[str, Callable[[], object]]] = [
        *((f"image index with {n} entries", index_attack(n)) for n in (10, 1_000, 10_000)),
        ("endless GitHub pages", paging_attack),
        ("1 MB gzip -> 1 GiB from GitHub", bomb_attack("github")),
        ("1 MB gzip -> 1 GiB from the registry", bomb_attack("registry")),
        ("plan with a 20 MB ci.test_command", plan_attack),
    ]
    print(f"{'attack':<38} {'requests':>8} {'ms':>8} {'peak MiB':>9}  outcome")
    for name, attack in attacks:
        requests, ms, peak, outcome = measure(attack)
        print(f"{name:<38} {requests:>8} {ms:>8.1f} {peak:>9.1f}  {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
