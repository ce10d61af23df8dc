"""ci-go-test: the test job runs the plan's test command (``go test ./...``) at the repository root, and a test
failure fails the job (no ``continue-on-error`` on the step or the job)."""

from __future__ import annotations

from cicd_acceptance.workflows.checks.commands import find_command
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected

__all__ = ["RULE"]

ID = "ci-go-test"
EVENTS = ("pull_request", "push")


def _check(ctx: CheckContext) -> list[Finding]:
    workflow, job = ctx.ci(), ctx.test_job()
    if job is None:
        return []  # ci-test-job reports the missing job
    command = ctx.plan.test_command
    found_sites = find_command(workflow, job, command)
    # A step whose if: is false on a pull request or a push does not run the tests there.
    skipped = {id(site): ctx.skipped_on(workflow, site.step.if_, EVENTS) for site in found_sites}
    sites = [site for site in found_sites if not skipped[id(site)]]
    if found_sites and not sites:
        step = found_sites[0].step
        return [Finding(workflow.path, step.node.key_line("if"), 0, ID, expected(
            f"'{command}' to run on {' and '.join(EVENTS)}",
            f"if: {step.if_} (false on {', '.join(skipped[id(found_sites[0])])})"))]
    if not sites:
        runs = [line.strip() for step in job.steps for line in (step.run or "").splitlines() if line.strip()]
        found = "run: " + "; ".join(runs) if runs else "no run steps"
        return [Finding(workflow.path, job.line, 0, ID, expected(f"job '{job.id}' to run '{command}'", found))]
    at_root = [site for site in sites if site.directory is None]
    if not at_root:
        site = sites[0]
        message = expected(f"'{command}' at the repository root", f"working directory '{site.directory}'")
        return [Finding(workflow.path, site.line, 0, ID, message)]
    for node, line in ((at_root[0].step.node, at_root[0].step.line), (job.node, job.line)):
        tolerated = node.get("continue-on-error")
        if tolerated is not None and tolerated.value is not False:
            message = expected(f"a failing '{command}' to fail the job",
                               f"continue-on-error: {tolerated.scalar_text()}")
            return [Finding(workflow.path, node.key_line("continue-on-error") or line, 0, ID, message)]
    return []


RULE = Rule(ID, "the test job runs go test ./... at the repository root", _check)
