"""ci-no-schedule: the CI workflow has no ``schedule`` trigger (the plan rules out scheduled runs)."""

from __future__ import annotations

from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected

__all__ = ["RULE"]

ID = "ci-no-schedule"


def _check(ctx: CheckContext) -> list[Finding]:
    workflow = ctx.ci()
    trigger = workflow.triggers.get("schedule")
    if trigger is None:
        return []
    crons = ", ".join(trigger.crons) or "a schedule"
    return [Finding(workflow.path, trigger.line, 0, ID, expected("no 'schedule' trigger", f"schedule: {crons}"))]


RULE = Rule(ID, "it has no schedule", _check)
