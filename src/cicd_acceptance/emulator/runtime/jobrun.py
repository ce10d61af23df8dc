"""One job (one matrix combination) executed step by step, as a runner executes it.

``run:`` steps go through :mod:`cicd_acceptance.runner` in the job's workspace; ``uses:`` steps go to the native
emulation of known actions (:mod:`.actions`). Conditions, names, inputs, ``env:`` and scripts are evaluated
just before each step with the contexts as they are then (earlier steps' outputs and ``GITHUB_ENV``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cicd_acceptance.emulator.github.repo import Commit
from cicd_acceptance.emulator.runtime.composite import MAX_COMPOSITE_DEPTH, CompositeAction, load_composite
from cicd_acceptance.emulator.runtime.contexts import runner_env
from cicd_acceptance.emulator.runtime.docker_standin import STAND_IN
from cicd_acceptance.emulator.runtime.logs import Annotation, JobLog
from cicd_acceptance.emulator.runtime.results import JobResult, StepRecord
from cicd_acceptance.emulator.runtime.services import Services
from cicd_acceptance.emulator.runtime.values import RunContext, condition, minutes, resolve_tree, text
from cicd_acceptance.emulator.runtime.workdirs import WorkDir
from cicd_acceptance.errors import HarnessError
from cicd_acceptance.runner import JobWorkspace, StepSpec
from cicd_acceptance.workflows.model import Job, Step, Workflow
from cicd_acceptance.workflows.yamlnode import Node

__all__ = ["JOB_TIMEOUT_MINUTES", "NOT_EMULATED", "ActionResult", "JobRun", "JobSpec", "StepCall", "go_duration"]

_SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# The title of the warning annotation on a step that was not run: what a harness reads through the checks API.
NOT_EMULATED = "Not emulated"
# A job's default timeout-minutes, and the most a job of a GitHub-hosted runner (the only kind emulated) may run.
JOB_TIMEOUT_MINUTES = 360.0


def go_duration(seconds: float) -> str:
    """``1m0s``, ``45m0s``, ``6h0m0s``: how GitHub's job-timeout annotation writes the bound (Go's format)."""
    hours, rest = divmod(int(seconds), 3600)
    mins, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{mins}m{secs}s"
    return f"{mins}m{secs}s" if mins else f"{secs}s"


@dataclass(frozen=True)
class JobSpec:
    """A job to execute: the workflow, the job, its display name and matrix combination, the contexts known before
    it starts (``github``, ``vars``, ``secrets``, ``needs``, ``inputs``, ``strategy``, ``runner``, ``job``), the
    ``env`` it inherits, its token (and the permissions it was minted with), and where its log is stamped."""

    workflow: Workflow
    job: Job
    name: str
    matrix: dict[str, Any]
    contexts: dict[str, Any]
    env: dict[str, str]
    token: str
    source: Path  # the run's checkout, copied into the workspace by actions/checkout
    started_at: datetime
    completed_at: datetime
    override: tuple[str, str | None] | None = None  # injected (conclusion, step) from the control API
    commit_date: datetime | None = None  # the run's commit's committer date
    timeout_minutes: float = JOB_TIMEOUT_MINUTES  # the job's evaluated timeout-minutes
    head: Commit | None = None  # the commit GITHUB_SHA names (None: the checkout gets no .git)


@dataclass
class StepCall:
    """A ``uses:`` step as an action implementation sees it: evaluated ``inputs`` and the job's state."""

    step: Step
    name: str
    inputs: dict[str, str]
    ctx: RunContext
    run: JobRun

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.inputs.get(key, "").strip().lower()
        return default if not value else value == "true"


@dataclass
class ActionResult:
    """What an action did: ``ok``, its outputs, environment it exported, and whether it was really emulated."""

    ok: bool = True
    outputs: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    emulated: bool = True


Action = Callable[[StepCall], ActionResult]


class JobRun:
    """The state of one executing job: workspace, log, logins, exported env, pushed images."""

    def __init__(self, spec: JobSpec, services: Services, actions: Mapping[str, Action], *,
                 stopping: Callable[[], bool]) -> None:
        self.spec = spec
        self.services = services
        self.actions = actions
        self.stopping = stopping
        self.workdir = WorkDir(services.work_base)
        self.root = self.workdir.path
        name = services.repository.partition("/")[2]
        self.workspace = self.root / "work" / name / name
        self.temp = self.root / "temp"
        self.tool_bin = self.root / "bin"
        for folder in (self.workspace, self.temp, self.tool_bin, self.root / "home"):
            folder.mkdir(parents=True, exist_ok=True)
        secrets = [value for value in spec.contexts.get("secrets", {}).values() if isinstance(value, str)]
        self.log = JobLog(spec.name, (spec.token, *secrets))
        self.env: dict[str, str] = {}  # GITHUB_ENV and action exports, visible to later steps
        self.logins: dict[str, str] = {}  # registry host -> password used by docker/login-action
        self.pushed: list[str] = []
        self.not_emulated: list[str] = []
        self.steps_ctx: dict[str, dict[str, Any]] = {}
        self.status = "success"
        self.moment = spec.started_at  # the emulated time of the step being executed
        self._docker_session = ""
        self._docker_url = ""
        self.inputs_override: dict[str, Any] | None = None  # a composite action's inputs while its steps run
        self._depth = 0
        self._workspace: JobWorkspace | None = None
        self._job_env: dict[str, str] = {}
        self.on_start: list[Callable[[JobRun], None]] = []
        self.timed_out = False  # the job outlasted its timeout-minutes: it is cancelled
        self._deadline = services.monotonic() + spec.timeout_minutes * services.limits.minute_s

    # -- contexts --------------------------------------------------------------------------------------------
    @property
    def github(self) -> dict[str, Any]:
        github: dict[str, Any] = self.spec.contexts["github"]
        return github

    def context(self, extra_env: Mapping[str, str] | None = None) -> RunContext:
        env = {**self.spec.env, **self.env, **(extra_env or {})}
        contexts = {"needs": {}, "strategy": {}, **self.spec.contexts, "env": env, "steps": self.steps_ctx,
                    "matrix": self.spec.matrix}
        if self.inputs_override is not None:
            contexts["inputs"] = self.inputs_override
        return RunContext(contexts, status=self.status, workspace=self.workspace, path=self.spec.workflow.path)

    def runner_env(self) -> dict[str, str]:
        go_cache = self.services.go_cache
        extra = {"RUNNER_TEMP": str(self.temp), "RUNNER_TOOL_CACHE": str(self.root / "toolcache"),
                 "GOCACHE": str(go_cache / "build"), "GOMODCACHE": str(go_cache / "mod"), "GOPROXY": "off",
                 "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod", "DOCKER_CONFIG": str(self.root / "docker")}
        if self._docker_session:
            extra.update(EMULATOR_DOCKER_URL=self._docker_url, EMULATOR_DOCKER_SESSION=self._docker_session)
        return runner_env(self.github, path=f"{self.tool_bin}:{_SYSTEM_PATH}", home=str(self.root / "home"),
                          extra=extra)

    # -- running ---------------------------------------------------------------------------------------------
    def execute(self) -> JobResult:
        try:
            return self._execute()
        finally:
            if self.services.docker is not None and self._docker_session:
                self.services.docker.close(self._docker_session)
            self.workdir.close()

    def _execute(self) -> JobResult:
        spec = self.spec
        steps = spec.job.steps
        span = (spec.completed_at - spec.started_at) / max(len(steps) + 2, 1)
        records = [self._record("Set up job", 1, "success", spec.started_at, span)]
        self.log.at(spec.started_at)
        self.log.group("Runner Image")
        self.log.write("Image: ubuntu-24.04 (emulated: steps run on this machine)")
        self.log.endgroup()
        self.log.write(f"Job is about to start running on the runner: {spec.name}")
        for hook in self.on_start:
            hook(self)
        if self.services.docker is not None and any("docker" in (step.run or "") for step in spec.job.steps):
            self._docker_session = self.services.docker.open(self)
            self._docker_url = self.services.docker.start()
            stand_in = self.tool_bin / "docker"
            stand_in.write_text(STAND_IN, encoding="utf-8")
            stand_in.chmod(0o755)
        try:
            workspace = JobWorkspace(self.workspace, runner_env=self.runner_env(), limits=self.services.limits,
                                     writable=(self.services.go_cache, self.root))
        except HarnessError as exc:  # no isolation on this machine: the target's commands are not run
            self.log.error(str(exc))
            return JobResult(spec.job.id, spec.name, dict(spec.matrix), "failure",
                             [*records[:1], self._record("Complete job", len(steps) + 2, "failure", spec.started_at,
                                                         span)], {}, self.log.text(), list(self.log.annotations))
        with workspace:
            return self._steps(workspace, records, span)

    def _steps(self, workspace: JobWorkspace, records: list[StepRecord], span: timedelta) -> JobResult:
        spec = self.spec
        steps = spec.job.steps
        job_env = dict(spec.env)
        injected_at = _injected_index(spec)
        self._workspace, self._job_env = workspace, job_env
        for index, step in enumerate(steps):
            start = spec.started_at + span * (index + 1)
            self.moment = start
            self.log.at(start)
            ctx = self.context().at(step.line)
            name = text(step.node.get("name"), ctx) if step.name else _default_name(step)
            if not self.stopping() and self.status != "cancelled" and self._left() <= 0:
                self._job_timed_out()
            if self.stopping() or self.status == "cancelled":
                records.append(self._record(name, index + 2, "cancelled", start, span))
                self.status = "cancelled"
                continue
            try:
                conclusion = self._step(step, name, ctx, workspace, job_env, injected=index == injected_at)
            except HarnessError as exc:
                self.log.error(str(exc), path=spec.workflow.path, line=step.line)
                conclusion = "failure"
                self.status = "failure"
            records.append(self._record(name, index + 2, conclusion, start, span,
                                        emulated=name not in self.not_emulated))
        end = spec.completed_at - span
        self.log.at(end)
        self.log.write("Cleaning up orphan processes")
        records.append(self._record("Complete job", len(steps) + 2, "success", end, span))
        outputs = self._outputs()
        conclusion = "failure" if self.status == "failure" else self.status
        return JobResult(spec.job.id, spec.name, dict(spec.matrix), conclusion, records, outputs, self.log.text(),
                         list(self.log.annotations), list(self.not_emulated), list(self.pushed))

    def _record(self, name: str, number: int, conclusion: str, start: datetime, span: timedelta, *,
                emulated: bool = True) -> StepRecord:
        if conclusion in {"skipped", "cancelled"}:
            return StepRecord(name, number, conclusion, start, start, emulated)
        return StepRecord(name, number, conclusion, start, start + span, emulated)

    def _step(self, step: Step, name: str, ctx: RunContext, workspace: JobWorkspace, job_env: dict[str, str],
              *, injected: bool) -> str:
        if self.timed_out or self._left() <= 0:  # a composite action's later steps, past the job's bound
            if not self.timed_out:
                self._job_timed_out()
            self._set_step(step, {}, "cancelled", "cancelled")
            return "cancelled"
        step_env = {key: text(node, ctx.at(node.line)) for key, node in step.env.items()}
        ctx = self.context(step_env).at(step.line)
        if not condition(step.if_, ctx):
            self._set_step(step, {}, "skipped", "skipped")
            return "skipped"
        if injected:
            self.log.group(f"Run {step.uses or name}")
            self.log.endgroup()
            self.log.write("(a failure injected through the emulator's outcome override: the step was not run)")
            self.log.error("Process completed with exit code 1.")
            self._set_step(step, {}, "failure", "failure")
            self.status = "failure"
            return "failure"
        if step.run is not None:
            ok, outputs = self._run(step, name, ctx, workspace, {**job_env, **self.env, **step_env}, set(step_env))
        else:
            ok, outputs = self._uses(step, name, ctx, step_env)
        if self.timed_out:  # the job's bound passed during the step: the runner cancels it
            self._set_step(step, outputs, "cancelled", "cancelled")
            return "cancelled"
        outcome = "success" if ok else "failure"
        keep_going = bool(resolve_tree(step.node.get("continue-on-error"), ctx)) if not ok else False
        conclusion = "success" if ok or keep_going else "failure"
        self._set_step(step, outputs, outcome, conclusion)
        if conclusion == "failure":
            self.status = "failure"
        return conclusion

    def _set_step(self, step: Step, outputs: Mapping[str, str], outcome: str, conclusion: str) -> None:
        if step.id:
            self.steps_ctx[step.id] = {"outputs": dict(outputs), "outcome": outcome, "conclusion": conclusion}

    def _run(self, step: Step, name: str, ctx: RunContext, workspace: JobWorkspace,
             env: dict[str, str], own: set[str]) -> tuple[bool, dict[str, str]]:
        script = text(step.node.get("run"), ctx)
        shell = self._default("shell", step, ctx)
        directory = self._directory(self._default("working-directory", step, ctx))
        self.log.group(f"Run {script.strip().splitlines()[0] if script.strip() else name}")
        for line in script.splitlines():
            self.log.write(line)
        if env:
            self.log.write("env:")
            for key, value in env.items():
                self.log.write(f"  {key}: {value}")
        self.log.endgroup()
        step_minutes = self._step_minutes(step, ctx)
        step_s = step_minutes * self.services.limits.minute_s if step_minutes else None
        left = self._left()
        result = workspace.run(StepSpec(script=script, shell=shell or None, working_directory=directory, env=env,
                                        name=name, step_env_keys=frozenset(own),
                                        timeout_s=min(left, step_s) if step_s else left))
        self.log.output(result.output)
        if result.truncated:
            self.log.warning("the step's output was truncated to its last part")
        for problem in result.errors:
            self.log.error(problem)
        self.env.update(result.env_added)
        if result.timed_out:
            self._timed_out(name, step_minutes, step_s, left)
        elif not result.ok:
            self.log.error(f"Process completed with exit code {result.exit_code}.")
        return result.ok, dict(result.outputs)

    # -- time bounds ----------------------------------------------------------------------------------------
    def _left(self) -> float:
        """Real seconds left before the job's ``timeout-minutes`` passes."""
        return self._deadline - self.services.monotonic()

    def _step_minutes(self, step: Step, ctx: RunContext) -> int | None:
        """The step's ``timeout-minutes``: whole minutes as the runner takes them; 0 or less means none. A value
        that is not a number is logged and the step runs without its own bound, as on a runner."""
        try:
            value = minutes(step.node.get("timeout-minutes"), ctx)
        except HarnessError as exc:
            self.log.error("An error occurred when attempting to determine the step timeout.")
            self.log.error(str(exc))
            return None
        return int(value) if value is not None and int(value) > 0 else None

    def _timed_out(self, name: str, step_minutes: int | None, step_s: float | None, left: float) -> None:
        """Say which bound stopped a step: the job's (the job is cancelled), the step's own, or the emulator's."""
        limit_s = self.services.limits.timeout_s
        if left < limit_s and (step_s is None or left < step_s):
            self.log.error("The operation was canceled.")
            self._job_timed_out()
        elif step_s is not None and step_s <= limit_s:
            self.log.error(f"The action '{name}' has timed out after {step_minutes} minutes.")
        else:
            self.log.error(f"The action '{name}' has timed out after {limit_s:g} seconds (the emulator's bound "
                           "of one step).")

    def _job_timed_out(self) -> None:
        self.timed_out = True
        self.status = "cancelled"
        bound = go_duration(self.spec.timeout_minutes * 60)
        self.log.annotations.append(Annotation(
            "failure", f"The job has exceeded the maximum execution time of {bound}", self.spec.name))

    def _default(self, key: str, step: Step, ctx: RunContext) -> str:
        own = step.node.get(key)
        if own is not None:
            return text(own, ctx)
        for holder in (self.spec.job.node, self.spec.workflow.node):
            defaults = holder.get("defaults")
            run = defaults.get("run") if defaults is not None and defaults.is_mapping else None
            value = run.get(key) if run is not None and run.is_mapping else None
            if value is not None:
                return text(value, ctx)
        return ""

    def _directory(self, relative: str) -> Path:
        if not relative:
            return self.workspace
        target = (self.workspace / relative).resolve()
        if not target.is_relative_to(self.workspace.resolve()):
            raise HarnessError(f"working-directory {relative!r} is outside the workspace")
        if not target.is_dir():
            raise HarnessError(f"working-directory {relative!r} does not exist in the workspace")
        return target

    def _uses(self, step: Step, name: str, ctx: RunContext, step_env: dict[str, str]) -> tuple[bool, dict[str, str]]:
        inputs = {key: text(node, ctx.at(node.line)) for key, node in step.with_.items()}
        self.log.group(f"Run {step.uses}")
        if inputs:
            self.log.write("with:")
        for key, value in inputs.items():
            lines = value.splitlines() or [""]
            self.log.write(f"  {key}: {lines[0]}")
            for line in lines[1:]:
                self.log.write(f"  {line}")
        self.log.endgroup()
        if (step.uses or "").startswith("./"):
            return self._composite(step, name, ctx, inputs)
        action = self.actions.get((step.action or "").lower())
        if action is None:
            return self._not_emulated(step, name)
        result = action(StepCall(step, name, inputs, ctx, self))
        if not result.emulated:
            return self._not_emulated(step, name)
        self.env.update(result.env)
        return result.ok, result.outputs

    def _composite(self, step: Step, name: str, ctx: RunContext,
                   inputs: dict[str, str]) -> tuple[bool, dict[str, str]]:
        if self._depth >= MAX_COMPOSITE_DEPTH:
            raise HarnessError(f"{step.uses}: composite actions nest deeper than {MAX_COMPOSITE_DEPTH}")
        action = load_composite(self.workspace, step.uses or "")
        if action is None:
            return self._not_emulated(step, name)
        workspace = self._workspace
        assert workspace is not None

        def invoke(inner: Step) -> bool:
            inner_ctx = self.context().at(inner.line, action.path)
            inner_name = text(inner.node.get("name"), inner_ctx) if inner.name else _default_name(inner)
            return self._step(inner, inner_name, inner_ctx, workspace, self._job_env, injected=False) != "failure"

        self._depth += 1
        try:
            return self._run_composite(action, inputs, ctx, invoke)
        finally:
            self._depth -= 1

    def _run_composite(self, action: CompositeAction, given: dict[str, str], ctx: RunContext,
                       invoke: Callable[[Step], bool]) -> tuple[bool, dict[str, str]]:
        """Run the action's steps with their own ``steps`` and ``inputs`` contexts; returns ok and outputs."""
        inputs: dict[str, Any] = {}
        for key, spec in action.inputs.items():
            default = spec.get("default") if spec.is_mapping else None
            inputs[key] = given.get(key, text(default, ctx) if default is not None else "")
        inputs.update({key: value for key, value in given.items() if key not in inputs})
        saved_steps, saved_inputs = self.steps_ctx, self.inputs_override
        self.steps_ctx, self.inputs_override = {}, inputs
        try:
            ok = all(invoke(step) for step in action.steps)
            inner = self.context()
            outputs = {key: text(node, inner) for key, node in action.outputs.items()}
        finally:
            self.steps_ctx, self.inputs_override = saved_steps, saved_inputs
        return ok, outputs

    def _not_emulated(self, step: Step, name: str) -> tuple[bool, dict[str, str]]:
        self.not_emulated.append(name)
        self.log.warning(f"{step.uses} is not emulated: the step '{name}' was not run (the emulator treats it as "
                         "passed)", title=NOT_EMULATED)
        return True, {}

    def _outputs(self) -> dict[str, str]:
        node: Node | None = self.spec.job.node.get("outputs")
        if node is None or not node.is_mapping:
            return {}
        ctx = self.context()
        found = {}
        for key, child in node.items():
            try:
                found[key] = text(child, ctx.at(child.line))
            except HarnessError as exc:
                self.log.warning(f"job output {key!r}: {exc}")
        return found


def _injected_index(spec: JobSpec) -> int | None:
    """The step an injected failure happens at: the named one, else the last (as the timeline view shows it)."""
    if spec.override is None or spec.override[0] not in {"failure", "timed_out"} or not spec.job.steps:
        return None
    wanted = spec.override[1]
    for step in spec.job.steps:
        if wanted is not None and wanted in {step.name, _default_name(step)}:
            return step.index
    return len(spec.job.steps) - 1


def _default_name(step: Step) -> str:
    if step.uses:
        return f"Run {step.uses}"
    first = (step.run or "").strip().splitlines()
    return f"Run {first[0]}" if first else f"Step {step.index + 1}"
