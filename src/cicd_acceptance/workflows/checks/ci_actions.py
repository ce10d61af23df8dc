"""ci-actions: the test job uses actions/checkout and actions/setup-go, before it runs the tests."""

from __future__ import annotations

from cicd_acceptance.workflows.checks.commands import find_command
from cicd_acceptance.workflows.checks.context import CheckContext, first_step
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected

__all__ = ["RULE"]

ID = "ci-actions"
ACTIONS = ("actions/checkout", "actions/setup-go")


def _check(ctx: CheckContext) -> list[Finding]:
    workflow, job = ctx.ci(), ctx.test_job()
    if job is None:
        return []  # ci-test-job reports the missing job
    sites = find_command(workflow, job, ctx.plan.test_command)
    first_test = sites[0].step if sites else None
    findings: list[Finding] = []
    for action in ACTIONS:
        step = first_step(job, action)
        if step is None:
            used = ", ".join(s.action for s in job.steps if s.action) or "no actions"
            message = expected(f"job '{job.id}' to use {action}", f"uses: {used}")
            findings.append(Finding(workflow.path, job.line, 0, ID, message))
        elif first_test is not None and step.index > first_test.index:
            message = expected(f"{action} before '{ctx.plan.test_command}' (line {first_test.line})",
                               f"{action} after it")
            findings.append(Finding(workflow.path, step.line, 0, ID, message))
    return findings


RULE = Rule(ID, "the test job uses actions/checkout and actions/setup-go", _check)
