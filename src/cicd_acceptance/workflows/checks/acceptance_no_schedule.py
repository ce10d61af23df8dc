"""acceptance-no-schedule: the harness's acceptance workflow has no ``schedule`` trigger (a timer would dispatch
builds, and push images, with nobody watching)."""

from __future__ import annotations

from cicd_acceptance.workflows.checks.common import acceptance_workflow, schedule_finding
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule

__all__ = ["RULE"]

ID = "acceptance-no-schedule"


def _check(ctx: CheckContext) -> list[Finding]:
    workflow = acceptance_workflow(ctx)
    trigger = workflow.triggers.get("schedule")
    return [] if trigger is None else [schedule_finding(workflow.path, trigger, ID)]


RULE = Rule(ID, "the acceptance workflow has no schedule", _check)
