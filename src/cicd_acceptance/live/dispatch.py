"""Dispatch a workflow once and identify *its* run, never "the newest run".

1. Snapshot the workflow's newest runs on the ref, one page (ids to exclude later; the durations of the green
   ones give the waiter an expected duration).
2. Dispatch with ``return_run_details`` when the server supports it (github.com; GHES >= 3.21 by ``GET /meta``;
   a server that names no version is tried). 200 carries the run id; 204 does not. A 400 "not a permitted key"
   (GHES <= 3.20) created no run, so we dispatch once more without the field.
3. Without a run id, correlate: list runs with ``event=workflow_dispatch``, ``branch``, ``created>=`` the
   server's ``Date`` of the dispatch answer minus ``skew_s``, all pages; keep runs not seen before, whose
   ``head_sha`` is the pinned commit and, when ``actor`` is given, whose actor or triggering actor is that login.
   A first candidate is watched for ``settle_s`` more (polls are free 304s) because ours may become visible
   after a foreign one. Exactly one candidate is ours; none after ``appear_timeout_s`` or several at any time is
   a :class:`CorrelationError` naming the candidates and why others were rejected.
4. An ambiguous POST failure (network error, 5xx) may have created a run: we look for it (step 3, with the local
   clock) and never dispatch again; if none shows up, the error says so.

On ``actor``: the login the token acts as, from ``GET /user`` (``live.server.token_login``); an Actions
``GITHUB_TOKEN`` has no user, so it is None there. Without it, a foreign dispatch of the same commit in the same
window makes two candidates and a clear error, never a wrong pick.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice

import httpx

from cicd_acceptance.errors import CorrelationError, GitHubAPIError, GitHubNotFound, WaitTimeout
from cicd_acceptance.github.client import GitHubClient, RunFilter, created_since
from cicd_acceptance.github.failures import is_transient
from cicd_acceptance.github.models import DispatchResponse, WorkflowRun
from cicd_acceptance.live.timing import LiveTiming
from cicd_acceptance.polling import wait_until

__all__ = ["Correlation", "DispatchOutcome", "dispatch_and_find", "supports_run_details"]

GITHUB_COM_API_HOST = "api.github.com"
MIN_GHES_WITH_RUN_DETAILS = (3, 21)
SNAPSHOT_SIZE = 100


@dataclass(frozen=True)
class Correlation:
    """How the run was identified, for the evidence. ``method``: ``return_run_details`` or ``correlation``."""

    method: str
    dispatch_status: int | None
    created_filter: str | None = None
    candidates: tuple[int, ...] = ()
    rejected: tuple[str, ...] = ()
    excluded_known: int = 0
    polls: int = 0
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DispatchOutcome:
    """Our run, how we know it is ours, and the typical duration of earlier runs (for the waiter)."""

    run: WorkflowRun
    correlation: Correlation
    expected_duration_s: float | None

    def as_dict(self) -> dict[str, object]:
        """JSON-ready record (evidence kind ``dispatch``): which run, and how we know it is ours."""
        return {"run": self.run.as_dict(), "correlation": asdict(self.correlation),
                "expected_duration_s": self.expected_duration_s}


@dataclass(frozen=True)
class _Target:
    repo: str
    workflow: int
    workflow_name: str
    ref: str
    head_sha: str
    actor: str | None


@dataclass
class _Search:
    """One correlation search: what we keep and reject across polls."""

    target: _Target
    known: frozenset[int]
    since: str
    polls: int = 0
    rejected: dict[int, str] = field(default_factory=dict)
    first_seen: float | None = None
    last_error: str | None = None

    def settled(self, found: tuple[WorkflowRun, ...], now: float, settle_s: float) -> bool:
        """True once one candidate has stood alone for ``settle_s`` (a second one would have raised)."""
        if not found:
            return False
        self.first_seen = now if self.first_seen is None else self.first_seen
        return now - self.first_seen >= settle_s

    def look(self, client: GitHubClient) -> tuple[WorkflowRun, ...]:
        self.polls += 1
        try:
            runs = list(self._list(client))
        except GitHubAPIError as exc:
            if not is_transient(exc):
                raise
            # The dispatch went through; a transient API failure must not lose our run (or invite a re-dispatch).
            self.last_error = str(exc)
            return ()
        return self._candidates(runs)

    def _list(self, client: GitHubClient) -> Iterable[WorkflowRun]:
        t = self.target
        return client.list_workflow_runs(t.repo, RunFilter(workflow=t.workflow, event="workflow_dispatch",
                                                           branch=t.ref, created=self.since))

    def _candidates(self, runs: Iterable[WorkflowRun]) -> tuple[WorkflowRun, ...]:
        t = self.target
        found: list[WorkflowRun] = []
        for run in runs:
            why = self._reject(run)
            if why:
                self.rejected[run.id] = f"run {run.id} ({why})"
            else:
                found.append(run)
        if len(found) > 1:
            raise CorrelationError(
                f"{len(found)} runs of {t.workflow_name} match our dispatch ({_describe(found)}): cannot tell "
                f"which one is ours; set the actor, or stop the concurrent dispatch of {t.head_sha[:7]}")
        return tuple(found)

    def _reject(self, run: WorkflowRun) -> str:
        t = self.target
        if run.id in self.known:
            return "existed before the dispatch"
        if run.event != "workflow_dispatch" or (run.head_branch and run.head_branch != t.ref):
            return f"event {run.event} on {run.head_branch}"
        if run.head_sha != t.head_sha:
            return f"head {run.head_sha[:7]}, not the pinned {t.head_sha[:7]}"
        if t.actor and t.actor not in (run.actor_login, run.triggering_actor_login):
            return f"actor {run.triggering_actor_login or run.actor_login}, not {t.actor}"
        return ""


def _describe(runs: Iterable[WorkflowRun]) -> str:
    return ", ".join(f"run {run.id} by {run.triggering_actor_login or run.actor_login} "
                     f"created {run.created_at:%H:%M:%S}" if run.created_at else f"run {run.id}" for run in runs)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:2] if part.isdigit())


def supports_run_details(client: GitHubClient) -> tuple[bool, str]:
    """Whether to send ``return_run_details``, and why (github.com: yes; GHES: ``installed_version >= 3.21``)."""
    if httpx.URL(client.base_url).host == GITHUB_COM_API_HOST:
        return True, "github.com supports return_run_details"
    version = client.get_meta().installed_version
    if version is None:
        return True, "GET /meta names no installed_version: trying return_run_details (a 400 falls back)"
    supported = _version(version) >= MIN_GHES_WITH_RUN_DETAILS
    return supported, f"GHES {version} {'supports' if supported else 'predates'} return_run_details (3.21)"


def _snapshot(client: GitHubClient, t: _Target) -> tuple[frozenset[int], float | None]:
    # Every event, not only workflow_dispatch: push runs of the same workflow tell the expected duration too,
    # and one page of the newest runs covers the few minutes the created filter will look at.
    runs = list(islice(client.list_workflow_runs(t.repo, RunFilter(workflow=t.workflow, branch=t.ref)), SNAPSHOT_SIZE))
    durations = [(run.updated_at - run.run_started_at).total_seconds() for run in runs
                 if run.green and run.updated_at and run.run_started_at]
    return frozenset(run.id for run in runs), statistics.median(durations) if durations else None


def _dispatch(client: GitHubClient, t: _Target, inputs: Mapping[str, str] | None, details: bool,
              notes: list[str]) -> DispatchResponse:
    try:
        return client.dispatch_workflow(t.repo, t.workflow, t.ref, inputs, return_run_details=details)
    except GitHubAPIError as exc:
        if not (details and exc.status_code == 400 and "not a permitted key" in exc.reason):
            raise
        # GHES <= 3.20 refuses the field with a 400 before creating anything: dispatching again is safe.
        notes.append(f"{exc.method} {exc.url} -> 400 (return_run_details not permitted): dispatched without it")
        return client.dispatch_workflow(t.repo, t.workflow, t.ref, inputs, return_run_details=False)


def _get_visible_run(client: GitHubClient, t: _Target, run_id: int, timing: LiveTiming) -> WorkflowRun:
    last_error: list[GitHubAPIError] = []

    def look() -> WorkflowRun | None:
        try:
            return client.get_run(t.repo, run_id)
        except GitHubNotFound:
            return None  # the id can be ahead of the read replicas for a few seconds
        except GitHubAPIError as exc:
            if not is_transient(exc):
                raise
            last_error[:] = [exc]
            return None  # transient: the run exists (we hold its id); keep looking until the deadline

    try:
        run = wait_until(look, done=lambda seen: seen is not None, phase=f"run {run_id} to appear",
                         poll=timing.appearing())
    except WaitTimeout as exc:
        if not last_error:
            raise
        # "last seen: nothing yet" would hide why: the API kept failing while we held the run's id.
        raise WaitTimeout(f"the last answer was an error: {last_error[0]}", phase=exc.phase,
                          waited_s=exc.waited_s) from None
    if run is None:  # pragma: no cover - done() guarantees a run
        raise CorrelationError(f"run {run_id} never became visible")
    return run


def _correlate(client: GitHubClient, search: _Search, timing: LiveTiming) -> WorkflowRun:
    t = search.target
    clock = timing.clock
    try:
        found = wait_until(lambda: search.look(client),
                           done=lambda runs: search.settled(runs, clock(), timing.settle_s),
                           phase=f"our {t.workflow_name} run to appear", poll=timing.appearing(),
                           describe=lambda runs: f"{len(runs)} candidate(s)")
    except WaitTimeout as exc:
        if search.first_seen is not None:
            raise CorrelationError(
                f"a candidate run appeared only {clock() - search.first_seen:.0f}s before the "
                f"{timing.appear_timeout_s:.0f}s deadline, too late to confirm no other run matches "
                f"(settle {timing.settle_s:.0f}s)") from None
        rejected = "; ".join(search.rejected.values()) or "none"
        actor = f", actor {t.actor}" if t.actor else ""
        failing = f"; the last listing failed: {search.last_error}" if search.last_error else ""
        raise CorrelationError(
            f"no run of {t.workflow_name} (event workflow_dispatch, branch {t.ref}, head {t.head_sha[:7]}{actor}, "
            f"created {search.since}) appeared within {exc.waited_s:.0f}s of the dispatch; runs rejected: {rejected}"
            f"{failing}") from None
    return found[0]


def dispatch_and_find(client: GitHubClient, repo: str, *, workflow: str | int, ref: str, head_sha: str,
                      actor: str | None = None, inputs: Mapping[str, str] | None = None,
                      timing: LiveTiming | None = None) -> DispatchOutcome:
    """Dispatch ``workflow`` on ``ref`` exactly once and return the run it created (see the module docstring).

    ``timing.appear_timeout_s`` bounds the search for it, ``settle_s`` and ``skew_s`` shape the correlation."""
    timing = timing or LiveTiming()
    wf = client.get_workflow(repo, workflow)
    t = _Target(repo, wf.id, wf.file_name, ref, head_sha, actor)
    known, expected = _snapshot(client, t)
    details, why = supports_run_details(client)
    notes = [why]
    try:
        response = _dispatch(client, t, inputs, details, notes)
    except GitHubAPIError as exc:
        if not is_transient(exc):
            raise  # 4xx: refused, no run was created (401/403/404/422 say what to fix)
        return _after_ambiguous(client, t, known, expected, exc, notes, timing)
    if response.run_id is not None:
        run = _get_visible_run(client, t, response.run_id, timing)
        _check_pinned(run, t, known)
        return DispatchOutcome(run, Correlation("return_run_details", response.status_code, notes=tuple(notes)),
                               expected)
    moment = response.server_date or datetime.now(UTC)
    if response.server_date is None:
        notes.append("no Date header on the dispatch answer: created filter uses the local clock")
    search = _Search(t, known, created_since(moment - timedelta(seconds=timing.skew_s)))
    run = _correlate(client, search, timing)
    return DispatchOutcome(run, _record("correlation", response.status_code, search, run, notes), expected)


def _after_ambiguous(client: GitHubClient, t: _Target, known: frozenset[int], expected: float | None,
                     exc: GitHubAPIError, notes: list[str], timing: LiveTiming) -> DispatchOutcome:
    notes.append(f"dispatch outcome unknown ({exc}): looked for the run instead of dispatching again")
    # No answer, so no Date: take the server's clock from the snapshot listing just before the POST.
    moment = client.last_server_date or datetime.now(UTC)
    search = _Search(t, known, created_since(moment - timedelta(seconds=timing.skew_s)))
    try:
        run = _correlate(client, search, timing)
    except CorrelationError as missing:
        raise CorrelationError(f"the dispatch failed ambiguously ({exc}) and {missing}; not dispatching again "
                               "(a second dispatch could build twice): re-run the acceptance") from None
    return DispatchOutcome(run, _record("correlation after ambiguous dispatch", exc.status_code, search, run, notes),
                           expected)


def _check_pinned(run: WorkflowRun, t: _Target, known: frozenset[int]) -> None:
    # The returned id is the server's word: a run that is not of this dispatch at all is not "the branch moved".
    foreign = ("it existed before the dispatch" if run.id in known else
               f"it is a run of another workflow ({run.path})" if run.workflow_id not in (None, t.workflow) else
               f"it was started by {run.event!r}, not by a dispatch" if run.event != "workflow_dispatch" else "")
    if foreign:
        raise CorrelationError(f"the dispatch answer named run {run.id}, which is not the dispatched run: {foreign}; "
                               "not trusting it (re-run the acceptance)")
    if run.head_sha != t.head_sha:
        raise CorrelationError(f"run {run.id} (ours, from return_run_details) builds {run.head_sha[:7]} but the "
                               f"pinned commit is {t.head_sha[:7]}: {t.ref} moved during the acceptance; re-run it")


def _record(method: str, status: int | None, search: _Search, run: WorkflowRun, notes: list[str]) -> Correlation:
    return Correlation(method, status, search.since, (run.id,), tuple(search.rejected.values()), len(search.known),
                       search.polls, tuple(notes))
