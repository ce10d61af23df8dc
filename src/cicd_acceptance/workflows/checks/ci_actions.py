"""ci-actions: the test job uses actions/checkout and actions/setup-go (itself, or in a local composite action it
calls, ``uses: ./.github/actions/setup``), before it runs the tests, and the checkout
is of the change being tested: no other ``repository:``, no fixed ``ref:`` (an expression such as the pull
request's head SHA is fine; a branch name would test that branch instead of the change)."""

from __future__ import annotations

import re

from cicd_acceptance.workflows.checks.commands import find_command
from cicd_acceptance.workflows.checks.context import CheckContext, action_step, first_step
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected
from cicd_acceptance.workflows.model import Step

__all__ = ["RULE"]

ID = "ci-actions"
ACTIONS = ("actions/checkout", "actions/setup-go")
_SAME_REPO = re.compile(r"^\$\{\{\s*github\.repository\s*\}\}$")


def _check(ctx: CheckContext) -> list[Finding]:
    workflow, job = ctx.ci(), ctx.test_job()
    if job is None:
        return []  # ci-test-job reports the missing job
    sites = find_command(workflow, job, ctx.plan.test_command, ctx.repo_dir)
    first_test = sites[0].step if sites else None
    findings: list[Finding] = []
    for action in ACTIONS:
        found = action_step(ctx, workflow, job, action)  # also inside a local composite action the job calls
        if found is None:
            used = ", ".join(s.action for s in job.steps if s.action) or "no actions"
            message = expected(f"job '{job.id}' to use {action}", f"uses: {used}")
            findings.append(Finding(workflow.path, job.line, 0, ID, message))
        elif first_test is not None and found.caller.index > first_test.index:
            message = expected(f"{action} before '{ctx.plan.test_command}' (line {first_test.line})",
                               f"{action} after it")
            findings.append(Finding(workflow.path, found.caller.line, 0, ID, message))
    return findings + _checkout_target(workflow.path, first_step(job, "actions/checkout"))


def _checkout_target(path: str, checkout: Step | None) -> list[Finding]:
    if checkout is None:
        return []
    findings = []
    repository = (checkout.with_text("repository") or "").strip()
    if repository and not _SAME_REPO.match(repository):
        findings.append(Finding(path, checkout.with_["repository"].line, 0, ID, expected(
            "a checkout of the repository under test", f"repository: {repository}")))
    ref = (checkout.with_text("ref") or "").strip()
    if ref and "${{" not in ref:
        findings.append(Finding(path, checkout.with_["ref"].line, 0, ID, expected(
            "a checkout of the change under test", f"ref: {ref}")))
    return findings


RULE = Rule(ID, "the test job uses actions/checkout and actions/setup-go", _check)
