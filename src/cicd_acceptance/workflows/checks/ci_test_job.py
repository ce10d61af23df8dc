"""ci-test-job: the CI workflow has the plan's test job (``test``), it runs steps, and its ``if:`` lets it run
on both pull requests and pushes to the default branch (an ``if:`` that is statically false for either skips it)."""

from __future__ import annotations

from cicd_acceptance.workflows.checks.common import TEST_EVENTS
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected

__all__ = ["RULE"]

ID = "ci-test-job"


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
    skipped = ctx.skipped_on(workflow, job.if_, TEST_EVENTS)
    if skipped:
        line = job.node.key_line("if")
        return [Finding(workflow.path, line, 0, ID, expected(
            f"job '{name}' to run on {' and '.join(TEST_EVENTS)}", f"if: {job.if_} (false on {', '.join(skipped)})"))]
    return []


RULE = Rule(ID, "it has the plan's test job", _check)
