"""build-push: on a push to the default branch every image build pushes (``push:`` evaluates to true)."""

from __future__ import annotations

from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected

__all__ = ["RULE"]

ID = "build-push"


def _check(ctx: CheckContext) -> list[Finding]:
    path = ctx.build().path
    branch = ctx.plan.default_branch
    findings: list[Finding] = []
    for event in ("push", "workflow_dispatch"):
        for entry in ctx.publication(event).entries:
            if entry.push is not True:
                found = "push: false" if entry.push is False else f"push: {entry.push} (not known to be true)"
                findings.append(Finding(path, entry.line, 0, ID,
                                        expected(f"push: true for {event} on '{branch}'", found)))
    return findings


RULE = Rule(ID, "it pushes on the default branch", _check)
