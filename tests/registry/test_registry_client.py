"""RegistryClient against a GHCR-like MockTransport: negotiation, digests, per-platform labels, paging, errors."""

from __future__ import annotations

import httpx
import pytest

from cicd_acceptance.errors import RegistryError, RegistryNotFound
from cicd_acceptance.httpbounds import HttpSettings
from cicd_acceptance.registry import RegistryClient
from cicd_acceptance.registry.models import MANIFEST_ACCEPT
from cicd_acceptance.secret import Secret
from tests.registry.fake_registry import OCI_INDEX, OCI_MANIFEST, STORAGE_HOST, FakeRegistry, canonical

NAME = "acme/shop-gateway"
REV = "0123456789abcdef0123456789abcdef01234567"
REVISION = "org.opencontainers.image.revision"


def make_client(fake: FakeRegistry, sleeps: list[float] | None = None) -> RegistryClient:
    recorded = sleeps if sleeps is not None else []
    return RegistryClient(registry=fake.host, username="octocat", token=Secret(fake.password),
                          http=HttpSettings(transport=httpx.MockTransport(fake), sleep=recorded.append))


def two_platform_image(fake: FakeRegistry, tags: list[str]) -> str:
    return fake.push_image(NAME, tags, platforms={
        "linux/amd64": {REVISION: REV, "org.opencontainers.image.title": "gateway"},
        "linux/arm64": {REVISION: "f" * 40},
    })


def test_head_sends_all_four_manifest_types_and_reads_the_digest_header() -> None:
    fake = FakeRegistry()
    digest = two_platform_image(fake, ["sha-0123456"])

    ref = make_client(fake).head_manifest(NAME, "sha-0123456")

    assert ref is not None
    assert (ref.digest, ref.media_type) == (digest, OCI_INDEX)
    accept = fake.log[-1].headers["accept"]
    assert accept == MANIFEST_ACCEPT
    for media_type in (OCI_INDEX, OCI_MANIFEST, "application/vnd.docker.distribution.manifest.list.v2+json",
                       "application/vnd.docker.distribution.manifest.v2+json"):
        assert media_type in accept


def test_head_of_a_single_oci_manifest_is_found_because_its_type_is_accepted() -> None:
    fake = FakeRegistry(require_auth=False)
    digest, _ = fake.platform_manifest(NAME, "linux/amd64", {REVISION: REV}, "2026-11-27T08:00:00Z")
    fake.tags[NAME] = {"latest": digest}

    ref = make_client(fake).head_manifest(NAME, "latest")

    assert ref is not None
    assert (ref.digest, ref.media_type) == (digest, OCI_MANIFEST)


@pytest.mark.parametrize(("name", "tag"), [(NAME, "sha-absent"), ("acme/no-such-image", "latest")])
def test_head_of_an_unknown_tag_or_repository_is_none(name: str, tag: str) -> None:
    fake = FakeRegistry()
    two_platform_image(fake, ["latest"])

    assert make_client(fake).head_manifest(name, tag) is None


def test_image_info_reads_each_platforms_own_config_and_lists_attestations_apart() -> None:
    fake = FakeRegistry()
    digest = two_platform_image(fake, ["sha-0123456"])
    client = make_client(fake)

    info = client.image_info(NAME, "sha-0123456")

    assert (info.digest, info.media_type) == (digest, OCI_INDEX)
    assert [p.platform for p in info.platforms] == ["linux/amd64", "linux/arm64"]
    assert [p.label(REVISION) for p in info.platforms] == [REV, "f" * 40]
    assert info.platforms[0].label("org.opencontainers.image.title") == "gateway"
    assert all(p.manifest_digest != digest for p in info.platforms)
    assert info.platforms[0].created is not None
    assert info.platforms[0].created.isoformat() == "2026-11-27T08:00:00.123456+00:00"
    assert [a.platform for a in info.attestations] == ["unknown/unknown"]
    # index + 2 manifests + 2 configs (each blob redirected once to storage), after one challenge + one token
    assert client.stats.snapshot() == {"blob": 2, "manifest_get": 4, "redirect": 2, "token": 1}


def test_blob_redirects_are_followed_without_sending_the_token_to_storage() -> None:
    fake = FakeRegistry()
    two_platform_image(fake, ["latest"])

    make_client(fake).image_info(NAME, "latest")

    storage = [r for r in fake.log if r.url.host == STORAGE_HOST]
    assert len(storage) == 2
    assert all("authorization" not in r.headers for r in storage)


def test_a_manifest_whose_body_does_not_match_its_digest_is_refused() -> None:
    fake = FakeRegistry()
    digest = two_platform_image(fake, ["latest"])
    fake.tamper_manifests = True

    with pytest.raises(RegistryError) as caught:
        make_client(fake).get_manifest(NAME, "latest")

    message = str(caught.value)
    assert message.startswith(f"GET https://ghcr.io/v2/{NAME}/manifests/latest: digest mismatch: expected {digest}")


def test_a_config_blob_whose_body_does_not_match_its_digest_is_refused() -> None:
    fake = FakeRegistry()
    two_platform_image(fake, ["latest"])
    fake.tamper_blobs = True

    with pytest.raises(RegistryError, match=r"GET https://ghcr.io/v2/acme/shop-gateway/blobs/sha256:.*digest mismatch"):
        make_client(fake).image_info(NAME, "latest")


def test_a_single_manifest_image_is_one_platform_from_its_config() -> None:
    fake = FakeRegistry()
    digest, _ = fake.platform_manifest(NAME, "linux/arm64", {REVISION: REV}, "2026-11-27T08:00:00Z")
    fake.tags[NAME] = {"latest": digest}

    info = make_client(fake).image_info(NAME, "latest")

    assert info.digest == digest
    assert [(p.platform, p.manifest_digest, p.label(REVISION)) for p in info.platforms] == [
        ("linux/arm64", digest, REV)]
    assert info.attestations == ()


def test_tags_are_listed_across_link_pages() -> None:
    fake = FakeRegistry()
    expected = sorted(f"v{i:04d}" for i in range(250))
    digest = two_platform_image(fake, expected)
    client = make_client(fake)

    tags = client.list_tags(NAME, page_size=100)

    assert tags == expected
    assert client.stats.requests["tags"] == 3 + 1   # three pages plus the first, challenged attempt
    assert fake.tags[NAME]["v0249"] == digest


def test_a_next_link_to_another_origin_is_refused() -> None:
    fake = FakeRegistry(require_auth=False)
    fake.push_image(NAME, ["a", "b"], platforms={"linux/amd64": {}})

    def foreign_link(request: httpx.Request) -> httpx.Response:
        response = fake(request)
        response.headers["link"] = '<https://evil.example/v2/x/tags/list?last=a>; rel="next"'
        return response

    client = RegistryClient(registry="ghcr.io", http=HttpSettings(transport=httpx.MockTransport(foreign_link)))
    with pytest.raises(RegistryError, match="points to another origin"):
        client.list_tags(NAME)


def test_listing_tags_of_an_unknown_repository_names_the_call() -> None:
    fake = FakeRegistry()
    with pytest.raises(RegistryNotFound) as caught:
        make_client(fake).list_tags("acme/nothing")
    assert str(caught.value) == (
        "GET https://ghcr.io/v2/acme/nothing/tags/list -> 404: repository acme/nothing not found "
        "(NAME_UNKNOWN: repository name not known)")


def test_server_errors_are_retried_with_the_injected_sleep() -> None:
    fake = FakeRegistry(require_auth=False, fail_next=[503, 502])
    two_platform_image(fake, ["latest"])
    sleeps: list[float] = []

    assert make_client(fake, sleeps).head_manifest(NAME, "latest") is not None
    assert len(sleeps) == 2


def test_persistent_server_errors_end_in_an_error_naming_the_call() -> None:
    fake = FakeRegistry(require_auth=False, fail_next=[503, 503, 503])
    two_platform_image(fake, ["latest"])

    with pytest.raises(RegistryError) as caught:
        make_client(fake).head_manifest(NAME, "sha-abc1234")

    assert str(caught.value).startswith(f"HEAD https://ghcr.io/v2/{NAME}/manifests/sha-abc1234 -> 503")
    assert fake.password not in str(caught.value)


def test_network_errors_are_retried_then_reported() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = RegistryClient(registry="ghcr.io",
                            http=HttpSettings(transport=httpx.MockTransport(down), sleep=lambda _: None))
    with pytest.raises(RegistryError, match=r"^HEAD https://ghcr.io/v2/acme/x/manifests/latest: network error"):
        client.head_manifest("acme/x", "latest")
    assert client.stats.total == 3


def test_a_nested_index_is_reported_not_misread() -> None:
    fake = FakeRegistry(require_auth=False)
    inner = fake.push_image(NAME, [], platforms={"linux/amd64": {}}, attestation=False)
    outer = canonical({"schemaVersion": 2, "mediaType": OCI_INDEX,
                       "manifests": [{"mediaType": OCI_INDEX, "digest": inner, "size": 1,
                                      "platform": {"os": "linux", "architecture": "amd64"}}]})
    fake.add_manifest(NAME, outer, OCI_INDEX, tag="latest")

    with pytest.raises(RegistryError, match="inside an index is not an image manifest"):
        make_client(fake).image_info(NAME, "latest")


DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_V2 = "application/vnd.docker.distribution.manifest.v2+json"


def test_docker_manifest_lists_are_read_like_oci_indexes() -> None:
    fake = FakeRegistry()
    config = canonical({"os": "linux", "architecture": "amd64", "created": "2026-11-27T08:00:00Z",
                        "config": {"Labels": {REVISION: REV}}})
    config_digest = fake.add_blob(config)
    manifest = canonical({"schemaVersion": 2, "mediaType": DOCKER_V2,
                          "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                                     "digest": config_digest, "size": len(config)}, "layers": []})
    manifest_digest = fake.add_manifest(NAME, manifest, DOCKER_V2)
    listing = canonical({"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": [
        {"mediaType": DOCKER_V2, "digest": manifest_digest, "size": len(manifest),
         "platform": {"os": "linux", "architecture": "amd64"}}]})
    digest = fake.add_manifest(NAME, listing, DOCKER_LIST, tag="latest")

    info = make_client(fake).image_info(NAME, "latest")

    assert (info.digest, info.media_type) == (digest, DOCKER_LIST)
    assert [(p.platform, p.manifest_digest, p.label(REVISION)) for p in info.platforms] == [
        ("linux/amd64", manifest_digest, REV)]


def test_a_head_without_a_digest_header_falls_back_to_hashing_the_body() -> None:
    fake = FakeRegistry(omit_digest_header=True)
    digest = two_platform_image(fake, ["latest"])
    client = make_client(fake)

    ref = client.head_manifest(NAME, "latest")

    assert ref is not None
    assert ref.digest == digest
    assert client.stats.requests["manifest_get"] == 1


def test_a_blob_redirect_loop_is_a_registry_error() -> None:
    fake = FakeRegistry(require_auth=False)
    two_platform_image(fake, ["latest"])

    def loop(request: httpx.Request) -> httpx.Response:
        if "/blobs/" in request.url.path:
            return httpx.Response(307, headers={"location": str(request.url)})
        return fake(request)

    client = RegistryClient(registry="ghcr.io", http=HttpSettings(transport=httpx.MockTransport(loop)))
    with pytest.raises(RegistryError, match=rf"^GET https://ghcr.io/v2/{NAME}/blobs/sha256:\w+: TooManyRedirects"):
        client.image_info(NAME, "latest")


def test_retry_after_is_honoured_on_429() -> None:
    fake = FakeRegistry(require_auth=False)
    two_platform_image(fake, ["latest"])
    calls: list[int] = []

    def limited(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(429, headers={"retry-after": "7"}, json={"errors": [{"code": "TOOMANYREQUESTS"}]})
        return fake(request)

    sleeps: list[float] = []
    client = RegistryClient(registry="ghcr.io",
                            http=HttpSettings(transport=httpx.MockTransport(limited), sleep=sleeps.append))
    assert client.head_manifest(NAME, "latest") is not None
    assert sleeps == [7.0]


@pytest.mark.parametrize(("status", "headers", "retried"), [
    (403, {"retry-after": "2"}, True),
    (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1790000000"}, False),
    (429, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1790000000"}, True),
])
def test_a_rate_limit_is_reported_as_such_never_as_no_access(status: int, headers: dict[str, str],
                                                             retried: bool) -> None:
    def limited(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=headers, json={"errors": [{"code": "DENIED", "message": "slow down"}]})

    sleeps: list[float] = []
    client = RegistryClient(registry="ghcr.io",
                            http=HttpSettings(transport=httpx.MockTransport(limited), sleep=sleeps.append))
    with pytest.raises(RegistryError) as caught:
        client.head_manifest(NAME, "latest")

    assert type(caught.value) is RegistryError
    assert f"-> {status}: rate limited (retry-after " in str(caught.value)
    assert "no access" not in str(caught.value)
    assert len(sleeps) == (2 if retried else 0)


def test_a_blob_asked_for_by_something_that_is_not_a_digest_is_a_value_error_and_not_sent() -> None:
    fake = FakeRegistry()
    with make_client(fake) as client, pytest.raises(ValueError, match="'latest' is not a content digest"):
        client.get_blob_json(NAME, "latest")
    assert fake.log == []
