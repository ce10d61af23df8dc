"""build-setup: every job that builds images sets up QEMU and Buildx before its build step."""

from __future__ import annotations

from cicd_acceptance.workflows.checks.context import CheckContext, first_builds, first_step
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected

__all__ = ["RULE"]

ID = "build-setup"
SETUP_ACTIONS = ("docker/setup-qemu-action", "docker/setup-buildx-action")


def _check(ctx: CheckContext) -> list[Finding]:
    findings: list[Finding] = []
    for workflow, job, build in ((w, j, b) for w in ctx.build_workflows() for j, b in first_builds(w)):
        for action in SETUP_ACTIONS:
            setup = first_step(job, action)
            if setup is None:
                findings.append(Finding(workflow.path, build.line, 0, ID, expected(
                    f"a {action} step before the build (line {build.line})", f"none in job '{job.id}'")))
            elif setup.index > build.index:
                findings.append(Finding(workflow.path, setup.line, 0, ID, expected(
                    f"{action} before the build (line {build.line})", "it after the build")))
    return findings + _shell_builds(ctx)


def _shell_builds(ctx: CheckContext) -> list[Finding]:
    """``docker buildx build`` in a ``run:`` step of the build workflow needs the same set-up before it."""
    workflow = ctx.build()
    plan = ctx.publication("push") if ctx.publication("push").runs else ctx.publication("workflow_dispatch")
    findings: list[Finding] = []
    seen: set[str] = set()
    for entry in plan.entries:
        job = workflow.jobs.get(entry.job_id)
        if job is None or entry.path != workflow.path or not entry.via.startswith("run: docker buildx build"):
            continue
        if job.id in seen:
            continue
        seen.add(job.id)
        for action in SETUP_ACTIONS:
            setup = first_step(job, action)
            if setup is None or setup.line > entry.line:
                findings.append(Finding(workflow.path, entry.line, 0, ID, expected(
                    f"a {action} step before the build (line {entry.line})",
                    f"none in job '{job.id}'" if setup is None else f"it at line {setup.line}, after the build")))
    return findings


RULE = Rule(ID, "it sets up QEMU and Buildx before building", _check)
