"""acceptance-checkout-credentials: every ``actions/checkout`` step of the harness's acceptance workflow says
``persist-credentials: false``. By default the token is written into ``.git/config``, where every later step,
and the target's code the harness runs, can read it."""

from __future__ import annotations

from cicd_acceptance.workflows.checks.common import acceptance_workflow
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected

__all__ = ["RULE"]

ID = "acceptance-checkout-credentials"


def _check(ctx: CheckContext) -> list[Finding]:
    workflow = acceptance_workflow(ctx)
    findings = []
    for job in workflow.jobs.values():
        for step in job.steps_using("actions/checkout"):
            value = step.with_text("persist-credentials")
            if value != "false":
                findings.append(Finding(workflow.path, step.line, 0, ID,
                                        expected("persist-credentials: false", value or "the default (true)")))
    return findings


RULE = Rule(ID, "the acceptance workflow's checkouts keep no credentials", _check)
