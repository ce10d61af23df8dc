"""acceptance-evidence-upload: the harness's acceptance workflow uploads the ``evidence/`` folder as an artifact
with ``if: always()``, so a failed acceptance, the one a reader most needs to inspect, still leaves its bundle."""

from __future__ import annotations

from cicd_acceptance.workflows.checks.common import acceptance_workflow
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected

__all__ = ["RULE"]

ID = "acceptance-evidence-upload"
DIRECTORY = "evidence"


def _check(ctx: CheckContext) -> list[Finding]:
    workflow = acceptance_workflow(ctx)
    uploads = [step for job in workflow.jobs.values() for step in job.steps_using("actions/upload-artifact")]
    for step in uploads:
        path = (step.with_text("path") or "").strip().rstrip("/")
        if path == DIRECTORY and step.if_ is not None and "always()" in step.if_:
            return []
    found = ", ".join(f"{s.with_text('path')} (if: {s.if_})" for s in uploads) or "no upload step"
    # At the first upload step when there is one (the one to fix), else at the jobs that lack it.
    line = uploads[0].line if uploads else workflow.node.key_line("jobs")
    return [Finding(workflow.path, line, 0, ID,
                    expected(f"actions/upload-artifact of {DIRECTORY}/ with if: always()", found))]


RULE = Rule(ID, "the acceptance workflow uploads the evidence bundle even when acceptance fails", _check)
