"""ci-triggers: the CI workflow runs on pull requests and on pushes to the default branch.

Branch filters, when present, must admit the default branch (for ``pull_request`` they filter the *base* branch,
so a pull request into the default branch must pass them too). Path filters must let a change to Go code through
(probe: ``internal/x/x.go`` and ``go.mod``), and ``pull_request`` activity ``types`` must include the ones that run
on new code (``opened``, ``synchronize``).
"""

from __future__ import annotations

from cicd_acceptance.workflows.checks.common import describe_triggers
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected
from cicd_acceptance.workflows.model import Trigger, Workflow

__all__ = ["RULE"]

ID = "ci-triggers"
GO_CHANGES = ("internal/ids/ids.go", "go.mod")
PR_TYPES = ("opened", "synchronize")


def _branch_problem(trigger: Trigger, branch: str) -> str | None:
    if trigger.admits_branch(branch):
        return None
    for key, patterns in (("branches", trigger.branches), ("branches-ignore", trigger.branches_ignore),
                          ("tags", trigger.tags), ("tags-ignore", trigger.tags_ignore)):
        if patterns is not None:
            return f"{key}: {list(patterns)}"
    return "filters that exclude it"


def _paths_problem(trigger: Trigger) -> str | None:
    if any(trigger.admits_path(path) for path in GO_CHANGES):
        return None
    return f"paths: {list(trigger.paths)}" if trigger.paths is not None else f"paths-ignore: {trigger.paths_ignore}"


def _event_findings(workflow: Workflow, trigger: Trigger, branch: str) -> list[Finding]:
    event = trigger.event
    problems = [(f"the '{event}' filters to admit '{branch}'", _branch_problem(trigger, branch)),
                (f"the '{event}' path filters to admit Go changes ({', '.join(GO_CHANGES)})", _paths_problem(trigger))]
    if event == "pull_request" and trigger.types is not None and not set(PR_TYPES) <= set(trigger.types):
        problems.append((f"'{event}' types to include {', '.join(PR_TYPES)}", f"types: {list(trigger.types)}"))
    return [Finding(workflow.path, trigger.line, 0, ID, expected(want, found)) for want, found in problems if found]


def _check(ctx: CheckContext) -> list[Finding]:
    workflow = ctx.ci()
    branch = ctx.plan.default_branch
    findings: list[Finding] = []
    for event, what in (("pull_request", "pull requests into"), ("push", "pushes to")):
        trigger = workflow.triggers.get(event)
        if trigger is None:
            message = expected(f"a '{event}' trigger (runs on {what} '{branch}')", describe_triggers(workflow))
            findings.append(Finding(workflow.path, workflow.node.key_line("on"), 0, ID, message))
        else:
            findings += _event_findings(workflow, trigger, branch)
    return findings


RULE = Rule(ID, "it runs on pull requests and on pushes to the default branch", _check)
