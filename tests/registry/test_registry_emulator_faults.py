"""RegistryClient against the whole emulator (``make_app``) under each of its fault kinds.

Retryable faults (5xx, a connection reset, 429/403 with Retry-After, GHCR's 429 TOOMANYREQUESTS) are recovered
within the client's attempts; faults that outlast them end in an error that names the call and what happened,
never "no access" or "tag missing". HTTP faults go over a real socket (``ThreadedServer``); resets go through the
in-process ``EmulatorTransport``, because over a socket the emulator's reset currently leaves the client waiting
for its read timeout instead of resetting (reported to the emulator's owner). The ``slow`` kind is left out: it
costs real seconds and proves nothing here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cicd_acceptance.emulator import EmulatorConfig, EmulatorState, EmulatorTransport, make_app
from cicd_acceptance.emulator.server import ThreadedServer
from cicd_acceptance.errors import RegistryAccessDenied, RegistryError
from cicd_acceptance.httpbounds import HttpSettings
from cicd_acceptance.live.images import snapshot_before, verify_published
from cicd_acceptance.registry import RegistryClient

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "stream-monitor"
NAME = "example/stream-monitor-gateway"
SHA = "0123456789abcdef0123456789abcdef01234567"
REVISION = "org.opencontainers.image.revision"


@pytest.fixture
def state() -> EmulatorState:
    emulator = EmulatorState(SAMPLE, EmulatorConfig(speed=0, seed=False))
    emulator.registry.push_image(NAME, ["latest", "sha-0123456"], labels={REVISION: SHA},
                                 platforms=["linux/amd64", "linux/arm64"])
    return emulator


@pytest.fixture
def served(state: EmulatorState, request: pytest.FixtureRequest
           ) -> Iterator[tuple[EmulatorState, RegistryClient, list[float]]]:
    sleeps: list[float] = []
    fault = str(getattr(request.node, "callspec", None) and request.node.callspec.params.get("fault", ""))
    if ":reset" in fault:
        http = HttpSettings(transport=EmulatorTransport(make_app(state)), sleep=sleeps.append)
        with RegistryClient(registry="127.0.0.1:5000", scheme="http", http=http) as client:
            yield state, client, sleeps
        return
    with ThreadedServer(make_app(state)) as server, RegistryClient(
            registry=f"127.0.0.1:{server.port}", scheme="http",
            http=HttpSettings(sleep=sleeps.append, timeout_s=10)) as client:
        yield state, client, sleeps


@pytest.mark.parametrize("fault", [
    "HEAD /v2/*:503x2",
    "HEAD /v2/*:500x1",
    "GET /v2/*/manifests/*:502x2",
    "GET /v2/*/blobs/*:504x1",
    "HEAD /v2/*:resetx2",
    "GET /v2/*/manifests/*:resetx1@1",
    "HEAD /v2/*:429=3x1",
    "HEAD /v2/*:403=3x2",
    "GET /v2/*/manifests/*:primaryx1",
])
def test_retryable_faults_are_recovered(served: tuple[EmulatorState, RegistryClient, list[float]],
                                        fault: str) -> None:
    state, client, sleeps = served
    before = snapshot_before(client, f"{client.registry}/{NAME}", "sha-0123456")
    state.add_fault(fault)

    verdict = verify_published(client, before, sha=SHA, sha_tags=["sha-0123456"], dispatched_at=state.now())

    assert [f.check for f in verdict.failed] == ["tag-is-new"]   # it existed before: only newness fails
    assert sleeps, "the fault was never hit"


@pytest.mark.parametrize(("fault", "expected"), [
    ("HEAD /v2/*:503", r"^HEAD http://127\.0\.0\.1:\d+/v2/example/stream-monitor-gateway/manifests/latest -> 503: "
                       r"unexpected answer for manifest example/stream-monitor-gateway:latest$"),
    ("HEAD /v2/*:reset", r"^HEAD http://127\.0\.0\.1:\d+/v2/example/stream-monitor-gateway/manifests/latest: "
                         r"network error after 3 attempts"),
    ("HEAD /v2/*:429=5", r"-> 429: rate limited \(retry-after 5\)"),
    ("HEAD /v2/*:403=5", r"-> 403: rate limited \(retry-after 5\)"),
])
def test_persistent_faults_end_in_an_error_naming_the_call(served: tuple[EmulatorState, RegistryClient, list[float]],
                                                           fault: str, expected: str) -> None:
    state, client, sleeps = served
    state.add_fault(fault)

    with pytest.raises(RegistryError, match=expected) as caught:
        client.head_manifest(NAME, "latest")

    assert not isinstance(caught.value, RegistryAccessDenied)
    assert len(sleeps) == 2


def test_a_private_package_on_the_served_emulator_is_access_denied(
        served: tuple[EmulatorState, RegistryClient, list[float]]) -> None:
    state, client, _ = served
    state.registry.set_public(NAME, False)

    with pytest.raises(RegistryAccessDenied, match="private package or no access"):
        client.head_manifest(NAME, "sha-0123456")
