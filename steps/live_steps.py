"""Step definitions of the ``@live`` scenarios: thin wrappers over :mod:`cicd_acceptance.live.acceptance`.

Each ``When`` asks the session for one verdict (the build is dispatched at most once per session and shared by
the build-run and image scenarios) and records its evidence; each ``Then`` fails with the verdict's reason only,
which names the failing job and step, or the service and the failing fact. A skip (live checks off) is never a pass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

import pytest
from pytest_bdd import given, parsers, then, when

from cicd_acceptance.live.verdicts import (
    BuildAcceptance,
    CiVerdict,
    WorkflowsVerdict,
    dispatch_evidence,
    image_evidence,
)
from cicd_acceptance.target import Target
from cicd_acceptance.testing.evidence_plugin import RecordEvidence

if TYPE_CHECKING:
    from cicd_acceptance.live.acceptance import LiveSession  # the live_session fixture imports it when it runs
    from cicd_acceptance.live.images import FactName


def _not_met(message: str) -> NoReturn:
    # No traceback: the verdict's reason is the whole story; pytest internals are noise to a reader.
    pytest.fail(f"not met: {message}", pytrace=False)


def _budget(live: LiveSession, record_evidence: RecordEvidence) -> None:
    record_evidence("api_budget", live.budget())


@given("the repository on GitHub, with its default branch's latest commit pinned", target_fixture="live")
def _(live_session: LiveSession, acceptance_target: Target, record_evidence: RecordEvidence) -> LiveSession:
    local = acceptance_target.head_sha
    differs = "" if local == live_session.head_sha else f" (the local checkout is at {local}: not what is judged)"
    record_evidence("note", {"text": f"{live_session.target.repository}: {live_session.plan.default_branch} is "
                                     f"pinned at {live_session.head_sha}{differs}",
                             "pinned": live_session.head_sha, "local_head": local})
    if live_session.server is not None:
        record_evidence("server", {**live_session.server.as_evidence(), "actor": live_session.target.actor,
                                   "actor_source": live_session.actor_source})
    return live_session


@when("I list the repository's workflows in GitHub Actions", target_fixture="workflows_verdict")
def _(live: LiveSession, record_evidence: RecordEvidence) -> WorkflowsVerdict:
    verdict = live.workflows_active()
    record_evidence("note", {"text": verdict.reason, **verdict.as_dict()})
    _budget(live, record_evidence)
    return verdict


@then("the CI workflow and the build workflow are both listed and active")
def _(workflows_verdict: WorkflowsVerdict) -> None:
    if not workflows_verdict.passed:
        _not_met(workflows_verdict.reason)


def _record_ci(verdict: CiVerdict, live: LiveSession, record_evidence: RecordEvidence) -> CiVerdict:
    run = verdict.run_evidence()
    if run is not None:
        record_evidence("run", run)
    for log in verdict.logs:
        record_evidence("log", log)
    for step in verdict.not_emulated:
        record_evidence("not_emulated", step)
    record_evidence("note", {"text": verdict.reason, **verdict.as_dict()})
    _budget(live, record_evidence)
    return verdict


@when("I look up the CI run that the push of the pinned commit started", target_fixture="ci_verdict")
def _(live: LiveSession, record_evidence: RecordEvidence) -> CiVerdict:
    return _record_ci(live.ci_green_for_head(), live, record_evidence)


@when("I look up the CI run of the pull request that was merged to make the pinned commit",
      target_fixture="ci_verdict")
def _(live: LiveSession, record_evidence: RecordEvidence) -> CiVerdict:
    return _record_ci(live.ci_green_for_merged_pr(), live, record_evidence)


@then("that CI run succeeded, and so did its test job")
def _(ci_verdict: CiVerdict) -> None:
    if not ci_verdict.passed:
        _not_met(ci_verdict.reason)


@when("I start the build workflow on the default branch once and wait for the run it created",
      target_fixture="build")
def _(live: LiveSession, record_evidence: RecordEvidence) -> BuildAcceptance:
    build = live.build_acceptance()
    outcome, run = build.run.dispatch, build.run.run_evidence()
    if outcome is not None:
        record_evidence("dispatch", dispatch_evidence(outcome, workflow=live.plan.build_workflow,
                                                      ref=live.plan.default_branch))
    if run is not None:
        record_evidence("run", run)
    for log in build.failure_logs:
        record_evidence("log", log)
    for step in build.not_emulated:
        record_evidence("not_emulated", step)
    record_evidence("note", {"text": build.run.how_found(), **build.run.as_dict()})
    _budget(live, record_evidence)
    return build


@then("the run I waited for is the one my request created, for the pinned commit")
def _(build: BuildAcceptance, live: LiveSession) -> None:
    outcome = build.run.dispatch
    if outcome is None:
        _not_met(build.run.reason)
    if outcome.run.head_sha != live.head_sha or outcome.run.event != "workflow_dispatch":
        _not_met(f"{build.run.how_found()}, but it is a {outcome.run.event} run of {outcome.run.head_sha[:7]}, "
                 f"not a workflow_dispatch run of the pinned {live.short_sha}")


@then("that build run succeeded, with one successful build job for every service of the plan")
def _(build: BuildAcceptance) -> None:
    if not build.run.passed:
        _not_met(build.run.reason)


@when("the build I started for the pinned commit has finished", target_fixture="build")
def _(live: LiveSession, record_evidence: RecordEvidence) -> BuildAcceptance:
    build = live.build_acceptance()
    record_evidence("note", {"text": f"build: {build.run.how_found()}; {build.run.reason}"})
    _budget(live, record_evidence)
    return build


def _fact(build: BuildAcceptance, service: str, fact: FactName) -> None:
    passed, message = build.image(service).check(fact)
    if not passed:
        _not_met(message)


@then(parsers.parse("the {service} image has a tag made of \"sha-\" and the pinned commit's short SHA"))
def _(build: BuildAcceptance, service: str, record_evidence: RecordEvidence) -> None:
    record_evidence("image", image_evidence(build.image(service)))
    pushed = build.push_log(service)
    if pushed is not None:
        record_evidence("log", pushed)
    _fact(build, service, "sha-tag-exists")


@then(parsers.parse("the {service} image's latest tag points to that same image"))
def _(build: BuildAcceptance, service: str) -> None:
    _fact(build, service, "latest-matches")


@then(parsers.parse("every platform of the {service} image says it was built from the pinned commit"))
def _(build: BuildAcceptance, service: str) -> None:
    _fact(build, service, "revision-label")


@then(parsers.parse("the {service} image was pushed by this build, not left over from an earlier one"))
def _(build: BuildAcceptance, service: str) -> None:
    _fact(build, service, "tag-is-new")
