"""A hostile registry: a huge index, a gzip bomb, a dripping body, a garbage challenge, deeply nested JSON."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator

import httpx
import pytest

from cicd_acceptance.errors import RegistryError
from cicd_acceptance.httpbounds import HttpSettings
from cicd_acceptance.polling import ManualClock
from cicd_acceptance.registry import RegistryClient
from tests.hostile.bombs import gzip_bomb
from tests.registry.fake_registry import OCI_CONFIG, OCI_INDEX, OCI_MANIFEST, FakeRegistry, canonical

NAME = "octo/app-gateway"


def _client(handler: httpx.MockTransport | FakeRegistry, clock: ManualClock | None = None) -> RegistryClient:
    transport = handler if isinstance(handler, httpx.MockTransport) else httpx.MockTransport(handler)
    chosen = clock or ManualClock()
    return RegistryClient(registry="ghcr.io", http=HttpSettings(transport=transport, sleep=chosen.sleep, clock=chosen))


def _index(registry: FakeRegistry, entries: list[dict[str, object]], tag: str = "v1") -> str:
    body = canonical({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries})
    return registry.add_manifest(NAME, body, OCI_INDEX, tag=tag)


# --- item 10: an index with 1,000 entries --------------------------------------------------------------------------

def test_an_index_with_a_thousand_entries_is_refused_in_a_few_requests() -> None:
    registry = FakeRegistry(require_auth=False, redirect_blobs=False)
    digest, size = registry.platform_manifest(NAME, "linux/amd64", {}, "2026-01-01T00:00:00Z")
    entries: list[dict[str, object]] = [
        {"mediaType": OCI_MANIFEST, "digest": digest, "size": size,
         "platform": {"os": "linux", "architecture": f"arch{i}"}} for i in range(1000)]
    _index(registry, entries)
    with _client(registry) as client, pytest.raises(RegistryError, match="lists 1000 manifests"):
        client.image_info(NAME, "v1")
    assert len(registry.log) <= 3


def test_duplicates_and_other_platforms_are_fetched_once_or_not_at_all() -> None:
    registry = FakeRegistry(require_auth=False, redirect_blobs=False)
    amd, amd_size = registry.platform_manifest(NAME, "linux/amd64", {"a": "1"}, "2026-01-01T00:00:00Z")
    win, win_size = registry.platform_manifest(NAME, "windows/amd64", {}, "2026-01-01T00:00:00Z")
    entries: list[dict[str, object]] = [
        {"mediaType": OCI_MANIFEST, "digest": amd, "size": amd_size,
         "platform": {"os": "linux", "architecture": "amd64"}}] * 50 + [
        {"mediaType": OCI_MANIFEST, "digest": win, "size": win_size,
         "platform": {"os": "windows", "architecture": "amd64"}}]
    _index(registry, entries)
    with _client(registry) as client:
        info = client.image_info(NAME, "v1")
        assert [p.platform for p in info.platforms] == ["linux/amd64"]
        assert client.stats.total == 3  # the index, one platform manifest, its config
        arm = client.image_info(NAME, "v1", platforms=["linux/arm64"])
        assert arm.platforms == ()


# --- item 9 (registry): decoded size cap and deadline ------------------------------------------------------------

class _Chunks(httpx.SyncByteStream):
    def __init__(self, data: bytes, clock: ManualClock | None = None, size: int = 64 * 1024) -> None:
        self.data, self.clock, self.size = data, clock, size
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for start in range(0, len(self.data), self.size):
            if self.clock is not None:
                self.clock.advance(2.0)
            self.sent += 1
            yield self.data[start:start + self.size]


def test_a_gzip_bomb_manifest_is_refused_in_bounded_memory() -> None:
    bomb = gzip_bomb(128)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": OCI_INDEX, "content-encoding": "gzip"},
                              stream=_Chunks(bomb))

    tracemalloc.start()
    try:
        with _client(httpx.MockTransport(handler)) as client, pytest.raises(RegistryError, match="larger than"):
            client.get_manifest(NAME, "v1")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024


def test_a_dripping_manifest_times_out() -> None:
    clock = ManualClock()
    streams: list[_Chunks] = []

    def handler(request: httpx.Request) -> httpx.Response:
        streams.append(_Chunks(b" " * 100_000, clock, size=1))
        return httpx.Response(200, headers={"content-type": OCI_INDEX}, stream=streams[-1])

    with _client(httpx.MockTransport(handler), clock) as client, pytest.raises(RegistryError, match="deadline"):
        client.get_manifest(NAME, "v1")
    assert all(s.sent <= 62 for s in streams)


# --- item 14 (registry): garbage challenge, deeply nested JSON -----------------------------------------------------

@pytest.mark.parametrize("realm", ["http://[::1", "::::", "javascript:alert(1)", "https://"])
def test_a_garbage_www_authenticate_is_a_clear_error(realm: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, headers={"www-authenticate": f'Bearer realm="{realm}",service="x"'})

    with _client(httpx.MockTransport(handler)) as client, pytest.raises(RegistryError, match="realm is not"):
        client.head_manifest(NAME, "v1")


def test_deeply_nested_manifest_json_is_a_clear_error() -> None:
    registry = FakeRegistry(require_auth=False)
    body = b'{"schemaVersion": 2, "manifests": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    registry.add_manifest(NAME, body, OCI_INDEX, tag="v1")
    with _client(registry) as client, pytest.raises(RegistryError, match="nested too deeply"):
        client.get_manifest(NAME, "v1")


def test_a_normal_gzip_answer_still_works() -> None:
    registry = FakeRegistry(require_auth=False, redirect_blobs=False)
    registry.push_image(NAME, ["v1"], platforms={"linux/amd64": {"k": "v"}})

    def gzipped(request: httpx.Request) -> httpx.Response:
        import gzip

        answer = registry(request)
        answer.read()
        headers = {k: v for k, v in answer.headers.items() if k != "content-length"}
        return httpx.Response(answer.status_code, headers={**headers, "content-encoding": "gzip"},
                              stream=_Chunks(gzip.compress(answer.content)))

    with _client(httpx.MockTransport(gzipped)) as client:
        info = client.image_info(NAME, "v1")
    assert dict(info.platforms[0].labels) == {"k": "v"}


# --- digests a registry sends are fetched as paths next: a bad one is the registry's error, naming the call -------

def test_a_descriptor_with_a_digest_that_is_a_path_is_the_registrys_error() -> None:
    registry = FakeRegistry(require_auth=False, redirect_blobs=False)
    body = canonical({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "layers": [],
                      "config": {"mediaType": OCI_CONFIG, "digest": "../../etc/passwd", "size": 1}})
    registry.add_manifest(NAME, body, OCI_MANIFEST, tag="v1")
    with _client(registry) as client, pytest.raises(RegistryError) as caught:
        client.image_info(NAME, "v1")
    assert "descriptor has an invalid digest '../../etc/passwd'" in str(caught.value)
    assert str(caught.value).startswith(f"GET https://ghcr.io/v2/{NAME}/manifests/v1")
    assert not registry.requests_to("passwd")


def test_a_docker_content_digest_that_is_not_a_digest_is_the_registrys_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"docker-content-digest": "latest", "content-type": OCI_MANIFEST})

    with _client(httpx.MockTransport(handler)) as client, pytest.raises(RegistryError) as caught:
        client.head_manifest(NAME, "v1")
    assert str(caught.value) == (f"HEAD https://ghcr.io/v2/{NAME}/manifests/v1 -> 200: Docker-Content-Digest "
                                 "'latest' is not a content digest")
