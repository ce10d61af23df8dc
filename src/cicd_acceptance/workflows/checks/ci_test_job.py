"""ci-test-job: the CI workflow has the plan's test job (``test``), it runs steps, and its ``if:`` lets it run
on both pull requests and pushes to the default branch (an ``if:`` that is statically false for either skips it)."""

from __future__ import annotations

from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected
from cicd_acceptance.workflows.event import github_context
from cicd_acceptance.workflows.expressions import ExprContext, evaluate_if
from cicd_acceptance.workflows.model import Job

__all__ = ["RULE"]

ID = "ci-test-job"
EVENTS = ("pull_request", "push")


def _skipped_on(ctx: CheckContext, job: Job) -> list[str]:
    """Events for which the job's ``if:`` is known to be false."""
    skipped = []
    for event in EVENTS:
        expr_ctx = ExprContext(github=github_context(ctx.event(event)), path=ctx.ci().path, line=job.line)
        if evaluate_if(job.if_, expr_ctx.with_env_nodes(ctx.ci().env)) is False:
            skipped.append(event)
    return skipped


def _check(ctx: CheckContext) -> list[Finding]:
    workflow = ctx.ci()
    name = ctx.plan.test_job
    job = workflow.jobs.get(name)
    if job is None:
        jobs = ", ".join(workflow.jobs) or "none"
        line = workflow.node.key_line("jobs")
        return [Finding(workflow.path, line, 0, ID, expected(f"a job named '{name}'", f"jobs: {jobs}"))]
    if job.uses is not None or not job.steps:
        found = f"uses: {job.uses}" if job.uses else "no steps"
        return [Finding(workflow.path, job.line, 0, ID, expected(f"job '{name}' to run steps", found))]
    skipped = _skipped_on(ctx, job)
    if skipped:
        line = job.node.key_line("if")
        return [Finding(workflow.path, line, 0, ID, expected(
            f"job '{name}' to run on {' and '.join(EVENTS)}", f"if: {job.if_} (false on {', '.join(skipped)})"))]
    return []


RULE = Rule(ID, "it has the plan's test job", _check)
