"""Wait for a workflow run to complete while spending almost no rate limit, then judge it.

Where ``gh run watch`` polls every 3 s with 3+ counted requests per poll (run, workflow, jobs, annotations),
this waiter sends one conditional ``GET .../runs/{id}`` per poll. The client's ETag cache turns every poll that
sees no change into a free 304, so the counted cost is one request per *state change* plus one jobs listing at
the end. The interval adapts (:class:`IntervalPolicy`): short while the run is young and around its expected end,
longer in the middle, never longer than the detection-latency goal; and should the server not answer 304s, a
token bucket holds counted polls to ``counted_per_minute`` (latency then yields to the budget). A run's age is
taken from its ``run_started_at`` against the server's ``Date``, so joining a run late still finds its end.

Every status is handled: ``requested``/``queued``/``pending``/``waiting`` (not started; ``waiting`` usually means
an environment approval), ``in_progress``, ``completed``; an unknown status is treated as running and reported.
The wait is bounded; :class:`WaitTimeout` names the phase it expired in (appear, start, complete).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from cicd_acceptance.errors import GitHubAPIError, GitHubNotFound, RateLimited, WaitTimeout
from cicd_acceptance.github.client import GitHubClient
from cicd_acceptance.github.failures import is_transient
from cicd_acceptance.github.models import WorkflowRun
from cicd_acceptance.live.ci_status import RunVerdict, judge_run
from cicd_acceptance.live.timing import LiveTiming
from cicd_acceptance.polling import Poll, wait_by_value, wait_until

__all__ = ["NOT_STARTED", "RunChange", "RunResult", "settle_by_waiting", "wait_for_run"]

NOT_STARTED = frozenset({"requested", "queued", "pending", "waiting"})


@dataclass(frozen=True)
class RunChange:
    """One observation. ``changed`` is False for a poll that saw nothing new (TTY renderers tick on those)."""

    run_id: int
    elapsed_s: float
    previous_status: str | None
    status: str
    conclusion: str | None
    changed: bool
    run: WorkflowRun | None

    def describe(self) -> str:
        now = f"{self.status}/{self.conclusion}" if self.conclusion else self.status
        if self.status == "waiting":
            now += " (waiting for an environment approval?)"
        before = f"{self.previous_status} -> " if self.previous_status else ""
        return f"run {self.run_id}: {before}{now}"


@dataclass(frozen=True)
class RunResult:
    """The finished run, its verdict, and what waiting cost (for the evidence)."""

    verdict: RunVerdict
    waited_s: float
    polls: int
    counted_requests: int
    free_requests: int
    changes: tuple[str, ...]

    @property
    def green(self) -> bool:
        return self.verdict.green

    def cost(self) -> dict[str, object]:
        """What the wait cost (evidence): waiting time, polls, counted and free requests, the changes seen."""
        return {"waited_s": round(self.waited_s, 1), "polls": self.polls, "counted_requests": self.counted_requests,
                "free_requests": self.free_requests, "changes": list(self.changes)}

    def as_dict(self) -> dict[str, object]:
        """JSON-ready result (evidence kind ``run``): verdict, waiting time, polls and their cost."""
        return {**self.verdict.as_dict(), **self.cost()}


@dataclass
class _Watch:
    """Mutable state of one wait: what we last saw and the counted-request bucket."""

    client: GitHubClient
    repo: str
    run_id: int
    timing: LiveTiming
    start: float
    expected_s: float | None
    on_change: Callable[[RunChange], None] | None
    status: str | None = None
    queued_since: float | None = None
    polls: int = 0
    tokens: float = 0.0
    last_refill: float = 0.0
    outage_since: float | None = None
    last_run: WorkflowRun | None = None
    changes: list[str] = field(default_factory=list)

    def clock(self) -> float:
        return self.timing.clock()

    def elapsed(self) -> float:
        return self.clock() - self.start

    def poll(self) -> WorkflowRun | None:
        self.polls += 1
        counted_before = self.client.stats.counted
        try:
            run: WorkflowRun | None = self.client.get_run(self.repo, self.run_id)
            self.outage_since = None
        except GitHubNotFound:
            # Eventual consistency: a run id from a dispatch can 404 for a few seconds.
            if self.elapsed() >= self.timing.appear_timeout_s:
                raise
            run = None
        except GitHubAPIError as exc:
            run = self._ride_out(exc)
        self.tokens -= self.client.stats.counted - counted_before
        self._observe(run)
        return run

    def _ride_out(self, exc: GitHubAPIError) -> WorkflowRun | None:
        """A 5xx/network failure that outlasted the client's retries: keep the last state, for a while.

        A build takes minutes; an API hiccup of a minute must not fail the acceptance (gh run watch just dies).
        """
        if not is_transient(exc) or isinstance(exc, RateLimited):
            raise exc
        now = self.clock()
        self.outage_since = now if self.outage_since is None else self.outage_since
        if now - self.outage_since >= self.timing.outage_tolerance_s:
            raise exc
        return self.last_run

    def _observe(self, run: WorkflowRun | None) -> None:
        self.last_run = run
        status = run.status if run else "not visible yet"
        previous, changed = self.status, status != self.status
        self.status = status
        if run is not None and run.status in NOT_STARTED:
            # requested -> queued -> waiting all count as "not started": the timer runs across them.
            self.queued_since = self.clock() if self.queued_since is None else self.queued_since
            self._check_start_timeout(run)
        elif run is not None:
            self.queued_since = None
        change = RunChange(self.run_id, self.elapsed(), previous, status, run.conclusion if run else None,
                           changed, run)
        if changed:
            self.changes.append(f"{change.elapsed_s:.0f}s {change.describe()}")
        if self.on_change is not None:
            self.on_change(change)

    def _check_start_timeout(self, run: WorkflowRun) -> None:
        limit = self.timing.start_timeout_s
        if limit is None or self.queued_since is None:
            return
        queued_for = self.clock() - self.queued_since
        if queued_for >= limit:
            raise WaitTimeout(f"run {run.id} still {run.status} (no runner picked it up?)",
                              phase=f"run {run.id} to start", waited_s=queued_for, last_value=run)

    def age(self, run: WorkflowRun | None) -> float:
        """How long the run has been running, on the server's clock when we can (a CI run we join late is old)."""
        server_now = self.client.last_server_date
        started = run.run_started_at or run.created_at if run else None
        if server_now is None or started is None:
            return self.elapsed()
        return max((server_now - started).total_seconds(), 0.0)

    def next_interval(self, run: WorkflowRun | None) -> float:
        base = self.timing.policy.interval(age_s=self.age(run), expected_s=self.expected_s)
        # Token bucket: refill at counted_per_minute, so a server without 304s still costs <= budget per minute.
        now = self.clock()
        rate = self.timing.policy.counted_per_minute / 60.0
        self.tokens = min(self.timing.policy.burst, self.tokens + (now - self.last_refill) * rate)
        self.last_refill = now
        if self.tokens >= 1.0 or rate <= 0:
            return base
        return max(base, (1.0 - self.tokens) / rate)

    def phase(self, run: WorkflowRun | None) -> str:
        if run is None:
            return f"run {self.run_id} to appear"
        if run.status in NOT_STARTED:
            return f"run {self.run_id} to start (status {run.status})"
        return f"run {self.run_id} to complete ({run.status})"


def wait_for_run(client: GitHubClient, repo: str, run_id: int, timing: LiveTiming | None = None, *,
                 expected_duration_s: float | None = None, on_change: Callable[[RunChange], None] | None = None,
                 required_jobs: Iterable[str] = (), allow_skipped_jobs: bool = False) -> RunResult:
    """Poll run ``run_id`` until it completes, then fetch its jobs once and judge it (only success is green).

    ``timing`` bounds the wait (``run_timeout_s`` the whole of it, ``appear_timeout_s`` how long a 404 counts as
    "not visible yet", ``start_timeout_s`` how long it may sit queued, ``outage_tolerance_s`` how long API
    failures are ridden out) and paces the polls (``policy``). Raises :class:`WaitTimeout` naming the phase.
    """
    timing = timing or LiveTiming()
    stats_before = client.stats
    now = timing.clock()
    watch = _Watch(client, repo, run_id, timing, now, expected_duration_s, on_change, tokens=timing.policy.burst,
                   last_refill=now)
    strategy: wait_by_value[WorkflowRun | None] = wait_by_value(watch.next_interval)
    run = wait_until(watch.poll, done=lambda seen: seen is not None and seen.completed, phase=watch.phase,
                     poll=Poll(timing.run_timeout_s, wait=strategy, sleep=timing.sleep, clock=timing.clock),
                     describe=lambda seen: seen.describe() if seen else "not visible yet")
    if run is None:  # pragma: no cover - done() holds only for a completed run
        raise WaitTimeout("run vanished", phase=watch.phase(None), waited_s=watch.elapsed())
    waited = watch.elapsed()
    verdict = judge_run(client, repo, run, required_jobs=required_jobs, allow_skipped_jobs=allow_skipped_jobs,
                        always_fetch_jobs=True)
    stats = client.stats
    return RunResult(verdict=verdict, waited_s=waited, polls=watch.polls,
                     counted_requests=stats.counted - stats_before.counted,
                     free_requests=stats.not_modified - stats_before.not_modified, changes=tuple(watch.changes))


def settle_by_waiting(client: GitHubClient, repo: str, timing: LiveTiming | None = None, *,
                      on_change: Callable[[RunChange], None] | None = None) -> Callable[[WorkflowRun], WorkflowRun]:
    """A ``settle`` for :func:`cicd_acceptance.live.ci_status.ci_status`: wait for an unfinished run to complete.

    If the judge lists the jobs again (required jobs, or a red run), the ETag cache answers with a free 304.
    """

    def settle(run: WorkflowRun) -> WorkflowRun:
        result = wait_for_run(client, repo, run.id, timing, on_change=on_change, allow_skipped_jobs=True)
        return result.verdict.run

    return settle
