"""Image references and names per the distribution grammar; OCI times as Go writes them."""

from __future__ import annotations

import pytest

from cicd_acceptance.errors import ConfigError
from cicd_acceptance.registry.manifests import parse_oci_time
from cicd_acceptance.registry.models import ImageRef, parse_image_ref


@pytest.mark.parametrize(("text", "expected"), [
    ("ghcr.io/owner/repo-gateway:sha-abc1234", ImageRef("ghcr.io", "owner/repo-gateway", "sha-abc1234")),
    ("ghcr.io/owner/repo-gateway", ImageRef("ghcr.io", "owner/repo-gateway")),
    ("127.0.0.1:5000/o/r:latest", ImageRef("127.0.0.1:5000", "o/r", "latest")),
    ("localhost/o/r", ImageRef("localhost", "o/r")),
    ("ghcr.io/o/r@sha256:" + "a" * 64, ImageRef("ghcr.io", "o/r", None, "sha256:" + "a" * 64)),
    ("ghcr.io/o/r:v1@sha256:" + "b" * 64, ImageRef("ghcr.io", "o/r", "v1", "sha256:" + "b" * 64)),
    ("ghcr.io/a.b/c__d/e--f:x", ImageRef("ghcr.io", "a.b/c__d/e--f", "x")),
])
def test_references_parse(text: str, expected: ImageRef) -> None:
    assert parse_image_ref(text) == expected


def test_reference_round_trips_and_defaults() -> None:
    ref = parse_image_ref("ghcr.io/owner/repo:sha-1")
    assert str(ref) == "ghcr.io/owner/repo:sha-1"
    assert ref.reference == "sha-1"
    assert parse_image_ref("owner/repo", default_registry="ghcr.io") == ImageRef("ghcr.io", "owner/repo")
    assert parse_image_ref("ghcr.io/o/r").reference == "latest"


@pytest.mark.parametrize(("text", "message"), [
    ("ghcr.io/Owner/Repo-Gateway:sha-1", "registry names are lowercase: use 'owner/repo-gateway'"),
    ("ghcr.io/owner/repo:-bad", "is not a valid OCI tag"),
    ("ghcr.io/owner/repo:" + "x" * 129, "is not a valid OCI tag"),
    ("ghcr.io/owner//repo", "is not a valid OCI repository name"),
    ("ghcr.io/owner/repo-", "is not a valid OCI repository name"),
    ("owner/repo", "names no registry host"),
    ("ghcr.io/o/r@sha256", "invalid digest"),
])
def test_bad_references_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_image_ref(text, source="plan.toml:images")
    assert str(caught.value).startswith("plan.toml:images: ")


@pytest.mark.parametrize(("value", "iso"), [
    ("2026-11-27T08:00:00Z", "2026-11-27T08:00:00+00:00"),
    ("2026-11-27T08:00:00.123456789Z", "2026-11-27T08:00:00.123456+00:00"),
    ("2026-11-27T10:00:00.5+02:00", "2026-11-27T08:00:00.500000+00:00"),
])
def test_go_times_parse(value: str, iso: str) -> None:
    parsed = parse_oci_time(value)
    assert parsed is not None
    assert parsed.isoformat() == iso


@pytest.mark.parametrize("value", [None, 3, "", "yesterday", "2026-13-40T99:00:00Z"])
def test_odd_times_are_none(value: object) -> None:
    assert parse_oci_time(value) is None
