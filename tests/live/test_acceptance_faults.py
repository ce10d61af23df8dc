"""Every fault kind of the emulator, injected into a whole build acceptance (snapshot, dispatch, wait, verify).

Retryable faults (5xx and resets on reads, secondary rate limits, slow answers, registry hiccups, and the run
faults: late visibility, a foreign dispatch, a re-run) must be recovered: the acceptance is green, exactly as without
them. Faults that cannot be waited out (a server that keeps failing, a primary rate limit beyond the cap, an
ambiguous dispatch) must give a red verdict whose message names the call or says why we did not dispatch again.
Either way the emulator created at most one dispatched run.
"""

from __future__ import annotations

import re

import pytest

from cicd_acceptance.config import Options, resolve_settings
from cicd_acceptance.emulator.faults import HTTP_KINDS, RUN_KINDS
from cicd_acceptance.live.emulated import EMULATOR_SPEED, open_live_session, start_emulator
from cicd_acceptance.live.verdicts import BuildAcceptance
from tests.live.acceptance_emulated import SAMPLE, SERVICES, Emulated

RECOVERED = [
    "GET /repos/*/actions/runs/*:500x2",
    "GET /repos/*/actions/runs/*:502x2",
    "GET /repos/*/actions/runs/*:503x2",
    "GET /repos/*/actions/runs/*:504x2",
    "GET /repos/*/actions/runs/*:resetx2",
    "GET /repos/*/actions/runs/*:429=5x2",
    "GET /repos/*/actions/runs/*:403=5x2",
    "GET /repos/*/actions/runs/*:slow=2x3",
    "GET /repos/*/actions/workflows/*:503x1",
    "POST /repos/*/dispatches:429=5x1",   # a rate-limited request was not executed: sending it again is safe
    "HEAD /v2/*:503x2",
    "GET /v2/*:502x2",
    "HEAD /v2/*:resetx1",
    "HEAD /v2/*:429=1x1",
    "GET /v2/*:primaryx1",
    "POST /repos/*/dispatches:visibility-delay=40",
    "POST /repos/*/dispatches:foreign-dispatch",
    "POST /repos/*/dispatches:reattempt",
]

# A 5xx from the registry's token endpoint is retried like any other transient answer.
TOKEN_5XX = "GET /token:503x1"

CLEAR_ERRORS = [
    ("GET /repos/*/actions/runs/*/jobs:503", r"jobs.* -> 503: .*gave up after 4 attempts"),
    # Holding the run's id, the dispatch rides out 5xx on reading it until the appear deadline, then says so.
    ("GET /repos/*/actions/runs/*:503",
     r"timed out after \d+s waiting for run \d+ to appear: the last answer was an error: GET .* -> 503"),
    ("GET /repos/*/actions/runs/*:primaryx1", r"rate limited .*beyond the 900s cap"),
    ("POST /repos/*/dispatches:503x1", r"not dispatching again"),
    ("POST /repos/*/dispatches:resetx1", r"not dispatching again"),
    ("HEAD /v2/*:503", r"could not be read before the dispatch, so nothing was dispatched: HEAD .* -> 503"),
]


def kind_of(spec: str) -> str:
    kind = spec.rpartition(":")[2]
    for known in sorted(HTTP_KINDS | RUN_KINDS, key=len, reverse=True):
        if kind.startswith(known):
            return known
    raise AssertionError(f"no known kind in {spec!r}")


def test_every_fault_kind_is_exercised() -> None:
    kinds = {kind_of(spec) for spec in RECOVERED} | {kind_of(spec) for spec, _ in CLEAR_ERRORS}
    assert kinds == HTTP_KINDS | RUN_KINDS


def accept_with(spec: str) -> tuple[Emulated, BuildAcceptance]:
    emu = Emulated(actor="example")
    session = emu.session()
    emu.state.add_fault(spec)
    build = session.build_acceptance()
    emu.assert_never_dispatched_twice()
    return emu, build


@pytest.mark.parametrize("spec", [*RECOVERED, TOKEN_5XX])
def test_a_retryable_fault_is_recovered(spec: str) -> None:
    emu, build = accept_with(spec)
    assert build.run.passed, build.run.reason
    for service in SERVICES:
        verdict = build.image(service).verdict
        assert verdict is not None, build.image(service).error
        assert verdict.passed, verdict.summary()
    assert emu.dispatch_runs() == 1


@pytest.mark.parametrize(("spec", "message"), CLEAR_ERRORS)
def test_a_fault_that_cannot_be_waited_out_is_a_clear_red(spec: str, message: str) -> None:
    emu, build = accept_with(spec)
    assert not build.run.passed
    assert build.run.error is not None
    assert re.search(message, build.run.reason), build.run.reason
    assert "Traceback" not in build.run.reason
    assert emu.transport.dispatch_posts <= 1
    for service in SERVICES:
        passed, why = build.image(service).check("sha-tag-exists")
        assert not passed
        assert "not checked" in why


@pytest.mark.parametrize("spec", ["GET /repos/*/actions/runs/*:resetx2", "HEAD /v2/*:resetx1", "GET /v2/*:503x2"])
def test_over_a_real_socket_resets_and_server_errors_are_recovered(spec: str) -> None:
    emulator = start_emulator(SAMPLE, repository=None, speed=EMULATOR_SPEED)
    try:
        settings = resolve_settings(Options(emulator=True), {})
        timing = emulator.timing(settings)
        session = open_live_session(emulator.settings_for(settings), timing, actor=emulator.state.identity.owner)
        emulator.state.add_fault(spec)
        build = session.build_acceptance()
        session.close()
    finally:
        emulator.stop()
    assert build.run.passed, build.run.reason
    for image in build.images:
        assert image.verdict is not None, image.error
        assert image.verdict.passed, image.verdict.summary()
    if spec.startswith("GET /repos"):
        assert session.github.stats.retries == 2
