"""The GitHub half of the emulator's state: the repository, its workflows, runs, jobs and pull requests.

All mutation goes through methods here (the HTTP control API and tests call the same ones). Runs follow the
timeline of :mod:`cicd_acceptance.emulator.github.runs`. Every attempt, first or re-run, starts in ``_start_attempt``;
:meth:`GitHubState.refresh` hands every attempt whose jobs are due to ``on_start`` (the workflow executor starts
executing it) exactly once, hands attempts that completed (on the clock, and executed) or were cancelled to
``on_complete`` exactly once, then starts any pending re-attempt.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cicd_acceptance.emulator.errors import Conflict, Forbidden, NotFound, Unprocessable
from cicd_acceptance.emulator.github.artifacts import ArtifactStore
from cicd_acceptance.emulator.github.payloads_repo import RepoIdentity
from cicd_acceptance.emulator.github.repo import Commit, RepoSnapshot
from cicd_acceptance.emulator.github.runs import (
    JOB_OUTCOMES,
    RUN_OUTCOMES,
    Attempt,
    JobRecord,
    RunOrigin,
    RunRecord,
    Timings,
    plan_attempt,
    plan_rerun,
)
from cicd_acceptance.emulator.github.workflow_view import WorkflowInfo, read_workflow

__all__ = ["CommitStatus", "GitHubState", "PlannedOutcome", "PullRecord"]

_HISTORY_CAP = 10_000
_STATUS_STATES = frozenset({"error", "failure", "pending", "success"})

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
class CommitStatus:
    """A commit status (what ``POST /repos/{owner}/{repo}/statuses/{sha}`` creates; not a check run)."""

    status_id: int
    sha: str
    state: str
    context: str
    description: str | None
    target_url: str | None
    created_at: datetime


@dataclass(frozen=True)
class PlannedOutcome:
    """An outcome for the next run of a workflow: run-level ``conclusion`` or one job's (``job`` + ``step``)."""

    conclusion: str
    job: str | None = None
    step: str | None = None

    def __post_init__(self) -> None:
        allowed = JOB_OUTCOMES if self.job else RUN_OUTCOMES
        if self.conclusion not in allowed:
            raise Unprocessable(f"unknown outcome {self.conclusion!r} (allowed: {', '.join(sorted(allowed))})",
                                field="conclusion")


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
        self.artifacts = ArtifactStore()
        self.reset()

    def reset(self) -> None:
        """Forget runs, pulls and planned outcomes (the repository and workflows stay)."""
        with self.lock:
            self.runs: list[RunRecord] = []
            self.pulls: list[PullRecord] = []
            self.extra_commits: dict[str, Commit] = {}  # synthesized (the seeded pull's head, when needed)
            self.planned: dict[int, list[PlannedOutcome]] = {}
            self.disabled: set[int] = set()  # workflow ids disabled through the API (``disabled_manually``)
            self.statuses: list[CommitStatus] = []
            self._next_job_id = _FIRST_JOB_ID
            self._run_numbers: dict[int, int] = {}
            self.artifacts.clear()

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
            raise NotFound(f"no workflow {ref!r} in the repository (known: {known})", message="Not Found")
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
            raise NotFound(f"no run with id {run_id}", message="Not Found")
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
    def add_run(self, workflow: WorkflowInfo, origin: RunOrigin, *, created_at: datetime | None = None,
                visibility_delay: float = 0.0, outcome: PlannedOutcome | None = None) -> RunRecord:
        """Create a run (attempt 1) listed ``visibility_delay`` seconds after ``created_at`` (default: now). The
        next planned outcome of the workflow applies unless ``outcome`` is given."""
        with self.lock:
            start = created_at or self._now()
            number = self._run_numbers.get(workflow.workflow_id, 0) + 1
            self._run_numbers[workflow.workflow_id] = number
            run_id = _FIRST_RUN_ID + len(self.runs) * 7 + 1
            run = RunRecord(id=run_id, workflow=workflow, run_number=number, event=origin.event,
                            head_branch=origin.branch, head_sha=origin.head_sha, actor=origin.actor, created_at=start,
                            visible_at=start + timedelta(seconds=visibility_delay),
                            check_suite_id=_FIRST_SUITE_ID + len(self.runs) + 1,
                            pull_requests=origin.pull_requests, tree_sha=origin.tree_sha)
            queue = self.planned.get(workflow.workflow_id, [])
            chosen = [outcome] if outcome else ([queue.pop(0)] if queue else [])
            self._start_attempt(run, start, chosen)
            self.runs.append(run)
            return run

    def _start_attempt(self, run: RunRecord, start: datetime, outcomes: list[PlannedOutcome],
                       rerun: set[str] | None = None) -> Attempt:
        """The one place an attempt starts (a new run, a re-attempt, every kind of re-run): ``rerun`` None runs
        every job, else only the jobs of those names (and what needs them), carrying the rest over from the last
        attempt."""
        run_level = next((o.conclusion for o in outcomes if o.job is None), None)
        number = len(run.attempts) + 1
        if rerun is None or not run.attempts:
            attempt = plan_attempt(number, start, run.workflow.jobs(), self.timings,
                                   next_job_id=self._next_job_id, outcome=run_level)
        else:
            previous = run.attempts[-1]
            conclusions = {job.id: run.job_conclusion(job, start, previous) for job in previous.jobs}
            attempt = plan_rerun(number, start, previous, rerun, self.timings, next_job_id=self._next_job_id,
                                 conclusions=conclusions)
            attempt.outcome = run_level
        self._next_job_id += max(len(attempt.jobs), 1) + 3
        run.attempts.append(attempt)
        for outcome in outcomes:
            if outcome.job is not None:
                # On a re-run, an outcome planned for a job that does not run again has nothing to apply to.
                self._set_job(run, outcome, strict=rerun is None)
        return attempt

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
                raise Conflict(f"run {run_id} has already completed; its outcome is decided")
            if outcome.job is None:
                run.current.outcome = outcome.conclusion
                if outcome.conclusion == "startup_failure":
                    run.current.jobs.clear()
            else:
                self._set_job(run, outcome)

    def _set_job(self, run: RunRecord, outcome: PlannedOutcome, *, strict: bool = True) -> None:
        names = [job.plan.name for job in run.current.jobs if not job.carried]
        matches = [job for job in run.current.jobs
                   if not job.carried and outcome.job in {job.plan.name, job.plan.job_id}]
        if not matches and not strict:
            return
        if not matches:
            raise NotFound(f"run {run.id} has no job {outcome.job!r} (jobs: {', '.join(names)})", message="Not Found")
        for job in matches:
            job.outcome = outcome.conclusion
            job.failing_step = outcome.step

    def _next_outcomes(self, run: RunRecord) -> list[PlannedOutcome]:
        queue = self.planned.get(run.workflow.workflow_id, [])
        return [queue.pop(0)] if queue else []

    def rerun(self, run_id: int, *, failed_only: bool = False, job_id: int | None = None) -> Attempt:
        """Re-run a completed run now as a new attempt: every job, only the failed ones (and what needs them), or
        one job (and what needs it). The workflow's next planned outcome applies to the new attempt.
        Raises Forbidden, with GitHub's message, when the run has not completed, has no failed jobs to re-run, or
        the job is not one of its latest attempt."""
        run = self.require_run(run_id)
        now = self._now()
        with self.lock:
            if run.status(now) != "completed":
                raise Forbidden(f"run {run_id} has not completed", message="This workflow is already running")
            latest = run.latest(now)
            rerun: set[str] | None = None
            if job_id is not None:
                job = next((job for job in latest.jobs if job.id == job_id), None)
                if job is None:
                    raise Forbidden(f"job {job_id} is not in the latest attempt of run {run_id}",
                                    message="This job is not in the run's latest attempt and cannot be re-run")
                rerun = {job.plan.name}
            elif failed_only:
                rerun = {job.plan.name for job in latest.jobs
                         if run.job_conclusion(job, now, latest) in {"failure", "cancelled", "timed_out"}}
                if not rerun:
                    raise Forbidden(f"run {run_id} has no failed jobs",
                                    message="This workflow run cannot be retried")
            return self._start_attempt(run, now, self._next_outcomes(run), rerun)

    def cancel(self, run_id: int) -> Attempt:
        """Cancel the run's current attempt now (its unfinished jobs end ``cancelled``). Conflict once completed."""
        run = self.require_run(run_id)
        now = self._now()
        with self.lock:
            if run.status(now, run.current) == "completed":
                raise Conflict(f"run {run_id} has already completed",
                               message="Cannot cancel a workflow run that is completed.")
            run.current.cancel(now)
            return run.current

    def set_enabled(self, workflow: WorkflowInfo, enabled: bool) -> None:
        with self.lock:
            (self.disabled.discard if enabled else self.disabled.add)(workflow.workflow_id)

    def workflow_state(self, workflow: WorkflowInfo) -> str:
        """``active`` or ``disabled_manually`` (the ``state`` of a workflow in the API)."""
        with self.lock:
            return "disabled_manually" if workflow.workflow_id in self.disabled else "active"

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

    # -- commit statuses ---------------------------------------------------------------------------------
    def add_status(self, sha: str, state: str, *, context: str = "default", description: str | None = None,
                   target_url: str | None = None) -> CommitStatus:
        """Record a commit status for ``sha`` (a later one of the same context supersedes it)."""
        if state not in _STATUS_STATES:
            raise Unprocessable(f"unknown status state {state!r} (allowed: {', '.join(sorted(_STATUS_STATES))})",
                                field="state")
        with self.lock:
            status = CommitStatus(status_id=6_100_000_000 + len(self.statuses) + 1, sha=sha, state=state,
                                  context=context, description=description, target_url=target_url,
                                  created_at=self._now())
            self.statuses.append(status)
            return status

    def latest_statuses(self, sha: str) -> list[CommitStatus]:
        """The newest status per context for ``sha``, newest first (what the combined status lists)."""
        with self.lock:
            newest: dict[str, CommitStatus] = {}
            for status in self.statuses:
                if status.sha == sha:
                    newest[status.context] = status
        return sorted(newest.values(), key=lambda s: s.status_id, reverse=True)

    def history(self, start: str) -> list[Commit]:
        """Commits reachable from ``start`` (a sha or branch), walked as ``git log`` walks them: ``start`` first,
        then repeatedly the newest (by committer date) parent of a listed commit."""
        first = self.commit(start)
        if first is None:
            return []
        listed: list[Commit] = []
        seen = {first.sha}
        frontier = [(-first.committer_date.timestamp(), 0, first)]
        while frontier and len(listed) < _HISTORY_CAP:
            _key, _order, commit = heapq.heappop(frontier)
            listed.append(commit)
            for sha in commit.parents:
                parent = self.commit(sha)
                if parent is not None and parent.sha not in seen:
                    seen.add(parent.sha)
                    heapq.heappush(frontier, (-parent.committer_date.timestamp(), len(seen), parent))
        return listed

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
