"""RegistryClient and image verification against the emulated ghcr.io (H5's WSGI app, in-process).

The emulator builds real OCI indexes the way buildx does (per-platform manifests plus attestation manifests), runs
the token protocol with expiring tokens on its own clock, and pages tags with ``Link``: this is the client's
contract test against a second, independent implementation of the registry.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from cicd_acceptance.emulator.clock import EmulatedClock
from cicd_acceptance.emulator.registry.app import make_registry_app
from cicd_acceptance.emulator.registry.state import RegistryState
from cicd_acceptance.errors import RegistryAccessDenied
from cicd_acceptance.httpbounds import HttpSettings
from cicd_acceptance.live.images import snapshot_before, verify_published
from cicd_acceptance.registry import RegistryClient
from cicd_acceptance.secret import Secret

HOST = "127.0.0.1:5000"
NAME = "octo-org/stream-monitor-gateway"
IMAGE = f"{HOST}/{NAME}"
TOKEN = "ghp_emulatorToken0123456789"
SHA = "0123456789abcdef0123456789abcdef01234567"
REVISION = "org.opencontainers.image.revision"


@pytest.fixture
def clock() -> EmulatedClock:
    return EmulatedClock(start=datetime(2026, 11, 27, 8, 0, tzinfo=UTC), speed=0)


@pytest.fixture
def state(clock: EmulatedClock) -> RegistryState:
    return RegistryState(now=clock.now)


def client_for(state: RegistryState, clock: EmulatedClock, *, token: str | None = None,
               ttl: int = 300) -> RegistryClient:
    app = make_registry_app(state, check_basic=lambda _user, password: password == TOKEN, now=clock.now,
                            token_ttl_s=ttl)
    return RegistryClient(registry=HOST, scheme="http", username="octocat" if token else None,
                          token=Secret(token) if token else None,
                          http=HttpSettings(transport=httpx.WSGITransport(app=app), sleep=lambda _: None))


def test_a_buildx_style_push_verifies_with_attestations_excluded(state: RegistryState, clock: EmulatedClock) -> None:
    state.push_image(NAME, ["latest", "sha-1111111"], labels={REVISION: "1" * 40}, platforms=["linux/amd64"])
    client = client_for(state, clock)
    before = snapshot_before(client, IMAGE, "sha-0123456")
    dispatched = clock.now()
    clock.advance(240)
    digest = state.push_image(NAME, ["sha-0123456", "latest"], labels={REVISION: SHA},
                              platforms=["linux/amd64", "linux/arm64"])

    verdict = verify_published(client, before, sha=SHA, sha_tags=["sha-0123456"], dispatched_at=dispatched)

    assert verdict.passed, verdict.summary()
    assert verdict.digest == digest
    assert verdict.info is not None
    assert [p.platform for p in verdict.info.platforms] == ["linux/amd64", "linux/arm64"]
    assert len(verdict.info.attestations) == 2
    assert all(a.platform == "unknown/unknown" for a in verdict.info.attestations)
    assert all(p.manifest_digest != digest for p in verdict.info.platforms)


def test_latest_left_on_the_old_build_is_reported(state: RegistryState, clock: EmulatedClock) -> None:
    old = state.push_image(NAME, ["latest"], labels={REVISION: "1" * 40})
    client = client_for(state, clock)
    before = snapshot_before(client, IMAGE, "sha-0123456")
    state.push_image(NAME, ["sha-0123456"], labels={REVISION: SHA})

    verdict = verify_published(client, before, sha=SHA, sha_tags=["sha-0123456"],
                               dispatched_at=clock.now() - timedelta(seconds=1), service="gateway")

    assert [f.check for f in verdict.failed] == ["latest-matches"]
    assert f"latest -> {old}" in verdict.summary()


def test_a_private_package_without_credentials_is_access_denied_not_a_missing_tag(
        state: RegistryState, clock: EmulatedClock) -> None:
    state.push_image(NAME, ["latest"], labels={})
    state.set_public(NAME, False)

    with pytest.raises(RegistryAccessDenied) as caught:
        client_for(state, clock).head_manifest(NAME, "sha-0123456")

    assert "private package or no access" in str(caught.value)
    assert str(caught.value).startswith(f"GET http://{HOST}/token?")


def test_a_private_package_with_credentials_is_read(state: RegistryState, clock: EmulatedClock) -> None:
    digest = state.push_image(NAME, ["latest"], labels={REVISION: SHA})
    state.set_public(NAME, False)
    client = client_for(state, clock, token=TOKEN)

    ref = client.head_manifest(NAME, "latest")

    assert ref is not None
    assert ref.digest == digest
    assert client.stats.snapshot() == {"manifest_head": 2, "token": 2}   # anonymous refused, then Basic


def test_tags_page_through_the_emulators_links(state: RegistryState, clock: EmulatedClock) -> None:
    tags = [f"build-{i:04d}" for i in range(250)]
    state.push_image(NAME, tags, labels={})
    client = client_for(state, clock)

    assert client.list_tags(NAME) == sorted(tags)
    assert client.stats.requests["tags"] == 1 + 3   # challenged first attempt + three pages of 100


def test_a_token_expired_on_the_registrys_clock_is_renewed(state: RegistryState, clock: EmulatedClock) -> None:
    state.push_image(NAME, ["latest"], labels={})
    client = client_for(state, clock, ttl=60)
    client.head_manifest(NAME, "latest")
    clock.advance(300)   # the registry's clock moves; ours (monotonic) barely does

    assert client.head_manifest(NAME, "latest") is not None
    assert client.stats.requests["token"] == 2


def test_the_benchmark_finds_the_verification_cost_independent_of_the_tag_count(
        capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.registry_requests import main

    assert main(["--tags", "10", "1000"]) == 0
    assert "registry requests per service: constant [11]" in capsys.readouterr().out
