"""acceptance-manual-only: the harness's acceptance workflow starts by ``workflow_dispatch`` and nothing else.

The job may dispatch a target's build, which pushes images, so any other trigger (a push, a pull request, a call
from another workflow) could start it without a person deciding to.
"""

from __future__ import annotations

from cicd_acceptance.workflows.checks.common import acceptance_workflow
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected

__all__ = ["RULE"]

ID = "acceptance-manual-only"


def _check(ctx: CheckContext) -> list[Finding]:
    workflow = acceptance_workflow(ctx)
    findings = [Finding(workflow.path, trigger.line, 0, ID, expected("only workflow_dispatch", f"on: {event}"))
                for event, trigger in workflow.triggers.items() if event != "workflow_dispatch"]
    if "workflow_dispatch" not in workflow.triggers:
        findings.append(Finding(workflow.path, workflow.node.key_line("on"), 0, ID,
                                expected("on: workflow_dispatch", "none")))
    return findings


RULE = Rule(ID, "the acceptance workflow is started by workflow_dispatch only", _check)
