"""ci-no-schedule: the CI workflow has no ``schedule`` trigger (the plan rules out scheduled runs)."""

from __future__ import annotations

from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected
from cicd_acceptance.workflows.model import Trigger

__all__ = ["RULE", "schedule_finding"]

ID = "ci-no-schedule"


def schedule_finding(path: str, trigger: Trigger, rule: str) -> Finding:
    """``rule``'s finding for a ``schedule`` trigger (the build workflow may not have one either)."""
    crons = ", ".join(trigger.crons) or "a schedule"
    return Finding(path, trigger.line, 0, rule, expected("no 'schedule' trigger", f"schedule: {crons}"))


def _check(ctx: CheckContext) -> list[Finding]:
    workflow = ctx.ci()
    trigger = workflow.triggers.get("schedule")
    return [] if trigger is None else [schedule_finding(workflow.path, trigger, ID)]


RULE = Rule(ID, "it has no schedule", _check)
