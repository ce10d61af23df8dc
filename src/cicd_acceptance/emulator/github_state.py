"""The GitHub half of the emulator's state: the repository, its workflows, runs, jobs and pull requests.

All mutation goes through methods here (the HTTP control API and tests call the same ones). Runs follow the
timeline of :mod:`cicd_acceptance.emulator.runs`; :meth:`GitHubState.refresh` hands every attempt whose jobs are
due to ``on_start`` (the workflow executor starts executing it) exactly once, hands attempts that completed (on
the clock, and executed) to ``on_complete`` exactly once, then starts any pending re-attempt. Every attempt,
however it was created (a dispatch, a re-run, a seeded run), goes through these two hooks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cicd_acceptance.emulator.payloads_repo import RepoIdentity
from cicd_acceptance.emulator.repo import Commit, RepoSnapshot
from cicd_acceptance.emulator.runs import (
    JOB_OUTCOMES,
    RUN_OUTCOMES,
    Attempt,
    JobRecord,
    RunRecord,
    Timings,
    plan_attempt,
)
from cicd_acceptance.emulator.workflow_view import WorkflowInfo, read_workflow
from cicd_acceptance.errors import ConfigError

__all__ = ["GitHubState", "PlannedOutcome", "PullRecord"]

_FIRST_RUN_ID = 21_000_000_000
_FIRST_JOB_ID = 58_000_000_000
_FIRST_SUITE_ID = 31_000_000_000


@dataclass(frozen=True)
class PullRecord:
    """A pull request (the seeded one is merged into the default branch)."""

    number: int
    pr_id: int
    title: str
    user: str
    head_ref: str
    head_sha: str
    base_ref: str
    base_sha: str
    merge_commit_sha: str | None
    created_at: datetime
    merged_at: datetime | None

    @property
    def state(self) -> str:
        return "closed" if self.merged_at is not None else "open"


@dataclass(frozen=True)
class PlannedOutcome:
    """An outcome for the next run of a workflow: run-level ``conclusion`` or one job's (``job`` + ``step``)."""

    conclusion: str
    job: str | None = None
    step: str | None = None

    def __post_init__(self) -> None:
        allowed = JOB_OUTCOMES if self.job else RUN_OUTCOMES
        if self.conclusion not in allowed:
            raise ConfigError(f"unknown outcome {self.conclusion!r} (allowed: {', '.join(sorted(allowed))})",
                              source="outcome")


class GitHubState:
    """Repository, workflows, runs and pulls. Thread-safe through ``lock`` (re-entrant)."""

    def __init__(self, snapshot: RepoSnapshot, identity: RepoIdentity, *, now: Callable[[], datetime],
                 timings: Timings | None = None) -> None:
        self.snapshot = snapshot
        self.identity = identity
        self.timings = timings or Timings()
        self.lock = threading.RLock()
        self.on_start: Callable[[RunRecord, Attempt], None] = lambda run, attempt: None
        self.on_complete: Callable[[RunRecord, Attempt], None] = lambda run, attempt: None
        self._now = now
        self.workflows = [read_workflow(snapshot.root, path) for path in snapshot.workflow_paths()]
        self.reset()

    def reset(self) -> None:
        """Forget runs, pulls and planned outcomes (the repository and workflows stay)."""
        with self.lock:
            self.runs: list[RunRecord] = []
            self.pulls: list[PullRecord] = []
            self.extra_commits: dict[str, Commit] = {}  # synthesized (the seeded pull's head, when needed)
            self.planned: dict[int, list[PlannedOutcome]] = {}
            self._next_job_id = _FIRST_JOB_ID
            self._run_numbers: dict[int, int] = {}

    # -- lookups -----------------------------------------------------------------------------------------
    def workflow(self, ref: str | int) -> WorkflowInfo | None:
        """A workflow by numeric id, file name (``ci.yml``) or path."""
        text = str(ref)
        for info in self.workflows:
            if text in {str(info.workflow_id), info.file_name, info.path}:
                return info
        return None

    def require_workflow(self, ref: str | int) -> WorkflowInfo:
        info = self.workflow(ref)
        if info is None:
            known = ", ".join(info.file_name for info in self.workflows) or "none"
            raise ConfigError(f"no workflow {ref!r} in the repository (known: {known})", source="workflow")
        return info

    def run(self, run_id: int, *, now: datetime | None = None) -> RunRecord | None:
        """A visible run by id (None when unknown or not yet visible)."""
        moment = now or self._now()
        with self.lock:
            return next((run for run in self.runs if run.id == run_id and run.visible(moment)), None)

    def require_run(self, run_id: int) -> RunRecord:
        with self.lock:
            found = next((run for run in self.runs if run.id == run_id), None)
        if found is None:
            raise ConfigError(f"no run with id {run_id}", source="run")
        return found

    def visible_runs(self, now: datetime) -> list[RunRecord]:
        """Visible runs, newest first (GitHub's order)."""
        with self.lock:
            runs = [run for run in self.runs if run.visible(now)]
        return sorted(runs, key=lambda run: (run.created_at, run.id), reverse=True)

    def job(self, job_id: int, now: datetime) -> tuple[RunRecord, Attempt, JobRecord] | None:
        """A job of any attempt of a visible run."""
        with self.lock:
            for run in self.runs:
                for attempt in run.attempts:
                    for job in attempt.jobs:
                        if job.id == job_id and run.visible(now):
                            return run, attempt, job
        return None

    def commit(self, ref: str) -> Commit | None:
        """A commit by sha, short sha or branch name, including synthesized ones."""
        with self.lock:
            extra = self.extra_commits.get(ref)
        return extra or self.snapshot.commit(ref)

    def branch_sha(self, branch: str) -> str | None:
        return self.snapshot.branches.get(branch)

    # -- creating runs -----------------------------------------------------------------------------------
    def add_run(self, workflow: WorkflowInfo, *, event: str, branch: str, head_sha: str, actor: str,
                created_at: datetime | None = None, visibility_delay: float = 0.0,
                pull_requests: tuple[int, ...] = (), outcome: PlannedOutcome | None = None,
                tree_sha: str | None = None) -> RunRecord:
        """Create a run (attempt 1). The next planned outcome of the workflow applies unless ``outcome`` is given."""
        with self.lock:
            start = created_at or self._now()
            number = self._run_numbers.get(workflow.workflow_id, 0) + 1
            self._run_numbers[workflow.workflow_id] = number
            run_id = _FIRST_RUN_ID + len(self.runs) * 7 + 1
            run = RunRecord(id=run_id, workflow=workflow, run_number=number, event=event, head_branch=branch,
                            head_sha=head_sha, actor=actor, created_at=start,
                            visible_at=start + timedelta(seconds=visibility_delay),
                            check_suite_id=_FIRST_SUITE_ID + len(self.runs) + 1, pull_requests=pull_requests,
                            tree_sha=tree_sha)
            queue = self.planned.get(workflow.workflow_id, [])
            chosen = [outcome] if outcome else ([queue.pop(0)] if queue else [])
            self._start_attempt(run, start, chosen)
            self.runs.append(run)
            return run

    def _start_attempt(self, run: RunRecord, start: datetime, outcomes: list[PlannedOutcome]) -> None:
        run_level = next((o.conclusion for o in outcomes if o.job is None), None)
        attempt = plan_attempt(len(run.attempts) + 1, start, run.workflow.jobs(), self.timings,
                               next_job_id=self._next_job_id, outcome=run_level)
        self._next_job_id += max(len(attempt.jobs), 1) + 3
        run.attempts.append(attempt)
        for outcome in outcomes:
            if outcome.job is not None:
                self._set_job(run, outcome)

    def allocate_job_id(self) -> int:
        """A fresh job id (for a job the execution adds: a matrix from an expression, a reusable workflow's)."""
        with self.lock:
            self._next_job_id += 1
            return self._next_job_id - 1

    def plan_outcome(self, workflow: str | int, outcome: PlannedOutcome) -> None:
        """Queue an outcome for the next run of ``workflow`` created after this call."""
        info = self.require_workflow(workflow)
        with self.lock:
            self.planned.setdefault(info.workflow_id, []).append(outcome)

    def set_outcome(self, run_id: int, outcome: PlannedOutcome) -> None:
        """Set the outcome of a run (or of one of its jobs) that has not completed yet."""
        run = self.require_run(run_id)
        with self.lock:
            if run.status(self._now()) == "completed":
                raise ConfigError(f"run {run_id} has already completed", source="outcome")
            if outcome.job is None:
                run.current.outcome = outcome.conclusion
                if outcome.conclusion == "startup_failure":
                    run.current.jobs.clear()
            else:
                self._set_job(run, outcome)

    def _set_job(self, run: RunRecord, outcome: PlannedOutcome) -> None:
        names = [job.plan.name for job in run.current.jobs]
        matches = [job for job in run.current.jobs if outcome.job in {job.plan.name, job.plan.job_id}]
        if not matches:
            raise ConfigError(f"run {run.id} has no job {outcome.job!r} (jobs: {', '.join(names)})", source="outcome")
        for job in matches:
            job.outcome = outcome.conclusion
            job.failing_step = outcome.step

    def request_reattempt(self, run_id: int) -> None:
        """Re-run the run once after its current attempt completes (same id, ``run_attempt`` + 1)."""
        run = self.require_run(run_id)
        with self.lock:
            run.reattempts_pending += 1

    # -- time passing ------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Start executing attempts that are due, complete those that ended, start pending re-attempts."""
        now = self._now()
        with self.lock:
            for run in self.runs:
                self._start_due(run, now)
                while run.effects_done < len(run.attempts) and now >= run.attempts[run.effects_done].completed_at \
                        and run.attempts[run.effects_done].executed():
                    attempt = run.attempts[run.effects_done]
                    run.effects_done += 1
                    self.on_complete(run, attempt)
                    if run.reattempts_pending and run.effects_done == len(run.attempts):
                        run.reattempts_pending -= 1
                        self._start_attempt(run, attempt.completed_at + timedelta(seconds=10), [])
                        self._start_due(run, now)

    def _start_due(self, run: RunRecord, now: datetime) -> None:
        while run.started < len(run.attempts):
            attempt = run.attempts[run.started]
            first = min((job.started_at for job in attempt.jobs), default=attempt.completed_at)
            if now < first:
                return
            run.started += 1
            if attempt.jobs and attempt.outcome != "startup_failure":
                self.on_start(run, attempt)

    def settle(self, timeout_s: float = 900.0) -> None:
        """Wait until every execution of an attempt that is due to have completed by now has finished, then
        refresh (the Python API and a stepped clock see conclusions decided, never a race)."""
        self.refresh()
        now = self._now()
        with self.lock:
            pending = [attempt.execution for run in self.runs for attempt in run.attempts
                       if attempt.execution is not None and attempt.completed_at <= now]
        for execution in pending:
            execution.done.wait(timeout_s)
        self.refresh()

    # -- pulls -------------------------------------------------------------------------------------------
    def add_pull(self, pull: PullRecord) -> PullRecord:
        with self.lock:
            self.pulls.append(pull)
        return pull

    def pulls_for_commit(self, sha: str) -> list[PullRecord]:
        """Pulls whose head or merge commit is ``sha`` (what ``commits/{sha}/pulls`` answers)."""
        with self.lock:
            return [pull for pull in self.pulls if sha in {pull.head_sha, pull.merge_commit_sha}]

    def pull(self, number: int) -> PullRecord | None:
        with self.lock:
            return next((pull for pull in self.pulls if pull.number == number), None)
