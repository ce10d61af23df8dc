"""RegistryState: what push_image publishes (real, verifiable OCI content), versions, grammar, uploads."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from typing import Any

import pytest

from cicd_acceptance.emulator.clock import EmulatedClock
from cicd_acceptance.emulator.errors import OciRefused
from cicd_acceptance.emulator.registry.grammar import (
    IN_TOTO,
    OCI_INDEX,
    OCI_MANIFEST,
    compute_digest,
    is_valid_digest,
    is_valid_name,
    is_valid_tag,
)
from cicd_acceptance.emulator.registry.state import RegistryState
from cicd_acceptance.errors import HarnessError

NAME = "octo-org/stream-monitor/gateway"
LABELS = {"org.opencontainers.image.revision": "0123456789abcdef0123456789abcdef01234567",
          "org.opencontainers.image.source": "https://github.com/octo-org/stream-monitor"}


@pytest.fixture
def clock() -> EmulatedClock:
    return EmulatedClock(speed=0)


@pytest.fixture
def state(clock: EmulatedClock) -> RegistryState:
    return RegistryState(now=clock.now)


def _json(state: RegistryState, name: str, digest: str) -> Any:
    data = state.blob(name, digest)
    assert data is not None, digest
    assert compute_digest(data) == digest
    return json.loads(data)


def test_push_image_builds_a_verifiable_index_with_an_attestation(state: RegistryState) -> None:
    digest = state.push_image(NAME, ["main", "sha-0123456"], labels=LABELS)

    index = state.manifest(NAME, "main")
    assert index is not None
    assert index.digest == digest == compute_digest(index.body)
    assert index.media_type == OCI_INDEX
    entries = json.loads(index.body)["manifests"]
    assert [e["platform"] for e in entries] == [{"architecture": "amd64", "os": "linux"},
                                                {"architecture": "unknown", "os": "unknown"}]
    image, attestation = entries
    assert attestation["annotations"] == {"vnd.docker.reference.type": "attestation-manifest",
                                          "vnd.docker.reference.digest": image["digest"]}
    statement_layer = _json(state, NAME, attestation["digest"])["layers"][0]
    assert statement_layer["mediaType"] == IN_TOTO
    assert _json(state, NAME, statement_layer["digest"])["subject"][0]["digest"]["sha256"] == image["digest"][7:]


def test_each_platform_manifest_has_a_config_with_labels_created_and_a_real_layer(state: RegistryState) -> None:
    state.push_image(NAME, ["v1"], labels=LABELS, platforms=["linux/amd64", "linux/arm/v7"], attestation=False)

    index = state.manifest(NAME, "v1")
    assert index is not None
    entries = json.loads(index.body)["manifests"]
    assert [e["platform"] for e in entries] == [{"architecture": "amd64", "os": "linux"},
                                                {"architecture": "arm", "os": "linux", "variant": "v7"}]
    for entry in entries:
        manifest = _json(state, NAME, entry["digest"])
        assert manifest["mediaType"] == OCI_MANIFEST
        config = _json(state, NAME, manifest["config"]["digest"])
        assert config["config"]["Labels"] == LABELS
        assert config["created"] == "2026-03-02T09:00:00Z"
        assert (config["os"], config["architecture"]) == ("linux", entry["platform"]["architecture"])
        layer = state.blob(NAME, manifest["layers"][0]["digest"])
        assert layer is not None
        raw = gzip.decompress(layer)
        assert config["rootfs"]["diff_ids"] == [compute_digest(raw)]
        with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
            assert tar.getnames() == ["etc/image-info"]


def test_tags_move_and_versions_are_one_per_index_digest_newest_first(state: RegistryState,
                                                                      clock: EmulatedClock) -> None:
    first = state.push_image(NAME, ["main", "sha-aaaaaaa"], labels=LABELS)
    clock.advance(300)
    second = state.push_image(NAME, ["main", "sha-bbbbbbb"], labels=LABELS)

    assert first != second  # the config's created time differs
    assert state.tags(NAME) == ["main", "sha-aaaaaaa", "sha-bbbbbbb"]
    versions = state.versions(NAME)
    assert [(v.digest, v.tags) for v in versions] == [(second, ("main", "sha-bbbbbbb")), (first, ("sha-aaaaaaa",))]
    assert versions[0].created_at == clock.now()
    assert versions[0].id != versions[1].id
    assert state.versions("octo-org/unknown") == []


def test_repushing_identical_content_keeps_one_version(state: RegistryState) -> None:
    first = state.push_image(NAME, ["a"], labels=LABELS)
    again = state.push_image(NAME, ["b"], labels=LABELS)

    assert first == again
    assert [(v.digest, v.tags) for v in state.versions(NAME)] == [(first, ("a", "b"))]


@pytest.mark.parametrize(("name", "tags", "platforms", "code"), [
    ("Octo-Org/gateway", ["main"], ["linux/amd64"], "NAME_INVALID"),
    ("octo-org/gateway-", ["main"], ["linux/amd64"], "NAME_INVALID"),
    ("octo-org/gateway", [".hidden"], ["linux/amd64"], "TAG_INVALID"),
    ("octo-org/gateway", ["x" * 129], ["linux/amd64"], "TAG_INVALID"),
    ("octo-org/gateway", ["main"], ["amd64"], "MANIFEST_INVALID"),
    ("octo-org/gateway", ["main"], [], "MANIFEST_INVALID"),
])
def test_push_image_refuses_what_ghcr_refuses(state: RegistryState, name: str, tags: list[str],
                                              platforms: list[str], code: str) -> None:
    with pytest.raises(OciRefused) as caught:
        state.push_image(name, tags, labels={}, platforms=platforms)

    assert caught.value.code == code
    assert isinstance(caught.value, HarnessError)
    assert f"/v2/{name}/manifests/" in str(caught.value)
    assert state.repositories() == []


def test_visibility_and_reset(state: RegistryState) -> None:
    state.push_image(NAME, ["main"], labels={})
    assert state.is_public(NAME)
    state.set_public(NAME, False)
    assert not state.is_public(NAME)

    state.reset()

    assert state.is_public(NAME)
    assert not state.has_repository(NAME)
    assert state.manifest(NAME, "main") is None


def test_blobs_are_visible_only_in_repositories_they_were_pushed_to(state: RegistryState) -> None:
    digest = compute_digest(b"layer")
    state.put_blob("a/one", digest, b"layer")

    assert state.blob("a/one", digest) == b"layer"
    assert state.blob("a/two", digest) is None


def test_chunked_upload_checks_offsets_and_digest(state: RegistryState) -> None:
    upload = state.start_upload("a/one")
    assert state.append_upload("a/one", upload, b"abc", start=0) == 3
    with pytest.raises(OciRefused) as caught:
        state.append_upload("a/one", upload, b"zzz", start=1)
    assert (caught.value.code, caught.value.status_code) == ("RANGE_INVALID", 416)
    with pytest.raises(OciRefused) as wrong:
        state.finish_upload("a/one", upload, compute_digest(b"abcdef"), b"xyz")
    assert wrong.value.code == "DIGEST_INVALID"

    assert state.finish_upload("a/one", upload, compute_digest(b"abcxyzxyz"), b"xyz") == compute_digest(b"abcxyzxyz")
    assert state.upload_size("a/one", upload) is None


def test_grammar() -> None:
    assert is_valid_name("octo-org/stream-monitor/gateway")
    assert is_valid_name("a__b/c.d/e--f")
    assert not is_valid_name("a___b")
    assert not is_valid_name("a/")
    assert not is_valid_name("x" * 256)
    assert all(is_valid_tag(t) for t in ("sha-0123456", "_x", "V1.2.3"))
    assert not any(is_valid_tag(t) for t in ("-x", "a/b"))
    assert is_valid_digest(compute_digest(b""))
    assert is_valid_digest(compute_digest(b"", "sha512"))
    assert not is_valid_digest("sha256:" + "A" * 64)
    assert not is_valid_digest("sha256:abc")
    assert not is_valid_digest("md5:" + "0" * 32)
