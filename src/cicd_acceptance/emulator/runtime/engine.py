"""Executing one attempt of a run: jobs in ``needs`` order, job ``if:``, matrices, ``fail-fast``, job outputs,
and reusable workflows of the same repository (bounded depth), each job through :class:`JobRun`.

The caller supplies the run (:class:`RunPlan`): where each job sits on the emulated timeline (``slot``) and
where its result goes (``deliver``), so this module knows nothing of the API's records.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cicd_acceptance.emulator.github.repo import Commit
from cicd_acceptance.emulator.runtime.contexts import RunEvent, RunIdentity, github_values, runner_values
from cicd_acceptance.emulator.runtime.jobrun import JOB_TIMEOUT_MINUTES, Action, JobRun, JobSpec
from cicd_acceptance.emulator.runtime.logs import JobLog
from cicd_acceptance.emulator.runtime.results import Execution, JobResult, StepRecord
from cicd_acceptance.emulator.runtime.services import Services
from cicd_acceptance.emulator.runtime.values import RunContext, condition, expand_matrix, minutes, resolve_tree, text
from cicd_acceptance.errors import HarnessError
from cicd_acceptance.workflows.expressions import to_text
from cicd_acceptance.workflows.model import Job, Workflow, load_workflow
from cicd_acceptance.workflows.yamlnode import Node

__all__ = ["DEFAULT_PERMISSIONS", "JOB_TIMEOUT_MINUTES", "MAX_CALL_DEPTH", "JobSlot", "RunPlan", "execute_run"]

MAX_PARALLEL_JOBS = 3
MAX_CALL_DEPTH = 4  # GitHub allows four levels of reusable workflows
# The GITHUB_TOKEN of a workflow without a permissions block: GitHub's restricted default (read contents and
# packages), the setting of repositories created since February 2023.
DEFAULT_PERMISSIONS = {"contents": "read", "packages": "read", "metadata": "read"}
_ALL_SCOPES = ("actions", "attestations", "checks", "contents", "deployments", "discussions", "id-token", "issues",
               "models", "packages", "pages", "pull-requests", "repository-projects", "security-events", "statuses")


@dataclass(frozen=True)
class JobSlot:
    """Where a job sits on the timeline, and an outcome injected for it through the control API (if any)."""

    started_at: datetime
    completed_at: datetime
    override: tuple[str, str | None] | None = None
    carried: bool = False  # kept from the previous attempt (a re-run of failed jobs): not executed again


@dataclass
class RunPlan:
    """One attempt to execute."""

    workflow: Workflow
    event: RunEvent
    identity: RunIdentity
    source: Any  # Path of the run's checkout
    inputs: dict[str, Any]
    slot: Callable[[str, str, dict[str, Any]], JobSlot]  # (job_id, name, matrix) -> its place
    deliver: Callable[[JobResult], None]
    mint: Callable[[dict[str, str]], str]  # permissions -> a fresh GITHUB_TOKEN
    actions: Mapping[str, Action] = field(default_factory=dict)
    commit_date: datetime | None = None
    head: Commit | None = None  # the commit GITHUB_SHA names, for the checkout's .git


@dataclass
class _Summary:
    result: str
    outputs: dict[str, str]


def _order(jobs: Mapping[str, Job], where: str) -> list[str]:
    ordered: list[str] = []
    remaining = dict(jobs)
    while remaining:
        ready = [job_id for job_id, job in remaining.items() if all(need in ordered for need in job.needs)]
        if not ready:
            missing = sorted({need for job in remaining.values() for need in job.needs if need not in jobs})
            detail = f"unknown jobs in needs: {', '.join(missing)}" if missing else "a cycle in needs"
            raise HarnessError(f"{where}: {detail} ({', '.join(remaining)})")
        for job_id in ready:
            ordered.append(job_id)
            del remaining[job_id]
    return ordered


def _status(needs: list[_Summary]) -> str:
    results = {summary.result for summary in needs}
    if "failure" in results:
        return "failure"
    if "cancelled" in results:
        return "cancelled"
    return "skipped" if "skipped" in results else "success"


def _job_timeout(value: float | None) -> float:
    """A job's time bound in minutes: its own ``timeout-minutes`` when positive, never past a hosted runner's 6 h."""
    return JOB_TIMEOUT_MINUTES if value is None or value <= 0 else min(value, JOB_TIMEOUT_MINUTES)


def _permissions(workflow: Workflow, job: Job) -> dict[str, str]:
    granted = workflow.effective_permissions(job)
    if granted is None:
        return dict(DEFAULT_PERMISSIONS)
    return {scope: granted.level(scope) for scope in (*_ALL_SCOPES, "metadata")} | {"metadata": "read"}


class _Executor:
    def __init__(self, plan: RunPlan, services: Services, execution: Execution) -> None:
        self.plan = plan
        self.services = services
        self.execution = execution

    def base_contexts(self, workflow: Workflow, inputs: Mapping[str, Any],
                      secrets: Mapping[str, str]) -> dict[str, Any]:
        github = github_values(self.plan.event, self.plan.identity, job="", workspace="", token="")
        return {"github": github, "vars": dict(self.services.variables), "inputs": dict(inputs),
                "secrets": dict(secrets), "runner": runner_values("/home/runner/work/_temp", "/opt/hostedtoolcache")}

    def run_workflow(self, workflow: Workflow, inputs: Mapping[str, Any], secrets: Mapping[str, str], *,
                     prefix: str, depth: int) -> dict[str, _Summary]:
        summaries: dict[str, _Summary] = {}
        for job_id in _order(workflow.jobs, workflow.path):
            job = workflow.jobs[job_id]
            needs = {need: summaries[need] for need in job.needs}
            summaries[job_id] = self.run_job(workflow, job, needs, inputs, secrets, prefix=prefix, depth=depth)
        return summaries

    def ctx(self, contexts: dict[str, Any], workflow: Workflow, status: str | None, line: int,
            matrix: dict[str, Any] | None = None) -> RunContext:
        merged = {"env": {}, "needs": {}, "strategy": {}, "job": {}, "steps": {}, **contexts, "matrix": matrix or {}}
        return RunContext(merged, status=status or "success", path=workflow.path, line=line)

    def run_job(self, workflow: Workflow, job: Job, needs: dict[str, _Summary], inputs: Mapping[str, Any],
                secrets: Mapping[str, str], *, prefix: str, depth: int) -> _Summary:
        contexts = self.base_contexts(workflow, inputs, secrets)
        contexts["needs"] = {key: {"result": value.result, "outputs": value.outputs} for key, value in needs.items()}
        status = _status(list(needs.values()))
        base = self.ctx(contexts, workflow, status, job.line)
        contexts["env"] = {key: text(node, base.at(node.line)) for key, node in workflow.env.items()}
        base = self.ctx(contexts, workflow, status, job.line)
        display = f"{prefix}{job.name or job.id}"
        if self.execution.stop.is_set():
            return _Summary("cancelled", {})  # the attempt was cancelled: its records say so already
        try:
            runs = condition(job.if_, base)
            strategy = job.node.get("strategy")
            matrix_node = strategy.get("matrix") if strategy is not None and strategy.is_mapping else None
            combos = expand_matrix(resolve_tree(matrix_node, base), where=workflow.where(job.line)) \
                if matrix_node is not None else [{}]
            fail_fast = resolve_tree(strategy.get("fail-fast"), base) if strategy is not None and strategy.is_mapping \
                else None
        except HarnessError as exc:
            self.execution.errors.append(f"{workflow.where(job.line)}: {exc}")
            return self.fail(job, display, str(exc))
        if not runs:
            return self.skip(job, display, "skipped")
        if job.uses is not None:
            return self.call(workflow, job, contexts, base, display, depth)
        results: list[JobResult] = []
        outputs: dict[str, str] = {}
        names = [self.job_name(job, combo, contexts, workflow, prefix) for combo in combos]

        def one(index: int) -> JobResult:
            strategy_ctx = {"fail-fast": fail_fast is not False, "job-index": index, "job-total": len(combos),
                            "max-parallel": len(combos)}
            return self.one(workflow, job, names[index], combos[index], {**contexts, "strategy": strategy_ctx},
                            status)

        if fail_fast is False and len(combos) > 1:
            # Independent matrix jobs run side by side, as on GitHub (bounded: the machine is small).
            with ThreadPoolExecutor(max_workers=min(len(combos), MAX_PARALLEL_JOBS)) as pool:
                results = list(pool.map(one, range(len(combos))))
        else:
            for index, combo in enumerate(combos):
                failed = any(result.conclusion == "failure" for result in results)
                results.append(self.cancelled(job, names[index], combo) if failed else one(index))
        for result in results:
            if result.conclusion == "success":
                outputs.update({key: value for key, value in result.outputs.items() if value})
        conclusions = {result.conclusion for result in results}
        verdict = next((c for c in ("failure", "cancelled") if c in conclusions), "")
        return _Summary(verdict or ("success" if "success" in conclusions or not conclusions else "skipped"), outputs)

    def job_name(self, job: Job, combo: dict[str, Any], contexts: dict[str, Any], workflow: Workflow,
                 prefix: str) -> str:
        node = job.node.get("name")
        if node is not None:
            try:
                return prefix + text(node, self.ctx(contexts, workflow, None, job.line, combo))
            except HarnessError:
                return prefix + (job.name or job.id)
        if combo:
            return f"{prefix}{job.id} ({', '.join(to_text(value) for value in combo.values())})"
        return prefix + job.id

    def one(self, workflow: Workflow, job: Job, name: str, combo: dict[str, Any], contexts: dict[str, Any],
            status: str) -> JobResult:
        slot = self.plan.slot(job.id, name, combo)
        permissions = _permissions(workflow, job)
        token = self.plan.mint(permissions)
        github = {**contexts["github"], "job": job.id, "token": token,
                  "workspace": f"/home/runner/work/{self.plan.identity.repository.partition('/')[2]}"}
        secrets = {**contexts["secrets"], "GITHUB_TOKEN": token}
        job_contexts = {**contexts, "github": github, "secrets": secrets,
                        "job": {"status": "success", "container": {}, "services": {}}}
        ctx = self.ctx(job_contexts, workflow, status, job.line, combo)
        try:
            env = {**contexts["env"], **{key: text(node, ctx.at(node.line)) for key, node in job.env.items()}}
            timeout = minutes(job.node.get("timeout-minutes"), ctx)
        except HarnessError as exc:
            return self.failed(job, name, str(exc), combo, slot)
        spec = JobSpec(workflow=workflow, job=job, name=name, matrix=combo, contexts=job_contexts, env=env,
                       token=token, source=self.plan.source, started_at=slot.started_at,
                       completed_at=slot.completed_at, override=slot.override, commit_date=self.plan.commit_date,
                       timeout_minutes=_job_timeout(timeout), head=self.plan.head)
        if slot.carried and slot.override is not None:
            return JobResult(job.id, name, combo, slot.override[0])  # its record keeps the earlier result
        if slot.override is not None and slot.override[0] in {"cancelled", "skipped"}:
            result = JobResult(job.id, name, combo, slot.override[0])
        else:
            runner = JobRun(spec, self.services, self.plan.actions, stopping=self.execution.stop.is_set)
            result = runner.execute()
        self.plan.deliver(result)
        return result

    def cancelled(self, job: Job, name: str, combo: dict[str, Any]) -> JobResult:
        result = JobResult(job.id, name, combo, "cancelled")
        self.plan.slot(job.id, name, combo)
        self.plan.deliver(result)
        return result

    def skip(self, job: Job, name: str, conclusion: str) -> _Summary:
        slot = self.plan.slot(job.id, name, {})
        self.plan.deliver(JobResult(job.id, name, {}, conclusion, [
            StepRecord("Set up job", 1, "skipped", slot.started_at, slot.started_at)]))
        return _Summary(conclusion, {})

    def fail(self, job: Job, name: str, message: str) -> _Summary:
        self.failed(job, name, message, {})
        return _Summary("failure", {})

    def failed(self, job: Job, name: str, message: str, combo: dict[str, Any],
               slot: JobSlot | None = None) -> JobResult:
        """A job that fails before its steps (a condition, matrix, env or timeout that cannot be evaluated);
        ``slot`` when the job has already taken its place on the timeline (taking another would add a job)."""
        slot = slot or self.plan.slot(job.id, name, combo)
        log = JobLog(name)
        log.at(slot.started_at)
        log.error(message)
        result = JobResult(job.id, name, combo, "failure", [
            StepRecord("Set up job", 1, "failure", slot.started_at, slot.completed_at)], log_text=log.text(),
            annotations=list(log.annotations))
        self.plan.deliver(result)
        return result

    def call(self, workflow: Workflow, job: Job, contexts: dict[str, Any], base: RunContext, display: str,
             depth: int) -> _Summary:
        """A reusable workflow of the same repository, its jobs named ``caller / callee``."""
        uses = job.uses or ""
        if not uses.startswith("./") or depth >= MAX_CALL_DEPTH:
            reason = (f"reusable workflows nest deeper than {MAX_CALL_DEPTH}" if uses.startswith("./")
                      else f"{uses} is not in this repository: not emulated")
            return self.fail(job, display, reason)
        try:
            called = load_workflow(self.plan.source, uses[2:].partition("@")[0])
            given = {key: resolve_tree(node, base.at(node.line)) for key, node in job.with_.items()}
            inputs = _call_inputs(called, given, base)
            secrets_node = job.node.get("secrets")
            if secrets_node is not None and secrets_node.is_scalar and secrets_node.scalar_text() == "inherit":
                passed = dict(contexts["secrets"])
            else:
                passed = {key: text(node, base) for key, node in (secrets_node.items() if secrets_node is not None
                                                                  and secrets_node.is_mapping else [])}
        except HarnessError as exc:
            return self.fail(job, display, str(exc))
        summaries = self.run_workflow(called, inputs, passed, prefix=f"{display} / ", depth=depth + 1)
        jobs_ctx = {key: {"result": value.result, "outputs": value.outputs} for key, value in summaries.items()}
        outputs = _call_outputs(called, {**self.base_contexts(called, inputs, passed), "jobs": jobs_ctx}, self)
        verdict = _status(list(summaries.values()))
        return _Summary("success" if verdict == "skipped" and summaries else verdict, outputs)


def _call_node(called: Workflow) -> Node | None:
    on = called.node.get("on")
    node = on.get("workflow_call") if on is not None and on.is_mapping else None
    return node if node is not None and node.is_mapping else None


def _call_inputs(called: Workflow, given: dict[str, Any], base: RunContext) -> dict[str, Any]:
    inputs: dict[str, Any] = {}
    node = _call_node(called)
    declared = node.get("inputs") if node is not None else None
    for key, spec in (declared.items() if declared is not None and declared.is_mapping else []):
        default = spec.get("default") if spec.is_mapping else None
        inputs[key] = given.get(key, resolve_tree(default, base) if default is not None else None)
    return {**given, **inputs}


def _call_outputs(called: Workflow, contexts: dict[str, Any], executor: _Executor) -> dict[str, str]:
    node = _call_node(called)
    declared = node.get("outputs") if node is not None else None
    found: dict[str, str] = {}
    for key, spec in (declared.items() if declared is not None and declared.is_mapping else []):
        value = spec.get("value") if spec.is_mapping else None
        if value is not None:
            try:
                found[key] = text(value, executor.ctx(contexts, called, None, value.line))
            except HarnessError:
                found[key] = ""
    return found


def execute_run(plan: RunPlan, services: Services, execution: Execution) -> None:
    """Execute every job of ``plan``; results go to ``plan.deliver`` and ``execution.jobs``; never raises."""
    executor = _Executor(plan, services, execution)
    original = plan.deliver

    def deliver(result: JobResult) -> None:
        execution.jobs.append(result)
        original(result)

    plan.deliver = deliver
    try:
        secrets = dict(services.secrets)
        executor.run_workflow(plan.workflow, plan.inputs, secrets, prefix="", depth=0)
    except HarnessError as exc:
        execution.errors.append(str(exc))
