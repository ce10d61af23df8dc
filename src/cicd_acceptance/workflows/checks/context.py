"""What every rule reads: the target, the plan, and the two workflows, each loaded once and shared.

A :class:`CheckContext` is safe to share between threads (tool rules run in the background while the pure rules
run), so the workflow cache is guarded by a lock. Loading errors are not swallowed here: :class:`Rule` turns a
:class:`~cicd_acceptance.errors.WorkflowLoadError` into a finding of the rule that needed the file.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cicd_acceptance.errors import HarnessError, WorkflowLoadError
from cicd_acceptance.plan import Plan
from cicd_acceptance.target import Target
from cicd_acceptance.targetfiles import read_target_bytes
from cicd_acceptance.workflows.event import BuildEvent, github_context
from cicd_acceptance.workflows.expressions import ExprContext, evaluate_if
from cicd_acceptance.workflows.localfiles import LocalFiles
from cicd_acceptance.workflows.model import Job, Step, Workflow, load_workflow
from cicd_acceptance.workflows.yamlnode import Node

if TYPE_CHECKING:  # the publication plan (metadata-action, shell, JavaScript regexes) loads on first use
    from cicd_acceptance.workflows.publication import PublicationPlan

__all__ = ["BUILD_ACTION", "ActionStep", "CheckContext", "GoMod", "action_step", "build_jobs", "first_builds",
           "first_pushes", "first_step", "may_push"]

BUILD_ACTION = "docker/build-push-action"
"""The steps that build: ``pubsteps.BUILD_PUSH_ACTION`` too (the rules and the publication walk must agree; a test
holds them equal), written out so that the rules load without the publication plan."""
_MAX_CALLEES = 16
_GO_LINE = re.compile(r"^go\s+(?P<version>\S+)\s*(?://.*)?$")
_TOOLCHAIN_LINE = re.compile(r"^toolchain\s+go(?P<version>\S+)\s*(?://.*)?$")


@dataclass(frozen=True)
class GoMod:
    """The Go versions ``go.mod`` names: its ``go`` line and optional ``toolchain`` line, with their lines."""

    path: str
    go: str | None
    go_line: int
    toolchain: str | None
    toolchain_line: int


class CheckContext:
    """The target and plan of one acceptance run, with the workflows parsed on first use."""

    def __init__(self, target: Target, plan: Plan) -> None:
        self.target = target
        self.plan = plan
        self._lock = threading.Lock()
        self._workflows: dict[str, Workflow | WorkflowLoadError] = {}
        self._plans: dict[tuple[str, str], PublicationPlan] = {}
        self.files = LocalFiles(target.repo_dir)

    @property
    def repo_dir(self) -> Path:
        return self.target.repo_dir

    def workflow(self, rel_path: str) -> Workflow:
        """The parsed workflow at ``rel_path``; raises the same ``WorkflowLoadError`` to every caller."""
        with self._lock:
            if rel_path not in self._workflows:
                try:
                    self._workflows[rel_path] = load_workflow(self.repo_dir, rel_path)
                except WorkflowLoadError as exc:
                    self._workflows[rel_path] = exc
            result = self._workflows[rel_path]
        if isinstance(result, WorkflowLoadError):
            raise result
        return result

    def ci(self) -> Workflow:
        return self.workflow(self.plan.ci_workflow)

    def build(self) -> Workflow:
        return self.workflow(self.plan.build_workflow)

    def build_workflows(self) -> list[Workflow]:
        """The build workflow and the reusable workflows of the repository it calls (directly or not; bounded).
        A callee that cannot be read is left out here: the publication plan notes it."""
        found = {self.plan.build_workflow: self.build()}
        queue = [self.build()]
        while queue and len(found) < _MAX_CALLEES:
            for job in queue.pop(0).jobs.values():
                if job.uses is None or not job.uses.startswith("./"):
                    continue
                try:
                    callee = self.files.workflow(job.uses)
                except HarnessError:
                    continue
                if callee.path not in found:
                    found[callee.path] = callee
                    queue.append(callee)
        return list(found.values())

    def test_job(self) -> Job | None:
        """The plan's test job of the CI workflow (None when absent: ``ci-test-job`` reports that)."""
        return self.ci().jobs.get(self.plan.test_job)

    def publication(self, event_name: str, branch: str | None = None) -> PublicationPlan:
        """What the build workflow would push for ``event_name`` on ``branch`` (default: the default branch)."""
        event = self.event(event_name, branch)
        key = (event_name, event.ref)
        with self._lock:
            cached = self._plans.get(key)
        if cached is None:
            from cicd_acceptance.workflows.publication import publication_plan

            cached = publication_plan(self.build(), event, files=self.files)
            with self._lock:
                self._plans[key] = cached
        return cached

    def event(self, event_name: str, branch: str | None = None) -> BuildEvent:
        """``event_name`` on ``branch`` (default: the plan's default branch) at the target's HEAD; a ``branch``
        starting with ``refs/`` is taken as a whole ref (``refs/tags/v1.0.0``)."""
        ref = f"refs/heads/{branch or self.plan.default_branch}"
        if branch is not None and branch.startswith("refs/"):
            ref = branch
        if event_name == "pull_request" and branch is None:
            ref = "refs/pull/1/merge"  # a pull request runs on its merge ref, not on the base branch
        # The commit date is the checkout's (metadata-action's {{commit_date}}); when the build runs stays unknown.
        return BuildEvent(event_name=event_name, ref=ref, sha=self.target.head_sha,
                          default_branch=self.plan.default_branch, repository=self.target.repository,
                          commit_date=self.target.commit_date)

    def skipped_on(self, workflow: Workflow, condition: str | None, events: tuple[str, ...]) -> list[str]:
        """Events (on the default branch) for which ``condition`` (a job or step ``if:``) is known to be false."""
        skipped = []
        for event in events:
            ctx = ExprContext(github=github_context(self.event(event)), path=workflow.path)
            if evaluate_if(condition, ctx.with_env_nodes(workflow.env)) is False:
                skipped.append(event)
        return skipped

    def go_mod(self) -> GoMod | None:
        """The versions in the target's ``go.mod`` (None when it has none)."""
        try:
            data = read_target_bytes(self.repo_dir, "go.mod")
        except WorkflowLoadError as exc:
            if exc.reason == "file not found":
                return None
            raise  # a go.mod that is a FIFO, /dev/zero or outside the repository is the rule's finding
        text = data.decode("utf-8", errors="replace")
        go = toolchain = None
        go_line = toolchain_line = 0
        for number, line in enumerate(text.splitlines(), start=1):
            if (match := _GO_LINE.match(line.strip())) and go is None:
                go, go_line = match["version"], number
            elif (match := _TOOLCHAIN_LINE.match(line.strip())) and toolchain is None:
                toolchain, toolchain_line = match["version"], number
        return GoMod("go.mod", go, go_line, toolchain, toolchain_line)


def build_jobs(workflow: Workflow) -> list[Job]:
    """Jobs of ``workflow`` that run docker/build-push-action."""
    return [job for job in workflow.jobs.values() if job.steps_using(BUILD_ACTION)]


def first_builds(workflow: Workflow) -> list[tuple[Job, Step]]:
    """Each job of ``workflow`` that runs docker/build-push-action, with its first build step."""
    return [(job, job.steps_using(BUILD_ACTION)[0]) for job in build_jobs(workflow)]


def may_push(step: Step) -> bool:
    """Whether a docker/build-push-action step can push: ``push:`` not literally false (an expression may be
    true), or an ``outputs:`` exporter that pushes. A ``load: true`` test build publishes nothing."""
    push = (step.with_text("push") or "").strip().lower()
    if push not in ("", "false"):
        return True
    outputs = (step.with_text("outputs") or "").replace(" ", "").lower()
    return "type=registry" in outputs or "push=true" in outputs


def first_pushes(workflow: Workflow) -> list[tuple[Job, Step]]:
    """Each job of ``workflow`` whose docker/build-push-action steps can push, with the first that can."""
    found = []
    for job in build_jobs(workflow):
        pushing = [step for step in job.steps_using(BUILD_ACTION) if may_push(step)]
        if pushing:
            found.append((job, pushing[0]))
    return found


def first_step(job: Job, action: str) -> Step | None:
    """The first step of ``job`` that uses ``action``."""
    steps = job.steps_using(action)
    return steps[0] if steps else None


@dataclass(frozen=True)
class ActionStep:
    """A step that uses an action: one of the job's own, or one inside a local composite action the job calls
    (``uses: ./.github/actions/setup``), with the job's ``caller`` step, the file it is written in and the inputs
    the caller gives the composite (its ``with:``, else the input's default; None for a step of the job)."""

    step: Step
    caller: Step
    path: str
    inputs: dict[str, str] | None = None


def action_step(ctx: CheckContext, workflow: Workflow, job: Job, action: str) -> ActionStep | None:
    """The first step of ``job`` that uses ``action``, directly or in a local composite action it calls (one level:
    a project's shared "setup" action)."""
    for step in job.steps:
        if step.uses_action(action):
            return ActionStep(step, step, workflow.path)
        if step.uses is not None and step.uses.startswith("./"):
            try:
                composite = ctx.files.action(step.uses)
            except HarnessError:
                continue  # an action that cannot be read sets nothing up here
            inner = next((s for s in composite.steps if s.uses_action(action)), None)
            if inner is not None:
                return ActionStep(inner, step, composite.path, _inputs(step, composite.inputs))
    return None


def _inputs(caller: Step, declared: dict[str, Node]) -> dict[str, str]:
    given = {name: node.scalar_text() for name, node in caller.with_.items() if node.is_scalar}
    defaults = {name: default.scalar_text() for name, spec in declared.items()
                if spec.is_mapping and (default := spec.get("default")) is not None and default.is_scalar}
    return {**defaults, **given}
