"""workflow-files-exist: both workflow files of the plan exist in the checkout."""

from __future__ import annotations

from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected

__all__ = ["RULE", "plan_workflows"]

ID = "workflow-files-exist"


def plan_workflows(ctx: CheckContext) -> tuple[str, str]:
    return (ctx.plan.ci_workflow, ctx.plan.build_workflow)


def _check(ctx: CheckContext) -> list[Finding]:
    return [Finding(rel, 0, 0, ID, expected("the workflow file", "no such file"))
            for rel in plan_workflows(ctx) if not (ctx.repo_dir / rel).is_file()]


RULE = Rule(ID, "both workflow files exist", _check)
