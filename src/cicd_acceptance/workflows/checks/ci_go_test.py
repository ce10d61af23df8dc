"""ci-go-test: the test job runs the plan's test command (``go test ./...``) at the repository root."""

from __future__ import annotations

from cicd_acceptance.workflows.checks.commands import find_command
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected

__all__ = ["RULE"]

ID = "ci-go-test"


def _check(ctx: CheckContext) -> list[Finding]:
    workflow, job = ctx.ci(), ctx.test_job()
    if job is None:
        return []  # ci-test-job reports the missing job
    command = ctx.plan.test_command
    sites = find_command(workflow, job, command)
    if not sites:
        runs = [line.strip() for step in job.steps for line in (step.run or "").splitlines() if line.strip()]
        found = "run: " + "; ".join(runs) if runs else "no run steps"
        return [Finding(workflow.path, job.line, 0, ID, expected(f"job '{job.id}' to run '{command}'", found))]
    if any(site.directory is None for site in sites):
        return []
    site = sites[0]
    message = expected(f"'{command}' at the repository root", f"working directory '{site.directory}'")
    return [Finding(workflow.path, site.line, 0, ID, message)]


RULE = Rule(ID, "the test job runs go test ./... at the repository root", _check)
