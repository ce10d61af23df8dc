"""ci-permissions: the CI workflow's jobs get no more than ``contents: read``.

A missing ``permissions:`` block counts as too broad: the token then gets the repository's default, which is
read/write on every scope for repositories created before February 2023 and for many organisations, and the
checkout cannot tell which. The plan asks for "the minimal permissions needed to read the repository", so the
block must be written down.
"""

from __future__ import annotations

from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected
from cicd_acceptance.workflows.model import Job, Workflow

__all__ = ["RULE", "describe_grants", "grant_findings"]

ID = "ci-permissions"
ALLOWED = {"contents": "read"}


def describe_grants(grants: dict[str, str]) -> str:
    return ", ".join(f"{scope}: {level}" for scope, level in grants.items())


def grant_findings(workflow: Workflow, job: Job, rule: str, allowed: dict[str, str], *, limit: str,
                   block: str) -> list[Finding]:
    """``rule``'s finding when ``job`` has no permissions block (``block`` says what one should hold) or one
    broader than ``allowed`` (written ``limit``); shared by the CI and build permission rules."""
    permissions = workflow.effective_permissions(job)
    if permissions is None:
        found = f"none for job '{job.id}' (the repository default applies)"
        return [Finding(workflow.path, job.line, 0, rule, expected(f"a 'permissions:' block {block}", found))]
    broader = permissions.broader_than(allowed)
    if not broader:
        return []
    found = permissions.preset or describe_grants(broader)
    # Point at the first scope at fault (its own line), not at the `permissions:` key.
    line = permissions.line
    if permissions.preset is None and permissions.node.is_mapping:
        line = min((permissions.node.key_line(scope) for scope in broader if scope in permissions.node), default=line)
    return [Finding(workflow.path, line, 0, rule, expected(f"permissions no broader than {limit}", found))]


def _check(ctx: CheckContext) -> list[Finding]:
    workflow = ctx.ci()
    limit = "contents: read"
    return [finding for job in workflow.jobs.values()
            for finding in grant_findings(workflow, job, ID, ALLOWED, limit=limit, block=f"no broader than {limit}")]


RULE = Rule(ID, "its permissions are no broader than contents: read", _check)
