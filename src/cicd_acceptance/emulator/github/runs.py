"""Workflow runs, their jobs and steps, on a timeline of the emulated clock.

When an attempt starts, every job gets planned start and end times (a job starts when the jobs it ``needs`` end);
status is then a pure function of the time asked about, so a test stepping the clock and a server running at
``--speed 60`` see the same sequence: ``queued`` -> ``in_progress`` -> ``completed``. Conclusions are derived at
read time: from the workflow's execution (:mod:`cicd_acceptance.emulator.runtime`) recorded on each job, unless an
outcome was injected through the control API (fault injection for tests), which wins. An attempt whose execution
has not finished stays ``in_progress`` whatever the clock says.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cicd_acceptance.emulator.github.workflow_view import JobPlan, WorkflowInfo
from cicd_acceptance.errors import ConfigError

__all__ = ["JOB_OUTCOMES", "RUN_OUTCOMES", "Attempt", "JobRecord", "RunOrigin", "RunRecord", "StepView", "Timings",
           "plan_attempt", "plan_rerun"]

RUN_OUTCOMES = frozenset({"success", "failure", "cancelled", "timed_out", "startup_failure", "skipped"})
JOB_OUTCOMES = frozenset({"success", "failure", "cancelled", "timed_out", "skipped"})


@dataclass(frozen=True)
class Timings:
    """Emulated seconds: until a dispatched run is listed, spent queued, and per job."""

    visibility_delay: float = 3.0
    queued: float = 5.0
    job: float = 40.0

    def __post_init__(self) -> None:
        # The emulator's command line sets them; a negative one names the option that gave it.
        for name, option in (("visibility_delay", "--visibility-delay"), ("queued", "--queue-seconds"),
                             ("job", "--job-seconds")):
            if getattr(self, name) < 0:
                raise ConfigError(f"must be >= 0 seconds, got {getattr(self, name)}", source=option)


@dataclass(frozen=True)
class StepView:
    """A step as of a moment."""

    name: str
    number: int
    status: str
    conclusion: str | None
    started_at: datetime | None
    completed_at: datetime | None


@dataclass
class JobRecord:
    """One job of one attempt. ``outcome`` None = success unless a job it needs did not succeed."""

    id: int
    plan: JobPlan
    created_at: datetime
    started_at: datetime
    completed_at: datetime
    outcome: str | None = None  # injected through the control API: wins over the execution
    failing_step: str | None = None
    executed: str | None = None  # the conclusion the execution decided
    executed_steps: list[Any] = field(default_factory=list)  # runtime StepRecords
    log_text: str = ""  # the job's log as the workflow executor wrote it ("" = not executed: rendered from steps)
    annotations: list[Any] = field(default_factory=list)
    not_emulated: list[str] = field(default_factory=list)  # steps whose action the emulator did not run
    ready: threading.Event | None = None  # set when the attempt's execution finished (None: nothing to wait for)
    carried: bool = False  # copied unchanged from the previous attempt (a re-run of failed jobs only)

    def status(self, now: datetime) -> str:
        if now >= self.completed_at and (self.ready is None or self.ready.is_set()):
            return "completed"
        return "in_progress" if now >= self.started_at else "queued"

    def steps(self, now: datetime, conclusion: str | None) -> list[StepView]:
        """Executed steps as they ran; without an execution, steps split the job's time evenly and a failing job
        fails at its failing step and skips the rest."""
        if self.executed_steps and self.outcome is None:
            return [_view(step, now) for step in self.executed_steps]
        names = self.plan.steps
        span = (self.completed_at - self.started_at) / max(len(names), 1)
        failing = _failing_index(names, self.failing_step) if conclusion in {"failure", "timed_out"} else None
        views = []
        for index, name in enumerate(names):
            start, end = self.started_at + span * index, self.started_at + span * (index + 1)
            if conclusion == "skipped" or (failing is not None and index > failing and index < len(names) - 1):
                views.append(StepView(name, index + 1, "completed", "skipped", None, None) if now >= self.completed_at
                             else StepView(name, index + 1, "queued", None, None, None))
                continue
            if now >= end or (conclusion is not None and now >= self.completed_at):
                step_conclusion = "failure" if index == failing else (
                    "cancelled" if conclusion == "cancelled" and index == len(names) - 2 else "success")
                views.append(StepView(name, index + 1, "completed", step_conclusion, start, end))
            elif now >= start:
                views.append(StepView(name, index + 1, "in_progress", None, start, None))
            else:
                views.append(StepView(name, index + 1, "queued", None, None, None))
        return views


def _view(step: Any, now: datetime) -> StepView:
    if step.conclusion in {"skipped", "cancelled"} or now >= step.completed_at:
        started = None if step.conclusion == "skipped" else step.started_at
        ended = None if step.conclusion == "skipped" else step.completed_at
        return StepView(step.name, step.number, "completed", step.conclusion, started, ended)
    if now >= step.started_at:
        return StepView(step.name, step.number, "in_progress", None, step.started_at, None)
    return StepView(step.name, step.number, "queued", None, None, None)


def _failing_index(names: tuple[str, ...], failing_step: str | None) -> int:
    if failing_step is not None and failing_step in names:
        return names.index(failing_step)
    return max(len(names) - 2, 0)  # the last real step (before "Complete job"), e.g. "Build and push"


@dataclass
class Attempt:
    """One attempt of a run: its jobs and when it started and ends."""

    number: int
    started_at: datetime
    completed_at: datetime
    jobs: list[JobRecord]
    outcome: str | None = None
    execution: Any = None  # the runtime Execution of this attempt (None: not executed)
    claimed: set[int] = field(default_factory=set)  # ids of job records the execution has taken
    cancelled_at: datetime | None = None  # set by a cancel request; the attempt ended then

    def executed(self) -> bool:
        """Whether nothing is left to wait for before the attempt may complete (a cancelled one ends at once)."""
        return self.execution is None or self.cancelled_at is not None or self.execution.done.is_set()

    def cancel(self, now: datetime) -> None:
        """End the attempt at ``now``: jobs still queued or running end then, ``cancelled``; its execution stops
        at the next step."""
        self.cancelled_at = now
        self.completed_at = now
        if self.execution is not None:
            self.execution.stop.set()
        for job in self.jobs:
            job.ready = None
            if job.completed_at > now:
                job.started_at = min(job.started_at, now)
                job.completed_at = now
                job.outcome = "cancelled"


@dataclass(frozen=True)
class RunOrigin:
    """What a run is for: its event, branch and commit, who started it, the pull requests it belongs to, and the
    commit whose files it executes (None: ``head_sha``)."""

    event: str
    branch: str
    head_sha: str
    actor: str
    pull_requests: tuple[int, ...] = ()
    tree_sha: str | None = None


@dataclass
class RunRecord:
    """A workflow run. Jobs and times live in ``attempts`` (the last is the current one)."""

    id: int
    workflow: WorkflowInfo
    run_number: int
    event: str
    head_branch: str
    head_sha: str
    actor: str
    created_at: datetime
    visible_at: datetime
    check_suite_id: int
    attempts: list[Attempt] = field(default_factory=list)
    pull_requests: tuple[int, ...] = ()
    effects_done: int = 0  # attempts whose effects (image pushes) were performed
    reattempts_pending: int = 0
    tree_sha: str | None = None  # the commit whose files the run executes (None: head_sha)
    inputs: dict[str, Any] = field(default_factory=dict)  # workflow_dispatch inputs given
    started: int = 0  # attempts whose execution was started
    pushed: dict[int, list[str]] = field(default_factory=dict)  # job id -> push lines of a job without a log

    @property
    def current(self) -> Attempt:
        return self.attempts[-1]

    def latest(self, now: datetime) -> Attempt:
        """The newest attempt that has started by ``now`` (a re-run is invisible until it starts)."""
        started = [attempt for attempt in self.attempts if attempt.started_at <= now]
        return started[-1] if started else self.attempts[0]

    def started_attempts(self, now: datetime) -> list[Attempt]:
        return [attempt for attempt in self.attempts if attempt.started_at <= now] or self.attempts[:1]

    def visible(self, now: datetime) -> bool:
        return now >= self.visible_at

    def status(self, now: datetime, attempt: Attempt | None = None) -> str:
        chosen = attempt or self.latest(now)
        if now >= chosen.completed_at and chosen.executed():
            return "completed"
        if now >= chosen.completed_at or any(job.status(now) != "queued" for job in chosen.jobs):
            return "in_progress"
        return "queued"

    def job_conclusion(self, job: JobRecord, now: datetime, attempt: Attempt | None = None) -> str | None:
        """A job's conclusion at ``now`` (None until it completes)."""
        chosen = attempt or self.latest(now)
        if job.status(now) != "completed":
            return None
        if chosen.outcome in {"cancelled", "timed_out", "skipped"}:
            return chosen.outcome
        if job.outcome is not None:
            return job.outcome
        if job.executed is not None:
            return job.executed
        needed = [other for other in chosen.jobs if other.plan.job_id in job.plan.needs]
        if any(self.job_conclusion(other, now, chosen) != "success" for other in needed):
            return "skipped"
        return "success"

    def conclusion(self, now: datetime, attempt: Attempt | None = None) -> str | None:
        """The run's conclusion at ``now`` (None until completed)."""
        chosen = attempt or self.latest(now)
        if self.status(now, chosen) != "completed":
            return None
        if chosen.cancelled_at is not None:
            return "cancelled"
        if chosen.outcome is not None and chosen.outcome != "failure":
            return chosen.outcome
        conclusions = {self.job_conclusion(job, now, chosen) for job in chosen.jobs}
        if chosen.outcome == "failure" or conclusions & {"failure", "timed_out"}:
            return "failure"
        if "cancelled" in conclusions:
            return "cancelled"
        return "success"

    def updated_at(self, now: datetime) -> datetime:
        """The last moment anything about the run changed, as of ``now``."""
        chosen = self.latest(now)
        moments = [self.created_at, chosen.started_at]
        for job in chosen.jobs:
            moments += [moment for moment in (job.started_at, job.completed_at) if moment <= now]
        return max(moment for moment in moments if moment <= now) if now >= self.created_at else self.created_at


def plan_attempt(number: int, start: datetime, plans: list[JobPlan], timings: Timings, *, next_job_id: int,
                 outcome: str | None) -> Attempt:
    """Lay out an attempt's jobs on the timeline (``needs`` respected); ids count up from ``next_job_id``."""
    if outcome == "startup_failure":
        return Attempt(number, start, start + timedelta(seconds=1), [], outcome)
    queued_end = start + timedelta(seconds=timings.queued)
    ends: dict[str, datetime] = {}
    jobs: list[JobRecord] = []
    for index, plan in enumerate(plans):
        begin = max([queued_end, *(ends[need] for need in plan.needs if need in ends)])
        duration = timedelta(seconds=0 if outcome == "skipped" else timings.job)
        job = JobRecord(next_job_id + index, plan, start, begin, begin + duration)
        ends[plan.job_id] = max(ends.get(plan.job_id, job.completed_at), job.completed_at)
        jobs.append(job)
    end = max([queued_end, *(job.completed_at for job in jobs)])
    return Attempt(number, start, end, jobs, outcome)


def plan_rerun(number: int, start: datetime, previous: Attempt, rerun: set[str], timings: Timings, *,
               next_job_id: int, conclusions: Mapping[int, str | None]) -> Attempt:
    """A re-run attempt: jobs whose name is in ``rerun`` (plus every job that needs one of them) run again; the
    others are carried over with their times and ``conclusions`` (by old job id), as GitHub shows them."""
    plans = [job.plan for job in previous.jobs]
    again = set(rerun)
    changed = True
    while changed:  # a job that needs a re-run job runs again too
        changed = False
        ids = {plan.job_id for plan in plans if plan.name in again}
        for plan in plans:
            if plan.name not in again and ids & set(plan.needs):
                again.add(plan.name)
                changed = True
    fresh = plan_attempt(number, start, [p for p in plans if p.name in again], timings, next_job_id=next_job_id,
                         outcome=None)
    by_plan = iter(fresh.jobs)
    carried_id = next_job_id + len(fresh.jobs)  # ids stay within next_job_id + len(previous.jobs)
    jobs: list[JobRecord] = []
    for old in previous.jobs:
        if old.plan.name in again:
            jobs.append(next(by_plan))
            continue
        conclusion = conclusions.get(old.id) or "success"
        jobs.append(JobRecord(carried_id, old.plan, old.created_at, old.started_at, old.completed_at,
                              outcome=conclusion, failing_step=old.failing_step, log_text=old.log_text, carried=True))
        carried_id += 1
    return Attempt(number, start, fresh.completed_at, jobs)
