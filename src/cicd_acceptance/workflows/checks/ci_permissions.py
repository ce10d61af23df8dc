"""ci-permissions: the CI workflow's jobs get no more than ``contents: read``.

A missing ``permissions:`` block counts as too broad: the token then gets the repository's default, which is
read/write on every scope for repositories created before February 2023 and for many organisations, and the
checkout cannot tell which. The plan asks for "the minimal permissions needed to read the repository", so the
block must be written down.
"""

from __future__ import annotations

from cicd_acceptance.workflows.checks.common import grant_findings
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule

__all__ = ["RULE"]

ID = "ci-permissions"
ALLOWED = {"contents": "read"}


def _check(ctx: CheckContext) -> list[Finding]:
    workflow = ctx.ci()
    limit = "contents: read"
    return [finding for job in workflow.jobs.values()
            for finding in grant_findings(workflow, job, ID, ALLOWED, limit=limit, block=f"no broader than {limit}")]


RULE = Rule(ID, "its permissions are no broader than contents: read", _check)
