"""ci-no-schedule: the CI workflow has no ``schedule`` trigger (the plan rules out scheduled runs)."""

from __future__ import annotations

from cicd_acceptance.workflows.checks.common import schedule_finding
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule

__all__ = ["RULE"]

ID = "ci-no-schedule"


def _check(ctx: CheckContext) -> list[Finding]:
    workflow = ctx.ci()
    trigger = workflow.triggers.get("schedule")
    return [] if trigger is None else [schedule_finding(workflow.path, trigger, ID)]


RULE = Rule(ID, "it has no schedule", _check)
