"""Helpers that several rules share. Rules import these from here, never from each other.

A rule module holds one rule and nothing another rule needs: a helper that two rules use lives in this module (or
in :mod:`~cicd_acceptance.workflows.checks.context`, :mod:`~cicd_acceptance.workflows.checks.finding`,
:mod:`~cicd_acceptance.workflows.checks.commands` and :mod:`~cicd_acceptance.workflows.checks.undecided`), so
changing one rule cannot change another behind its back.
"""

from __future__ import annotations

from cicd_acceptance.tools import ToolFinding
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, expected
from cicd_acceptance.workflows.model import Job, Trigger, Workflow

__all__ = [
    "ACCEPTANCE_WORKFLOW",
    "TEST_EVENTS",
    "acceptance_workflow",
    "describe_grants",
    "describe_triggers",
    "from_tool",
    "grant_findings",
    "plan_workflows",
    "schedule_finding",
]

# The harness repository's own manual acceptance job (the rules of the ``acceptance-job`` criterion read it).
ACCEPTANCE_WORKFLOW = ".github/workflows/acceptance.yml"
TEST_EVENTS = ("pull_request", "push")  # the events the CI test job, and its test step, must run on


def plan_workflows(ctx: CheckContext) -> tuple[str, str]:
    """The plan's two workflow files, CI first."""
    return (ctx.plan.ci_workflow, ctx.plan.build_workflow)


def acceptance_workflow(ctx: CheckContext) -> Workflow:
    """The acceptance workflow of the checkout ``ctx`` reads (the harness's own repository)."""
    return ctx.workflow(ACCEPTANCE_WORKFLOW)


def from_tool(finding: ToolFinding, rule: str, what: str, *, blocking: bool = True) -> Finding:
    """A tool's finding as ours: ``expected <what>, found <its message> [its rule]``."""
    found = f"{finding.message} [{finding.rule}]"
    return Finding(finding.path, finding.line, finding.column, rule, expected(what, found), blocking)


def describe_grants(grants: dict[str, str]) -> str:
    """``contents: read, packages: write`` (in the order given)."""
    return ", ".join(f"{scope}: {level}" for scope, level in grants.items())


def grant_findings(workflow: Workflow, job: Job, rule: str, allowed: dict[str, str], *, limit: str,
                   block: str) -> list[Finding]:
    """``rule``'s finding when ``job`` has no permissions block (``block`` says what one should hold) or one
    broader than ``allowed`` (written ``limit``); shared by the CI and build permission rules."""
    permissions = workflow.effective_permissions(job)
    if permissions is None:
        found = f"none for job '{job.id}' (the repository default applies)"
        return [Finding(workflow.path, job.line, 0, rule, expected(f"a 'permissions:' block {block}", found))]
    broader = permissions.broader_than(allowed)
    if not broader:
        return []
    found = permissions.preset or describe_grants(broader)
    # Point at the first scope at fault (its own line), not at the `permissions:` key.
    line = permissions.line
    if permissions.preset is None and permissions.node.is_mapping:
        line = min((permissions.node.key_line(scope) for scope in broader if scope in permissions.node), default=line)
    return [Finding(workflow.path, line, 0, rule, expected(f"permissions no broader than {limit}", found))]


def schedule_finding(path: str, trigger: Trigger, rule: str) -> Finding:
    """``rule``'s finding for a ``schedule`` trigger (no workflow the plan names may run on a timer)."""
    crons = ", ".join(trigger.crons) or "a schedule"
    return Finding(path, trigger.line, 0, rule, expected("no 'schedule' trigger", f"schedule: {crons}"))


def describe_triggers(workflow: Workflow) -> str:
    """``on: [push, pull_request]`` style summary for messages."""
    events = ", ".join(workflow.triggers) or "no triggers"
    return f"on: [{events}]"
