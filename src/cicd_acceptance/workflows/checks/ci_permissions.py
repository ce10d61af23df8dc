"""ci-permissions: the CI workflow's jobs get no more than ``contents: read``.

A missing ``permissions:`` block counts as too broad: the token then gets the repository's default, which is
read/write on every scope for repositories created before February 2023 and for many organisations, and the
checkout cannot tell which. The plan asks for "the minimal permissions needed to read the repository", so the
block must be written down.
"""

from __future__ import annotations

from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected

__all__ = ["RULE", "describe_grants"]

ID = "ci-permissions"
ALLOWED = {"contents": "read"}


def describe_grants(grants: dict[str, str]) -> str:
    return ", ".join(f"{scope}: {level}" for scope, level in grants.items())


def _check(ctx: CheckContext) -> list[Finding]:
    workflow = ctx.ci()
    findings: list[Finding] = []
    for job in workflow.jobs.values():
        permissions = workflow.effective_permissions(job)
        if permissions is None:
            message = expected("a 'permissions:' block no broader than contents: read",
                               f"none for job '{job.id}' (the repository default applies)")
            findings.append(Finding(workflow.path, job.line, 0, ID, message))
            continue
        broader = permissions.broader_than(ALLOWED)
        if broader:
            found = permissions.preset or describe_grants(broader)
            message = expected("permissions no broader than contents: read", found)
            findings.append(Finding(workflow.path, permissions.line, 0, ID, message))
    return findings


RULE = Rule(ID, "its permissions are no broader than contents: read", _check)
