"""The build part of the acceptance, in order: snapshot every image, dispatch once, find our run, wait, verify.

1. Before anything is dispatched, each service's commit tags (the workflow's own spelling, ``sha-<short>`` /
   ``sha-<long>``, the bare SHA) and ``latest`` are looked up
   (``live.images.snapshot_before``); if the registry cannot be read, nothing is dispatched (a build we could not
   verify would only cost a build).
2. ``build-images.yml`` is dispatched on the default branch exactly once and *its* run is identified
   (``live.dispatch``: run id from the response, or correlation). A failed or ambiguous dispatch is never repeated.
3. The run is waited for cheaply (``live.waiter``) and judged strictly: only success is green, a skipped job is red,
   and every service of the plan must have its own matrix job.
4. Once the run has completed (whatever its conclusion: one service may be fine while another failed), every
   service's image is verified (``live.images.verify_published``).

Each step that fails becomes a reason in the returned :class:`BuildAcceptance`; nothing here raises for a red.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from cicd_acceptance.committags import CommitTagForm
from cicd_acceptance.errors import HarnessError
from cicd_acceptance.github.client import GitHubClient
from cicd_acceptance.github.models import Job
from cicd_acceptance.live.dispatch import DispatchOutcome, dispatch_and_find
from cicd_acceptance.live.images import ImageSnapshot, snapshot_before, verify_published
from cicd_acceptance.live.logs import LogLimits
from cicd_acceptance.live.quotes import PushTarget, failure_quotes, push_quotes
from cicd_acceptance.live.timing import LiveTiming
from cicd_acceptance.live.verdicts import BuildAcceptance, BuildRunVerdict, ServiceImage
from cicd_acceptance.live.waiter import RunChange, RunResult, wait_for_run
from cicd_acceptance.plan import Plan
from cicd_acceptance.registry.client import RegistryClient

__all__ = ["BuildTarget", "missing_service_jobs", "quote_build_logs", "run_build_acceptance"]

# Builder clocks (runners) and GitHub's clock are NTP-synced; allow a little skew when judging "created after".
CREATED_SKEW = timedelta(seconds=10)


@dataclass(frozen=True)
class BuildTarget:
    """What to build and where to look: repository, plan, pinned commit, registry host for image names, actor, and
    how the build workflow spells the commit tag (learnt from its publication plan; empty when it cannot tell)."""

    repository: str
    plan: Plan
    head_sha: str
    registry_host: str
    actor: str | None = None
    sha_forms: tuple[CommitTagForm, ...] = ()

    @property
    def workflow(self) -> str:
        return self.plan.build_workflow_file

    @property
    def sha_tags(self) -> tuple[str, ...]:
        """The spellings of the commit tag to look for: the build workflow's own first, then the plan's."""
        return self.plan.sha_tags(self.head_sha, self.sha_forms)

    def image(self, service: str) -> str:
        return self.plan.image_for(service, self.repository, registry=self.registry_host)


def missing_service_jobs(jobs: Iterable[Job], services: Iterable[str]) -> tuple[str, ...]:
    """Services that no job of the run names (matrix jobs are named like ``build (gateway)``)."""
    names = [job.name for job in jobs]
    return tuple(service for service in services
                 if not any(re.search(rf"[(\s,]{re.escape(service)}[),\s]", f" {name} ") for name in names))


def _snapshots(registry: RegistryClient, target: BuildTarget) -> dict[str, ImageSnapshot]:
    return {service: snapshot_before(registry, target.image(service), target.sha_tags, target.plan.latest_tag)
            for service in target.plan.services}


def _not_checked(target: BuildTarget, why: str) -> tuple[ServiceImage, ...]:
    return tuple(ServiceImage(service, target.image(service), error=why) for service in target.plan.services)


def _judge(outcome: DispatchOutcome, result: RunResult, target: BuildTarget) -> BuildRunVerdict:
    missing = missing_service_jobs(result.verdict.jobs, target.plan.services) if result.verdict.run.completed else ()
    reasons = [] if result.green else [result.verdict.reason]
    if missing:
        reasons.append(f"no build job for {', '.join(missing)} (jobs: "
                       f"{', '.join(job.name for job in result.verdict.jobs) or 'none'})")
    if outcome.run.head_sha != target.head_sha:
        reasons.append(f"the run built {outcome.run.head_sha[:7]}, not the pinned {target.head_sha[:7]}")
    passed = not reasons
    reason = result.verdict.reason if passed else "; ".join(reasons)
    return BuildRunVerdict(passed, reason, outcome, result, missing)


def _verify(registry: RegistryClient, target: BuildTarget, before: dict[str, ImageSnapshot],
            dispatched_at: datetime) -> tuple[ServiceImage, ...]:
    images = []
    for service in target.plan.services:
        image = target.image(service)
        try:
            verdict = verify_published(registry, before[service], sha=target.head_sha,
                                       sha_tags=target.sha_tags, dispatched_at=dispatched_at,
                                       service=service, skew=CREATED_SKEW)
        except HarnessError as exc:
            images.append(ServiceImage(service, image, error=str(exc)))
        else:
            images.append(ServiceImage(service, image, verdict=verdict))
    return tuple(images)


def _dispatch(github: GitHubClient, target: BuildTarget, timing: LiveTiming) -> DispatchOutcome:
    return dispatch_and_find(github, target.repository, workflow=target.workflow, ref=target.plan.default_branch,
                             head_sha=target.head_sha, actor=target.actor, timing=timing)


def _wait(github: GitHubClient, target: BuildTarget, outcome: DispatchOutcome, timing: LiveTiming,
          on_change: Callable[[RunChange], None] | None) -> RunResult:
    return wait_for_run(github, target.repository, outcome.run.id, timing,
                        expected_duration_s=outcome.expected_duration_s, on_change=on_change,
                        allow_skipped_jobs=False)


def run_build_acceptance(github: GitHubClient, registry: RegistryClient, target: BuildTarget, timing: LiveTiming,
                         *, on_change: Callable[[RunChange], None] | None = None) -> BuildAcceptance:
    """Snapshot, dispatch once, find, wait, verify (see the module docstring). Never raises for a red result."""
    try:
        before = _snapshots(registry, target)
    except HarnessError as exc:
        why = f"the registry could not be read before the dispatch, so nothing was dispatched: {exc}"
        return BuildAcceptance(BuildRunVerdict(False, why, error=str(exc)), _not_checked(target, why), None)
    try:
        outcome = _dispatch(github, target, timing)
    except HarnessError as exc:
        why = f"dispatch of {target.workflow} on {target.plan.default_branch} failed: {exc}"
        return BuildAcceptance(BuildRunVerdict(False, why, error=str(exc)),
                               _not_checked(target, "no build run: " + why), None)
    dispatched_at = outcome.run.created_at or github.last_server_date
    try:
        result = _wait(github, target, outcome, timing, on_change)
    except HarnessError as exc:
        why = f"run {outcome.run.id} of {target.workflow} did not finish: {exc}"
        return BuildAcceptance(BuildRunVerdict(False, why, outcome, error=str(exc)),
                               _not_checked(target, why), dispatched_at)
    run = _judge(outcome, result, target)
    if dispatched_at is None:  # pragma: no cover - GitHub always sends created_at and Date
        return BuildAcceptance(run, _not_checked(target, "the dispatch time is unknown"), None)
    return BuildAcceptance(run, _verify(registry, target, before, dispatched_at), dispatched_at)


def quote_build_logs(github: GitHubClient, target: BuildTarget, build: BuildAcceptance,
                     limits: LogLimits | None = None) -> BuildAcceptance:
    """``build`` with the evidence quoted from its run's logs: per service the push lines beside the registry's
    digest; for a red run the failing jobs' log tails and annotations. Nothing when no run completed."""
    result = build.run.result
    if result is None or not result.verdict.run.completed:
        return build
    run_id, jobs = result.verdict.run.id, result.verdict.jobs
    targets = [PushTarget(image.service, target.plan.image_path(image.service, target.repository),
                          _pushed_tag(image, target), image.verdict.digest if image.verdict else None)
               for image in build.images]
    pushes = push_quotes(github, target.repository, run_id, jobs, targets, limits)
    failures = () if result.green else tuple(failure_quotes(github, target.repository, run_id, jobs, limits))
    return replace(build, push_logs=pushes, failure_logs=failures)


def _pushed_tag(image: ServiceImage, target: BuildTarget) -> str:
    """The sha tag the registry holds (short or long form), else the short one the plan expects."""
    found = image.verdict.tag if image.verdict else None
    return found or target.sha_tags[0]
