"""Image publication facts: each one passes on a good push and fails on its own, with the observed value."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from cicd_acceptance.errors import ConfigError
from cicd_acceptance.httpbounds import HttpSettings
from cicd_acceptance.live.images import ImageSnapshot, ImageVerdict, snapshot_before, verify_published
from cicd_acceptance.registry import RegistryClient
from tests.registry.fake_registry import FakeRegistry

SHA = "860c1904a1b2c3d4e5f60718293a4b5c6d7e8f90"
OLD_SHA = "1111111111111111111111111111111111111111"
IMAGE = "ghcr.io/acme/shop-gateway"
NAME = "acme/shop-gateway"
SHORT = f"sha-{SHA[:7]}"
DISPATCHED = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
AFTER = "2026-11-27T08:03:10.5Z"
BEFORE = "2026-11-26T12:00:00Z"
REVISION = "org.opencontainers.image.revision"


def labels(sha: str) -> dict[str, dict[str, str]]:
    return {"linux/amd64": {REVISION: sha}, "linux/arm64": {REVISION: sha}}


def setup(old_tags: int = 3) -> tuple[FakeRegistry, RegistryClient]:
    """A repository that already holds an older build under ``latest`` and a few old sha tags."""
    fake = FakeRegistry()
    fake.push_image(NAME, ["latest", f"sha-{OLD_SHA[:7]}", *[f"v1.{i}" for i in range(old_tags)]],
                    platforms=labels(OLD_SHA), created=BEFORE)
    client = RegistryClient(registry="ghcr.io",
                            http=HttpSettings(transport=httpx.MockTransport(fake), sleep=lambda _: None))
    return fake, client


def verify(client: RegistryClient, before: ImageSnapshot, tags: tuple[str, ...] = (SHORT,)) -> ImageVerdict:
    return verify_published(client, before, sha=SHA, sha_tags=tags, dispatched_at=DISPATCHED,
                            service="gateway")


def failed_checks(verdict: ImageVerdict) -> list[str]:
    return [fact.check for fact in verdict.failed]


def test_a_good_publication_passes_every_fact() -> None:
    fake, client = setup()
    before = snapshot_before(client, IMAGE, SHORT)
    digest = fake.push_image(NAME, [SHORT, "latest"], platforms=labels(SHA), created=AFTER)

    verdict = verify(client, before)

    assert verdict.passed, verdict.summary()
    assert (verdict.tag, verdict.digest) == (SHORT, digest)
    assert verdict.fact("revision-label").observed == (
        f"linux/amd64={SHA}, linux/arm64={SHA} (1 attestation manifests skipped)")
    assert verdict.fact("tag-is-new").observed == f"{SHORT} was absent before the dispatch"
    assert verdict.summary() == f"gateway ({IMAGE}): published {SHORT} -> {digest} for {SHA[:12]}"
    record = verdict.as_dict()
    assert json.loads(json.dumps(record)) == record
    assert record["digest"] == digest
    assert [p["revision"] for p in record["platforms"]] == [SHA, SHA]  # type: ignore[attr-defined]
    assert len(record["attestations"]) == 1  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"no image fact 'tag-exists' \(known: sha-tag-exists, latest-matches"):
        verdict.fact("tag-exists")  # type: ignore[arg-type]


def test_snapshot_records_absence_and_latest() -> None:
    fake, client = setup()
    old = fake.tags[NAME]["latest"]

    before = snapshot_before(client, IMAGE, [SHORT, f"sha-{SHA}"])

    assert before.sha_tags == ((SHORT, None), (f"sha-{SHA}", None))
    assert not before.sha_tag_existed
    assert before.latest_digest == old
    assert before.requests == 3 + 2   # three HEADs, plus one challenge and one token fetch


def test_a_missing_sha_tag_fails_and_nothing_is_inspected() -> None:
    _, client = setup()
    before = snapshot_before(client, IMAGE, SHORT)

    verdict = verify(client, before)

    assert failed_checks(verdict) == ["sha-tag-exists", "latest-matches", "revision-label", "tag-is-new"]
    assert verdict.fact("sha-tag-exists").observed == f"{SHORT} absent (HEAD 404)"
    assert verdict.fact("revision-label").observed == "not checked: the sha tag is absent"
    assert verdict.summary().startswith(f"gateway ({IMAGE}): 4 of 4 facts failed: sha-tag-exists: FAILED")


def test_latest_not_moved_fails_only_latest_matches() -> None:
    fake, client = setup()
    old = fake.tags[NAME]["latest"]
    before = snapshot_before(client, IMAGE, SHORT)
    new = fake.push_image(NAME, [SHORT], platforms=labels(SHA), created=AFTER)

    verdict = verify(client, before)

    assert failed_checks(verdict) == ["latest-matches"]
    assert verdict.fact("latest-matches").observed == f"latest -> {old}; {SHORT} -> {new}"
    assert "gateway" in verdict.summary()
    assert "latest-matches: FAILED" in verdict.summary()


def test_a_wrong_revision_label_on_one_platform_fails_only_revision_label() -> None:
    fake, client = setup()
    before = snapshot_before(client, IMAGE, SHORT)
    fake.push_image(NAME, [SHORT, "latest"], created=AFTER,
                    platforms={"linux/amd64": {REVISION: SHA}, "linux/arm64": {REVISION: OLD_SHA}})

    verdict = verify(client, before)

    assert failed_checks(verdict) == ["revision-label"]
    assert f"linux/arm64={OLD_SHA}" in verdict.fact("revision-label").observed


def test_a_missing_revision_label_fails_revision_label() -> None:
    fake, client = setup()
    before = snapshot_before(client, IMAGE, SHORT)
    fake.push_image(NAME, [SHORT, "latest"], created=AFTER, platforms={"linux/amd64": {}})

    verdict = verify(client, before)

    assert failed_checks(verdict) == ["revision-label"]
    assert verdict.fact("revision-label").observed.startswith("linux/amd64=<no label>")


def test_an_index_of_attestations_only_fails_revision_label() -> None:
    fake, client = setup()
    before = snapshot_before(client, IMAGE, SHORT)
    fake.push_image(NAME, [SHORT, "latest"], created=AFTER, platforms={})

    verdict = verify(client, before)

    assert failed_checks(verdict) == ["revision-label"]
    assert "no platform image (1 attestation manifests only)" in verdict.fact("revision-label").observed


def test_a_tag_that_existed_before_and_was_not_rebuilt_fails_only_tag_is_new() -> None:
    fake, client = setup()
    digest = fake.push_image(NAME, [SHORT, "latest"], platforms=labels(SHA), created=BEFORE)
    before = snapshot_before(client, IMAGE, SHORT)

    verdict = verify(client, before)

    assert failed_checks(verdict) == ["tag-is-new"]
    assert verdict.fact("tag-is-new").observed == (
        f"{SHORT} existed before ({digest}); created 2026-11-26T12:00:00+00:00")


def test_a_tag_that_existed_before_but_was_rebuilt_after_the_dispatch_is_new() -> None:
    fake, client = setup()
    fake.push_image(NAME, [SHORT], platforms=labels(SHA), created=BEFORE)
    before = snapshot_before(client, IMAGE, SHORT)
    fake.push_image(NAME, [SHORT, "latest"], platforms=labels(SHA), created=AFTER)

    verdict = verify(client, before)

    assert verdict.passed, verdict.summary()
    assert "created 2026-11-27T08:03:10.500000+00:00" in verdict.fact("tag-is-new").observed


def test_the_long_sha_tag_form_is_accepted() -> None:
    fake, client = setup()
    long_tag = f"sha-{SHA}"
    before = snapshot_before(client, IMAGE, [SHORT, long_tag])
    fake.push_image(NAME, [long_tag, "latest"], platforms=labels(SHA), created=AFTER)

    verdict = verify(client, before, (SHORT, long_tag))

    assert verdict.passed, verdict.summary()
    assert verdict.tag == long_tag


def test_requests_per_service_do_not_depend_on_the_number_of_tags() -> None:
    counts = []
    for old_tags in (10, 5_000):
        fake, client = setup(old_tags)
        before = snapshot_before(client, IMAGE, SHORT)
        fake.push_image(NAME, [SHORT, "latest"], platforms=labels(SHA), created=AFTER)
        verdict = verify(client, before)
        assert verdict.passed
        assert client.stats.requests["tags"] == 0
        counts.append((before.requests, verdict.requests))
    assert counts[0] == counts[1]
    # HEAD sha tag + HEAD latest + index + 2 x (manifest + config blob + storage redirect hop)
    assert counts[0] == (4, 9)


@pytest.mark.parametrize(("image", "message"), [
    ("docker.io/acme/shop-gateway", "the registry client talks to ghcr.io"),
    ("ghcr.io/Acme/Shop-Gateway", "registry names are lowercase"),
])
def test_a_bad_image_is_a_config_error_before_anything_is_asked(image: str, message: str) -> None:
    fake, client = setup()
    with pytest.raises(ConfigError, match=message):
        snapshot_before(client, image, SHORT)
    assert fake.log == []


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"dispatched_at": datetime(2026, 11, 27, 8, 0)}, "must be timezone-aware"),
    ({"sha": SHA[:7]}, "is not a full lowercase commit SHA"),
    ({"sha_tags": ("sha-deadbee",)}, f"'sha-deadbee' does not carry 7 or more leading hex digits of {SHA}"),
    ({"sha_tags": (f"sha-{SHA[:6]}",)}, "does not carry 7 or more leading hex digits"),
    ({"sha_tags": (f"sha-{SHA[:7]}f",)}, "does not carry 7 or more leading hex digits"),
    ({"sha_tags": ()}, "no sha tag to look for"),
])
def test_a_call_that_breaks_the_contract_is_a_value_error(kwargs: dict[str, object], message: str) -> None:
    _, client = setup()
    before = snapshot_before(client, IMAGE, SHORT)
    arguments: dict[str, object] = {"sha": SHA, "sha_tags": (SHORT,), "dispatched_at": DISPATCHED, **kwargs}
    with pytest.raises(ValueError, match=message):
        verify_published(client, before, **arguments)  # type: ignore[arg-type]


def test_the_plans_own_sha_tag_prefix_is_verified_like_sha() -> None:
    fake, client = setup()
    tag = f"build.{SHA[:7]}"
    before = snapshot_before(client, IMAGE, tag)
    fake.push_image(NAME, [tag, "latest"], platforms=labels(SHA), created=AFTER)

    verdict = verify(client, before, (tag,))

    assert verdict.passed, verdict.summary()
    assert verdict.tag == tag


@pytest.mark.parametrize("tag", [f"sha-{SHA[:12]}", SHA[:7], SHA, f"git-{SHA[:10]}-amd64"])
def test_a_commit_tag_of_another_length_prefix_or_suffix_is_found_when_looked_for(tag: str) -> None:
    # What the static rule accepts (DOCKER_METADATA_SHORT_SHA_LENGTH=12, prefix=, format=long, suffix=), the live
    # check finds: the spelling the workflow computes is looked up first, the plan's after it.
    fake, client = setup()
    tags = (tag, SHORT, f"sha-{SHA}")
    before = snapshot_before(client, IMAGE, tags)
    fake.push_image(NAME, [tag, "latest"], platforms=labels(SHA), created=AFTER)

    verdict = verify(client, before, tags)

    assert verdict.passed, verdict.summary()
    assert verdict.tag == tag
    assert verdict.fact("tag-is-new").observed == f"{tag} was absent before the dispatch"


def test_a_tag_the_snapshot_did_not_look_up_must_prove_newness_by_its_creation_time() -> None:
    fake, client = setup()
    before = snapshot_before(client, IMAGE, SHORT)   # only the short form was looked up
    long_tag = f"sha-{SHA}"
    fake.push_image(NAME, [long_tag, "latest"], platforms=labels(SHA), created=BEFORE)

    verdict = verify(client, before, (SHORT, long_tag))

    assert failed_checks(verdict) == ["tag-is-new"]
    assert verdict.fact("tag-is-new").observed == (
        f"{long_tag} was not in the before-snapshot; created 2026-11-26T12:00:00+00:00")
