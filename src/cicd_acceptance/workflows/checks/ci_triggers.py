"""ci-triggers: the CI workflow runs on pull requests and on pushes to the default branch.

Branch filters, when present, must admit the default branch (for ``pull_request`` they filter the *base* branch,
so a pull request into the default branch must pass them too).
"""

from __future__ import annotations

from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected
from cicd_acceptance.workflows.model import Workflow

__all__ = ["RULE", "describe_triggers"]

ID = "ci-triggers"


def describe_triggers(workflow: Workflow) -> str:
    """``on: [push, pull_request]`` style summary for messages."""
    events = ", ".join(workflow.triggers) or "no triggers"
    return f"on: [{events}]"


def _check(ctx: CheckContext) -> list[Finding]:
    workflow = ctx.ci()
    branch = ctx.plan.default_branch
    on_line = workflow.node.key_line("on")
    findings: list[Finding] = []
    for event, what in (("pull_request", "pull requests into"), ("push", "pushes to")):
        trigger = workflow.triggers.get(event)
        if trigger is None:
            message = expected(f"a '{event}' trigger (runs on {what} '{branch}')", describe_triggers(workflow))
            findings.append(Finding(workflow.path, on_line, 0, ID, message))
        elif not trigger.admits_branch(branch):
            filters = trigger.branches if trigger.branches is not None else trigger.branches_ignore
            key = "branches" if trigger.branches is not None else "branches-ignore"
            if filters is None:
                key, filters = "tags", trigger.tags or trigger.tags_ignore or ()
            message = expected(f"the '{event}' filters to admit '{branch}'", f"{key}: {list(filters)}")
            findings.append(Finding(workflow.path, trigger.line, 0, ID, message))
    return findings


RULE = Rule(ID, "it runs on pull requests and on pushes to the default branch", _check)
