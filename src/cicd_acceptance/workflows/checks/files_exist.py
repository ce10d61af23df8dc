"""workflow-files-exist: both workflow files of the plan exist in the checkout."""

from __future__ import annotations

from cicd_acceptance.workflows.checks.common import plan_workflows
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected

__all__ = ["RULE"]

ID = "workflow-files-exist"


def _check(ctx: CheckContext) -> list[Finding]:
    return [Finding(rel, 0, 0, ID, expected("the workflow file", "no such file"))
            for rel in plan_workflows(ctx) if not (ctx.repo_dir / rel).is_file()]


RULE = Rule(ID, "both workflow files exist", _check)
