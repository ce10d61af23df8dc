"""Is CI green for a commit? Find the run(s) of a workflow for a head SHA and event, and judge them strictly.

Rules (GitHub's documentation of listing workflow runs and their jobs):

* "No run yet" is *pending*: we wait within a grace period and then report pending, never success.
* Only ``completed`` + ``success`` is green. ``cancelled``, ``skipped``, ``neutral``, ``timed_out``,
  ``startup_failure``, ``action_required``, ``stale`` and ``failure`` are red, and a red verdict names the failing
  job and step. Jobs are fetched only when they tell something: the run is not green, or the caller requires
  named jobs (``required_jobs=("test",)``: a green run whose ``test`` job was skipped is not "test succeeded").
* Several runs for one SHA and event (a manual re-run creates a new run; re-run *attempts* keep the id): the
  newest run decides, the others are listed in the result for the evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cicd_acceptance.errors import WaitTimeout
from cicd_acceptance.github.client import GitHubClient, RunFilter
from cicd_acceptance.github.models import Job, PullRequest, WorkflowRun
from cicd_acceptance.live.timing import LiveTiming
from cicd_acceptance.polling import wait_until

__all__ = [
    "CiStatus",
    "JobFailure",
    "RunVerdict",
    "ci_status",
    "find_runs_for_commit",
    "judge_run",
    "merged_pull_request",
]


@dataclass(frozen=True)
class JobFailure:
    """A job that did not succeed, with the first step that did not succeed (if GitHub reported steps)."""

    job: str
    conclusion: str | None
    step: str | None
    step_number: int | None
    html_url: str

    def describe(self) -> str:
        where = f" at step {self.step_number} {self.step!r}" if self.step else ""
        return f"job {self.job!r} {self.conclusion or 'did not run'}{where}"

    def as_dict(self) -> dict[str, object]:
        return {"job": self.job, "conclusion": self.conclusion, "step": self.step, "step_number": self.step_number,
                "html_url": self.html_url}


@dataclass(frozen=True)
class RunVerdict:
    """The judgement of one run. ``jobs`` is empty when they were not fetched (a green run, nothing required)."""

    run: WorkflowRun
    green: bool
    reason: str
    failures: tuple[JobFailure, ...]
    jobs: tuple[Job, ...]

    def as_dict(self) -> dict[str, object]:
        """JSON-ready verdict for the evidence (jobs as name -> conclusion, failures with their step)."""
        return {"green": self.green, "reason": self.reason, "run": self.run.as_dict(),
                "jobs": {job.name: job.conclusion for job in self.jobs},
                "failures": [failure.as_dict() for failure in self.failures]}


def _matches(job_name: str, wanted: str) -> bool:
    # A matrix job "test (1.22)" counts as job "test".
    return job_name == wanted or job_name.startswith(f"{wanted} (")


def _failure(job: Job) -> JobFailure:
    step = job.failed_step()
    return JobFailure(job=job.name, conclusion=job.conclusion, step=step.name if step else None,
                      step_number=step.number if step else None, html_url=job.html_url)


def _job_failures(run: WorkflowRun, jobs: Iterable[Job], required: tuple[str, ...],
                  allow_skipped: bool) -> list[JobFailure]:
    if not run.green:
        # In a red run a skipped job is a consequence (needs: failed), not the cause: name the causes.
        return [_failure(job) for job in jobs if job.conclusion not in ("success", "skipped")]

    def must_succeed(job: Job) -> bool:
        return not allow_skipped or any(_matches(job.name, want) for want in required)

    return [_failure(job) for job in jobs if job.conclusion != "success" and must_succeed(job)]


def _missing_jobs(jobs: Iterable[Job], required: Iterable[str]) -> list[str]:
    names = [job.name for job in jobs]
    return [want for want in required if not any(_matches(name, want) for name in names)]


def _red_reason(run: WorkflowRun, failures: list[JobFailure], missing: list[str]) -> str:
    if not run.completed:
        return f"{run.describe()}: not finished, so not green"
    parts = [failure.describe() for failure in failures]
    parts += [f"required job {name!r} is not in the run" for name in missing]
    if not parts:
        no_jobs = " (no job ran: check the workflow file)" if run.conclusion == "startup_failure" else ""
        parts = [f"concluded {run.conclusion}{no_jobs}"]
    return f"{run.describe()}: " + "; ".join(parts)


def _jobs_of_attempt(client: GitHubClient, repo: str, run: WorkflowRun) -> tuple[Job, ...]:
    """Jobs of the attempt we judged: a re-run started since we looked would otherwise lend us its jobs."""
    jobs = client.list_jobs(repo, run.id)
    if all(job.run_attempt == run.run_attempt for job in jobs):
        return tuple(jobs)
    return tuple(job for job in client.list_jobs(repo, run.id, filter="all") if job.run_attempt == run.run_attempt)


def judge_run(client: GitHubClient, repo: str, run: WorkflowRun, *, required_jobs: Iterable[str] = (),
              allow_skipped_jobs: bool = True, always_fetch_jobs: bool = False) -> RunVerdict:
    """Judge a run: green only for completed+success with every required job present and succeeded.

    ``allow_skipped_jobs=False`` makes a skipped job red (a matrix build that skipped a service pushed nothing).
    """
    required = tuple(required_jobs)
    if run.green and not required and allow_skipped_jobs and not always_fetch_jobs:
        return RunVerdict(run, True, run.describe(), (), ())
    jobs = _jobs_of_attempt(client, repo, run) if run.completed else ()
    failures = _job_failures(run, jobs, required, allow_skipped_jobs)
    missing = _missing_jobs(jobs, required) if run.completed else []
    green = run.green and not failures and not missing
    reason = run.describe() if green else _red_reason(run, failures, missing)
    return RunVerdict(run, green, reason, tuple(failures), jobs)


@dataclass(frozen=True)
class CiStatus:
    """CI for one commit and event. ``state`` is ``green``, ``red`` or ``pending`` (no run yet / not finished)."""

    workflow: str
    head_sha: str
    event: str
    state: str
    reason: str
    verdict: RunVerdict | None
    runs: tuple[WorkflowRun, ...]

    @property
    def green(self) -> bool:
        return self.state == "green"

    def as_dict(self) -> dict[str, object]:
        return {"workflow": self.workflow, "head_sha": self.head_sha, "event": self.event, "state": self.state,
                "reason": self.reason, "verdict": self.verdict.as_dict() if self.verdict else None,
                "runs": [run.id for run in self.runs]}


def _newest_first(runs: Iterable[WorkflowRun]) -> tuple[WorkflowRun, ...]:
    return tuple(sorted(runs, key=lambda run: (run.created_at is not None, run.created_at, run.id), reverse=True))


def find_runs_for_commit(client: GitHubClient, repo: str, *, workflow: str | int, head_sha: str, event: str,
                         branch: str | None = None, timing: LiveTiming | None = None) -> tuple[WorkflowRun, ...]:
    """The runs of ``workflow`` for ``head_sha`` and ``event``, newest first; waits up to
    ``timing.appear_timeout_s`` for one, listing every ``timing.interval_s``.

    Raises :class:`WaitTimeout` when none appeared (callers turn that into *pending*, never success). Repeated
    identical listings come back as free 304s thanks to the client's ETag cache.
    """

    def look() -> tuple[WorkflowRun, ...]:
        runs = client.list_workflow_runs(repo, RunFilter(workflow=workflow, head_sha=head_sha, event=event,
                                                         branch=branch))
        return _newest_first(run for run in runs if run.head_sha == head_sha and run.event == event)

    timing = timing or LiveTiming()
    return wait_until(look, done=bool, phase=f"a {event} run of {workflow} for {head_sha[:7]}",
                      poll=timing.appearing(), describe=lambda runs: "no run")


def ci_status(client: GitHubClient, repo: str, *, workflow: str | int, head_sha: str, event: str,
              branch: str | None = None, required_jobs: Iterable[str] = (), timing: LiveTiming | None = None,
              settle: Callable[[WorkflowRun], WorkflowRun] | None = None) -> CiStatus:
    """CI status of ``head_sha`` for ``event``. ``settle`` (e.g. a waiter) may wait for an unfinished run."""
    try:
        runs = find_runs_for_commit(client, repo, workflow=workflow, head_sha=head_sha, event=event, branch=branch,
                                    timing=timing)
    except WaitTimeout as exc:
        return CiStatus(str(workflow), head_sha, event, "pending",
                        f"no {event} run of {workflow} for {head_sha[:7]} yet ({exc}); pending is not green",
                        None, ())
    newest = runs[0]
    if not newest.completed and settle is not None:
        newest = settle(newest)
    verdict = judge_run(client, repo, newest, required_jobs=required_jobs)
    state = "green" if verdict.green else ("red" if newest.completed else "pending")
    others = f" (newest of {len(runs)} runs: {', '.join(str(run.id) for run in runs)})" if len(runs) > 1 else ""
    return CiStatus(str(workflow), head_sha, event, state, verdict.reason + others, verdict, runs)


def merged_pull_request(client: GitHubClient, repo: str, sha: str, *, base: str) -> PullRequest | None:
    """The pull request merged into ``base`` that produced commit ``sha`` (None for a direct push).

    Prefers the PR whose ``merge_commit_sha`` is ``sha`` (merge or squash); otherwise the latest merged one that
    GitHub associates with the commit (rebase merges keep the PR's own commits).
    """
    merged = [pr for pr in client.pulls_for_commit(repo, sha) if pr.merged_at is not None and pr.base_ref == base]
    exact = [pr for pr in merged if pr.merge_commit_sha == sha]
    pool = exact or merged
    return max(pool, key=lambda pr: (pr.merged_at, pr.number)) if pool else None
