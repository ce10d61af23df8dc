"""The workflow executor: every attempt of a run is executed as a runner would execute it, in a worker thread.

When an attempt's jobs are due to start on the emulated clock, :meth:`Executor.start` checks out the run's commit
and executes the workflow (:mod:`cicd_acceptance.emulator.runtime`): ``run:`` steps really run, known actions are
emulated natively, and what the workflow pushes lands in the emulator's registry. Each job's conclusion, steps,
log and annotations are recorded on its :class:`~cicd_acceptance.emulator.github.runs.JobRecord`; the attempt cannot
complete before its execution has finished (:meth:`Attempt.executed`). Nothing here consults the static
publication plan or any static check: the run's effects follow from executing the workflow.

At most ``MAX_WORKERS`` runs execute at once; jobs of one run execute one after another in ``needs`` order.
"""

from __future__ import annotations

import hashlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cicd_acceptance.emulator.github.repo import Commit
from cicd_acceptance.emulator.github.runs import Attempt, JobRecord, RunRecord
from cicd_acceptance.emulator.github.workflow_view import JobPlan
from cicd_acceptance.emulator.runtime import (
    NATIVE_ACTIONS,
    Checkout,
    Execution,
    JobResult,
    JobSlot,
    RunEvent,
    RunIdentity,
    RunPlan,
    Services,
    TokenScopes,
    execute_run,
    tree_prefix,
)
from cicd_acceptance.emulator.runtime.docker_cli import DockerService
from cicd_acceptance.emulator.server import ThreadedServer
from cicd_acceptance.errors import HarnessError
from cicd_acceptance.runner import Limits

if TYPE_CHECKING:
    from cicd_acceptance.emulator.auth import TokenStore
    from cicd_acceptance.emulator.github.payloads_repo import RepoIdentity
    from cicd_acceptance.emulator.github.repo import RepoSnapshot
    from cicd_acceptance.emulator.github.state import GitHubState
    from cicd_acceptance.emulator.registry.state import RegistryState

__all__ = ["MAX_WORKERS", "EmulatorParts", "Executor", "registry_name"]

MAX_WORKERS = 2
_NULL_SHA = "0" * 40


def registry_name(image: str) -> str:
    """``ghcr.io/acme/app`` -> ``acme/app``: the repository path without the registry host."""
    first, sep, rest = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return rest
    return image


def _cache_base() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cicd-acceptance"


def _go_cache() -> Path:
    # Shared between runs (setup-go caches too); never the harness's own GOCACHE, so nothing leaks back.
    path = _cache_base() / "go"
    path.mkdir(parents=True, exist_ok=True)  # the sandbox binds it, so it must exist
    return path


def _work_base(root: Path) -> Path:
    return _cache_base() / "runners" / hashlib.sha256(str(root).encode()).hexdigest()[:12]


def _serve_loopback(app: Any) -> Any:
    return ThreadedServer(app, "127.0.0.1", 0).start()


class _HtmlBase(Protocol):
    @property
    def html_base(self) -> str: ...


class EmulatorParts(Protocol):
    """What the executor reads of the emulator it belongs to (an ``EmulatorState``, which builds its executor:
    a protocol, so that neither module imports the other)."""

    @property
    def snapshot(self) -> RepoSnapshot: ...
    @property
    def identity(self) -> RepoIdentity: ...
    @property
    def config(self) -> _HtmlBase: ...
    @property
    def github(self) -> GitHubState: ...
    @property
    def registry(self) -> RegistryState: ...
    @property
    def tokens(self) -> TokenStore: ...
    def now(self) -> datetime: ...
    def add_workflow_token(self, value: str | None = None, *, write: bool = True) -> str: ...


class Executor:
    """Executes attempts; ``errors`` keeps what could not be executed at all (not failing steps)."""

    def __init__(self, state: EmulatorParts, *, limits: Limits | None = None) -> None:
        self.state = state
        self.errors: list[str] = []
        self.scopes = TokenScopes()
        self.limits = limits or Limits()
        self._pool = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="emulator-run")
        self._prefix: str | None = None
        self._active: list[Execution] = []
        self._lock = threading.Lock()
        self.docker = DockerService(_serve_loopback)

    # -- hooks called by GitHubState ------------------------------------------------------------------------
    def on_start(self, run: RunRecord, attempt: Attempt) -> None:
        """Begin executing ``attempt`` (called once, under the GitHub state's lock, when its jobs are due)."""
        execution = Execution(run.id, attempt.number, started_at=self.state.now())
        attempt.execution = execution
        for job in attempt.jobs:
            job.ready = execution.done
        with self._lock:
            self._active = [active for active in self._active if not active.done.is_set()] + [execution]
        self._pool.submit(self._execute, run, attempt, execution)

    def on_complete(self, run: RunRecord, attempt: Attempt) -> None:
        """The attempt completed on the clock (its execution had finished); nothing is left to do."""
        if attempt.execution is not None and attempt.execution.errors:
            self.errors += [f"run {run.id}: {error}" for error in attempt.execution.errors]

    def stop_all(self, timeout_s: float = 30.0) -> None:
        """Ask running executions to stop and wait for them (the emulator is being reset)."""
        with self._lock:
            active = list(self._active)
            self._active = []
        for execution in active:
            execution.stop.set()
        for execution in active:
            execution.done.wait(timeout_s)

    # -- executing ------------------------------------------------------------------------------------------
    def _services(self) -> Services:
        state = self.state
        if self._prefix is None:
            self._prefix = tree_prefix(state.snapshot.root)
        return Services(root=state.snapshot.root, prefix=self._prefix, repository=state.identity.full_name,
                        default_branch=state.identity.default_branch, server_url=state.config.html_base.rstrip("/"),
                        api_url="https://api.github.com", registry=state.registry, tokens=state.tokens,
                        scopes=self.scopes, now=state.now, limits=self.limits, go_cache=_go_cache(),
                        work_base=_work_base(state.snapshot.root), artifacts=state.github.artifacts,
                        docker=self.docker)

    def _tree(self, run: RunRecord) -> str:
        """The commit whose files the run executes: its own, else (a synthesized commit) the checkout's HEAD."""
        if run.tree_sha:
            return run.tree_sha
        return run.head_sha if self.state.snapshot.commit(run.head_sha) is not None else self.state.snapshot.head

    def _execute(self, run: RunRecord, attempt: Attempt, execution: Execution) -> None:
        try:
            workflow = run.workflow.workflow
            if workflow is None:
                execution.errors.append(f"{run.workflow.path}: {run.workflow.error}")
                return
            services = self._services()
            event = self._event(run)
            with Checkout(services.root, self._tree(run), services.prefix) as checkout:
                plan = RunPlan(workflow=workflow, event=event, identity=self._identity(run, attempt),
                               source=checkout.path, inputs=self._inputs(run),
                               slot=lambda job_id, name, matrix: self._slot(run, attempt, job_id, name, matrix),
                               deliver=lambda result: self._deliver(attempt, result), mint=self._mint,
                               actions=NATIVE_ACTIONS, commit_date=self._commit_date(run),
                               head=self._head(run, event.sha))
                execute_run(plan, services, execution)
        except HarnessError as exc:
            execution.errors.append(str(exc))
        except Exception as exc:  # an emulator bug: recorded (tests assert none), the attempt still completes
            execution.errors.append(f"executor failed: {type(exc).__name__}: {exc}")
        finally:
            self._finish(attempt, execution)

    def _commit_date(self, run: RunRecord) -> datetime | None:
        commit = self.state.github.commit(run.head_sha)
        return commit.committer_date if commit is not None else None

    def _head(self, run: RunRecord, sha: str) -> Commit | None:
        """The commit ``GITHUB_SHA`` names: its own record, else (a merge commit the emulator never saw) the run's
        head commit's, under that sha."""
        commit = self.state.github.commit(sha) or self.state.github.commit(run.head_sha)
        return replace(commit, sha=sha) if commit is not None else None

    def _mint(self, permissions: dict[str, str]) -> str:
        token = self.state.add_workflow_token(write=permissions.get("packages") == "write")
        self.scopes.granted[token] = dict(permissions)
        return token

    def _identity(self, run: RunRecord, attempt: Attempt) -> RunIdentity:
        return RunIdentity(repository=self.state.identity.full_name, run_id=run.id, run_number=run.run_number,
                           run_attempt=attempt.number, actor=run.actor, workflow=run.workflow.name,
                           workflow_path=run.workflow.path, server_url=self.state.config.html_base.rstrip("/"),
                           api_url="https://api.github.com")

    def _inputs(self, run: RunRecord) -> dict[str, Any]:
        workflow = run.workflow.workflow
        trigger = workflow.node.get("on") if workflow is not None else None
        dispatch = trigger.get("workflow_dispatch") if trigger is not None and trigger.is_mapping else None
        declared = dispatch.get("inputs") if dispatch is not None and dispatch.is_mapping else None
        inputs: dict[str, Any] = {}
        for key, spec in (declared.items() if declared is not None and declared.is_mapping else []):
            default = spec.get("default") if spec.is_mapping else None
            inputs[key] = default.plain() if default is not None else ""
        inputs.update(run.inputs)
        return inputs if run.event == "workflow_dispatch" else {}

    def _event(self, run: RunRecord) -> RunEvent:
        identity = self.state.identity
        repository = {"name": identity.name, "full_name": identity.full_name, "default_branch": identity.default_branch,
                      "html_url": f"{self.state.config.html_base.rstrip('/')}/{identity.full_name}",
                      "owner": {"login": identity.owner}, "private": False}
        sender = {"login": run.actor}
        if run.event == "pull_request" and run.pull_requests:
            pull = self.state.github.pull(run.pull_requests[0])
            number = run.pull_requests[0]
            base_ref = pull.base_ref if pull else identity.default_branch
            merge_sha = (pull.merge_commit_sha if pull else None) or run.head_sha
            payload = {"action": "synchronize", "number": number, "repository": repository, "sender": sender,
                       "pull_request": {"number": number, "title": pull.title if pull else "",
                                        "head": {"ref": run.head_branch, "sha": run.head_sha},
                                        "base": {"ref": base_ref, "sha": pull.base_sha if pull else ""},
                                        "user": {"login": pull.user if pull else run.actor}}}
            return RunEvent("pull_request", f"refs/pull/{number}/merge", merge_sha, payload,
                            head_ref=run.head_branch, base_ref=base_ref)
        ref = f"refs/heads/{run.head_branch}"
        if run.event == "workflow_dispatch":
            payload = {"ref": ref, "inputs": self._inputs(run), "repository": repository, "sender": sender,
                       "workflow": run.workflow.path}
            return RunEvent("workflow_dispatch", ref, run.head_sha, payload)
        commit = self.state.github.commit(run.head_sha)
        before = commit.parents[0] if commit is not None and commit.parents else _NULL_SHA
        payload = {"ref": ref, "before": before, "after": run.head_sha, "repository": repository, "sender": sender,
                   "pusher": {"name": run.actor}, "created": False, "deleted": False, "forced": False,
                   "head_commit": {"id": run.head_sha, "message": commit.message if commit else "",
                                   "timestamp": commit.committer_date.isoformat() if commit else ""}}
        return RunEvent(run.event, ref, run.head_sha, payload)

    # -- records --------------------------------------------------------------------------------------------
    def _slot(self, run: RunRecord, attempt: Attempt, job_id: str, name: str, matrix: dict[str, Any]) -> JobSlot:
        with self.state.github.lock:
            record = self._record(attempt, job_id, name, matrix)
            override = (record.outcome, record.failing_step) if record.outcome is not None else None
            if attempt.outcome in {"cancelled", "skipped", "timed_out"}:
                override = (attempt.outcome if attempt.outcome != "timed_out" else "cancelled", None)
            return JobSlot(record.started_at, record.completed_at, override, carried=record.carried)

    def _record(self, attempt: Attempt, job_id: str, name: str, matrix: dict[str, Any]) -> JobRecord:
        """The attempt's record for a job, matched by name, then by job id and matrix; a job the static view did
        not foresee (a matrix from an expression, a reusable workflow's jobs) gets a new record."""
        taken = attempt.claimed
        candidates = [job for job in attempt.jobs if job.id not in taken]
        found = next((job for job in candidates if job.plan.name == name), None)
        found = found or next((job for job in candidates if job.plan.job_id == job_id and job.plan.matrix == matrix),
                              None)
        if found is None:
            sibling = next((job for job in attempt.jobs if job.plan.job_id == job_id or
                            name.startswith(f"{job.plan.name} / ")), attempt.jobs[0] if attempt.jobs else None)
            start = sibling.started_at if sibling else attempt.started_at
            end = sibling.completed_at if sibling else attempt.completed_at
            found = JobRecord(self.state.github.allocate_job_id(), JobPlan(job_id, name, dict(matrix), (), ()),
                              attempt.started_at, start, end, ready=attempt.execution.done if attempt.execution
                              else None)
            attempt.jobs.append(found)
        taken.add(found.id)
        return found

    def _deliver(self, attempt: Attempt, result: JobResult) -> None:
        with self.state.github.lock:
            record = next((job for job in attempt.jobs if job.plan.name == result.name
                           and job.id in attempt.claimed), None)
            if record is None:
                record = self._record(attempt, result.job_id, result.name, result.matrix)
            if record.carried:
                return
            record.executed = result.conclusion
            record.executed_steps = list(result.steps)
            record.log_text = result.log_text
            record.annotations = list(result.annotations)
            record.not_emulated = list(result.not_emulated)

    def _finish(self, attempt: Attempt, execution: Execution) -> None:
        with self.state.github.lock:
            taken = attempt.claimed
            expanded = {job.plan.job_id for job in attempt.jobs if job.id in taken}
            leftovers = [job for job in attempt.jobs if job.id not in taken]
            stopped = execution.stop.is_set()
            for job in leftovers:
                if job.carried or job.outcome is not None:
                    continue  # kept from an earlier attempt, or ended by a cancel / an injected outcome
                if not stopped and (job.plan.job_id in expanded or any(
                        other.plan.name.startswith(f"{job.plan.name} / ") for other in attempt.jobs)):
                    attempt.jobs.remove(job)  # stood for jobs the execution named differently
                elif job.executed is None:
                    job.executed = "failure" if execution.errors else "skipped"
                    if execution.errors:
                        job.log_text = "".join(f"##[error]{error}\n" for error in execution.errors)
            finished = self.state.now()
            # Only an execution that started in time and outlasted the planned end moves the end (a stepped clock
            # that jumped past the end before the execution started is catching up, not late).
            started = execution.started_at or finished
            if started < attempt.completed_at < finished:
                late = finished - attempt.completed_at
                for job in attempt.jobs:
                    if job.completed_at >= attempt.completed_at - timedelta(seconds=1):
                        job.completed_at += late
                attempt.completed_at = finished
            execution.finished_at = finished
            execution.done.set()
