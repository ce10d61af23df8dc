"""Verdicts of the live acceptance: one frozen object per criterion, each with a reason and evidence data.

A verdict never raises: an API error met while deciding it becomes a failed verdict whose ``reason`` is the error
message (which names the call), so a step can assert ``verdict.passed`` with ``verdict.reason`` as its message.
``evidence_*`` give the shapes documented in docs/evidence.md for ``record_evidence`` kinds ``run``, ``dispatch``
and ``image``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Annotations only: the step modules import these verdicts at start-up, and a run that selects only static
    # criteria should not load the live clients for them.
    from cicd_acceptance.github.models import Job, PullRequest, WorkflowRun
    from cicd_acceptance.live.ci_status import CiStatus
    from cicd_acceptance.live.dispatch import DispatchOutcome
    from cicd_acceptance.live.images import FactName, ImageVerdict
    from cicd_acceptance.live.waiter import RunResult

__all__ = [
    "BuildAcceptance",
    "BuildRunVerdict",
    "CiVerdict",
    "ServiceImage",
    "WorkflowsVerdict",
    "dispatch_evidence",
    "image_evidence",
    "run_evidence",
]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def run_evidence(run: WorkflowRun, jobs: tuple[Job, ...] = ()) -> dict[str, object]:
    """A run as evidence kind ``run``: identity, timings and each job with its failing step."""
    return {"workflow": run.path or run.name, "id": run.id, "url": run.html_url, "event": run.event,
            "head_sha": run.head_sha, "status": run.status, "conclusion": run.conclusion,
            "run_attempt": run.run_attempt, "created": _iso(run.created_at), "started": _iso(run.run_started_at),
            "completed": _iso(run.updated_at) if run.completed else None,
            "jobs": [{"name": job.name, "conclusion": job.conclusion,
                      "failing_step": step.name if (step := job.failed_step()) else None} for job in jobs]}


@dataclass(frozen=True)
class WorkflowsVerdict:
    """Whether the plan's workflows are listed by GitHub Actions and active. ``found``: (path, state) pairs."""

    passed: bool
    reason: str
    found: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {"passed": self.passed, "reason": self.reason,
                "workflows": [{"path": path, "state": state} for path, state in self.found]}


@dataclass(frozen=True)
class CiVerdict:
    """CI for one commit and event; ``pull`` is the merged pull request when the commit came from one."""

    passed: bool
    reason: str
    head_sha: str
    event: str
    status: CiStatus | None = None
    pull: PullRequest | None = None
    logs: tuple[dict[str, object], ...] = ()   # evidence kind ``log``: go test lines, or the failure's tail
    not_emulated: tuple[dict[str, object], ...] = ()  # a rehearsal's steps the emulator did not run

    def run_evidence(self) -> dict[str, object] | None:
        """The judged run (kind ``run``), None when no run was found."""
        verdict = self.status.verdict if self.status else None
        return run_evidence(verdict.run, verdict.jobs) if verdict else None

    def as_dict(self) -> dict[str, object]:
        pull = self.pull
        return {"passed": self.passed, "reason": self.reason, "head_sha": self.head_sha, "event": self.event,
                "state": self.status.state if self.status else None,
                "pull_request": {"number": pull.number, "head_sha": pull.head_sha, "url": pull.html_url,
                                 "merged_at": _iso(pull.merged_at)} if pull else None}


def dispatch_evidence(outcome: DispatchOutcome, *, workflow: str, ref: str) -> dict[str, object]:
    """The dispatch as evidence kind ``dispatch``: when, what it answered, and how the run was identified."""
    c = outcome.correlation
    how = ("run id in the dispatch response (return_run_details)" if c.method == "return_run_details" else
           f"{c.method}: created {c.created_filter} + event + branch + head_sha (+ actor), "
           f"{c.excluded_known} earlier runs excluded, {c.polls} listings")
    return {"workflow": workflow, "ref": ref, "requested_at": _iso(outcome.run.created_at),
            "status_code": c.dispatch_status, "correlation": how, "run_id": outcome.run.id,
            "candidates": list(c.candidates), "rejected": list(c.rejected), "notes": list(c.notes)}


@dataclass(frozen=True)
class BuildRunVerdict:
    """The dispatched build run: how it was found, whether it is ours, and whether it is green for every service.

    ``error`` holds the message when the dispatch, the search for the run or the wait failed.
    """

    passed: bool
    reason: str
    dispatch: DispatchOutcome | None = None
    result: RunResult | None = None
    missing_services: tuple[str, ...] = ()
    error: str | None = None

    @property
    def found(self) -> bool:
        return self.dispatch is not None

    @property
    def completed(self) -> bool:
        return self.result is not None

    def run_evidence(self) -> dict[str, object] | None:
        """The waited-for run (kind ``run``) with what waiting cost, None when no run was waited for."""
        if self.result is None:
            return None
        return {**run_evidence(self.result.verdict.run, self.result.verdict.jobs), **self.result.cost()}

    def how_found(self) -> str:
        """How we know the run is the one our dispatch created (for messages and evidence)."""
        if self.dispatch is None:
            return f"no run: {self.error or self.reason}"
        c = self.dispatch.correlation
        if c.method == "return_run_details":
            return f"run {self.dispatch.run.id}: its id came back in the dispatch response"
        return (f"run {self.dispatch.run.id}: the only {c.method} candidate (created {c.created_filter}, "
                f"{c.excluded_known} earlier runs excluded, rejected: {', '.join(c.rejected) or 'none'})")

    def as_dict(self) -> dict[str, object]:
        return {"passed": self.passed, "reason": self.reason, "how_found": self.how_found(),
                "missing_services": list(self.missing_services), "error": self.error,
                "run": self.result.as_dict() if self.result else None}


@dataclass(frozen=True)
class ServiceImage:
    """One service's image after the build: the verdict of its four facts, or why it could not be checked."""

    service: str
    image: str
    verdict: ImageVerdict | None = None
    error: str | None = None

    def check(self, fact: FactName) -> tuple[bool, str]:
        """Whether fact ``fact`` held, and a message naming the service and what was expected and observed."""
        if self.verdict is None:
            return False, f"{self.service} ({self.image}): {fact} not checked: {self.error}"
        found = self.verdict.fact(fact)
        return found.passed, f"{self.service} ({self.image}): {found}"

    def as_dict(self) -> dict[str, object]:
        return image_evidence(self)


def image_evidence(image: ServiceImage) -> dict[str, object]:
    """Evidence kind ``image``: reference, tag, digest, per-platform digests and labels, and each fact."""
    verdict = image.verdict
    if verdict is None:
        return {"service": image.service, "reference": image.image, "error": image.error, "facts": []}
    raw = verdict.as_dict()
    platforms = raw.get("platforms")
    return {"service": image.service, "reference": image.image, "tag": verdict.tag, "digest": verdict.digest,
            "platforms": [{"platform": p["platform"], "digest": p["manifest_digest"], "revision": p["revision"],
                           "created": p["created"]} for p in platforms] if isinstance(platforms, list) else [],
            "facts": [{"name": f.check, "passed": f.passed, "expected": f.expected, "observed": f.observed}
                      for f in verdict.facts],
            "attestations": raw.get("attestations"), "registry_requests": verdict.requests}


@dataclass(frozen=True)
class BuildAcceptance:
    """The whole build part of the acceptance, decided once per session: the run and every service's image."""

    run: BuildRunVerdict
    images: tuple[ServiceImage, ...]
    dispatched_at: datetime | None
    push_logs: Mapping[str, dict[str, object]] = field(default_factory=dict)  # per service, kind ``log``
    failure_logs: tuple[dict[str, object], ...] = ()                          # a red run's failing jobs
    not_emulated: tuple[dict[str, object], ...] = ()  # a rehearsal's steps the emulator did not run

    def push_log(self, service: str) -> dict[str, object] | None:
        """The push lines quoted from the build's logs for ``service`` (None when no log was read)."""
        return self.push_logs.get(service)

    def image(self, service: str) -> ServiceImage:
        """The image of ``service``; a service the plan does not name is reported as not checked."""
        for image in self.images:
            if image.service == service:
                return image
        known = ", ".join(image.service for image in self.images)
        return ServiceImage(service, "(not in the plan)", error=f"the plan names no service {service!r} ({known})")
