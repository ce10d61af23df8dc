"""build-setup: every job that builds images sets up Buildx, and QEMU where it needs one, before its build step.

QEMU emulates other CPUs. A build for several platforms, or for one whose architecture is not the runner's, needs
it; a build for the runner's own platform (no ``platforms``, or ``linux/arm64`` on an arm runner) does not, so a
workflow without it there does what the plan asks. A platform or runner only a run knows is not judged: the run
fails on its own where emulation is missing, and the live check sees that. A script step that installs the
emulators the way setup-qemu-action does (``docker run --privileged tonistiigi/binfmt --install ...``, the
``multiarch/qemu-user-static`` image, or the ``qemu-user-static`` package) sets QEMU up just as well, and
``docker buildx create --use`` sets a Buildx builder up as setup-buildx-action does.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cicd_acceptance.workflows.checks.context import CheckContext, first_builds, first_step
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected
from cicd_acceptance.workflows.model import Job, Step, Workflow

if TYPE_CHECKING:  # the publication plan loads when a build rule first needs it (start-up stays light)
    from cicd_acceptance.workflows.publication import PublicationPlan

__all__ = ["RULE"]

ID = "build-setup"
QEMU = "docker/setup-qemu-action"
# An arm runner's label names arm as a word of its own (ubuntu-24.04-arm, linux-arm64, ARM64), not inside one (farm).
_ARM_LABEL = re.compile(r"(?:^|[-_.\s])(?:arm|arm64|aarch64)(?:$|[-_.\s])", re.IGNORECASE)
SETUP_ACTIONS = (QEMU, "docker/setup-buildx-action")
_SETUP_SCRIPTS = {
    QEMU: re.compile(r"tonistiigi/binfmt\b.*--install|multiarch/qemu-user-static\b"
                     r"|apt(?:-get)?\s+install\b.*\bqemu-user-static\b"),
    "docker/setup-buildx-action": re.compile(r"docker\s+buildx\s+create\b.*--use\b"),
}


def _setup_step(job: Job, action: str) -> Step | None:
    """The first step that does ``action``'s set-up: the action itself, or a script doing the same."""
    found = first_step(job, action)
    pattern = _SETUP_SCRIPTS[action]
    scripts = [step for step in job.steps if step.run and pattern.search(step.run)]
    return min((step for step in (found, *scripts[:1]) if step is not None), key=lambda step: step.index,
               default=None)


def _emulates(platforms: tuple[object, ...], runs_on: tuple[str, ...]) -> bool:
    """Whether building ``platforms`` on a runner labelled ``runs_on`` needs CPU emulation (False when unknown)."""
    if not platforms or not all(isinstance(platform, str) for platform in platforms):
        return False
    if len(set(platforms)) > 1:
        return True
    if any("${{" in label for label in runs_on):
        return False
    runner = "arm64" if any(_ARM_LABEL.search(label) for label in runs_on) else "amd64"
    parts = str(platforms[0]).strip().split("/")
    return len(parts) < 2 or parts[1] != runner


def _plan(ctx: CheckContext) -> PublicationPlan:
    return ctx.publication("push") if ctx.publication("push").runs else ctx.publication("workflow_dispatch")


def _needs(ctx: CheckContext, workflow: Workflow, job: Job, action: str) -> bool:
    if action != QEMU:
        return True
    return any(_emulates(entry.platforms, job.runs_on) for entry in _plan(ctx).entries
               if entry.path == workflow.path and entry.job_id == job.id)


def _check(ctx: CheckContext) -> list[Finding]:
    findings: list[Finding] = []
    for workflow, job, build in ((w, j, b) for w in ctx.build_workflows() for j, b in first_builds(w)):
        for action in (action for action in SETUP_ACTIONS if _needs(ctx, workflow, job, action)):
            setup = _setup_step(job, action)
            if setup is None:
                findings.append(Finding(workflow.path, build.line, 0, ID, expected(
                    f"a {action} step before the build (line {build.line})", f"none in job '{job.id}'")))
            elif setup.index > build.index:
                found = "it after the build" if setup.run is None else f"'{setup.label}' after the build"
                findings.append(Finding(workflow.path, setup.line, 0, ID, expected(
                    f"{action} before the build (line {build.line})", found)))
    return findings + _shell_builds(ctx)


_OTHER_BUILDS = ("run: docker buildx build", "run: docker buildx bake", "docker/bake-action")


def _shell_builds(ctx: CheckContext) -> list[Finding]:
    """``docker buildx build`` or ``bake`` in a ``run:`` step, and docker/bake-action, need the same set-up."""
    workflow = ctx.build()
    plan = _plan(ctx)
    findings: list[Finding] = []
    seen: set[str] = set()
    for entry in plan.entries:
        job = workflow.jobs.get(entry.job_id)
        if job is None or entry.path != workflow.path or not entry.via.startswith(_OTHER_BUILDS):
            continue
        if job.id in seen:
            continue
        seen.add(job.id)
        for action in (action for action in SETUP_ACTIONS if _needs(ctx, workflow, job, action)):
            setup = _setup_step(job, action)
            if setup is None or setup.line > entry.line:
                findings.append(Finding(workflow.path, entry.line, 0, ID, expected(
                    f"a {action} step before the build (line {entry.line})",
                    f"none in job '{job.id}'" if setup is None else f"it at line {setup.line}, after the build")))
    return findings


RULE = Rule(ID, "it sets up Buildx, and QEMU for other platforms, before building", _check)
