"""workflow-files-tracked: both workflow files are in the HEAD commit (GitHub runs only what is committed)."""

from __future__ import annotations

from cicd_acceptance.workflows.checks.common import plan_workflows
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected

__all__ = ["RULE"]

ID = "workflow-files-tracked"


def _check(ctx: CheckContext) -> list[Finding]:
    head = ctx.target.head_sha[:12]
    return [Finding(rel, 0, 0, ID, expected(f"the file in the HEAD commit ({head})", "it is not committed"))
            for rel in plan_workflows(ctx) if not ctx.target.is_tracked_at_head(rel)]


RULE = Rule(ID, "both workflow files are tracked at HEAD", _check)
