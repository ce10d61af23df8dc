"""acceptance-permissions: every job of the harness's acceptance workflow holds exactly ``contents: read``,
``actions: write`` and ``packages: read``.

Exactly, not "no more than": a scope it lacks fails the run halfway (it reads code, dispatches and reads runs,
reads packages), and one more is a right nobody uses. A missing block counts as too broad, as in
``ci-permissions``: the repository's default token permissions then apply.
"""

from __future__ import annotations

from cicd_acceptance.workflows.checks.common import acceptance_workflow, describe_grants
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected
from cicd_acceptance.workflows.model import Job, Workflow

__all__ = ["RULE"]

ID = "acceptance-permissions"
WANTED = {"contents": "read", "actions": "write", "packages": "read"}


def _job_findings(workflow: Workflow, job: Job) -> list[Finding]:
    permissions = workflow.effective_permissions(job)
    if permissions is None:
        return [Finding(workflow.path, job.line, 0, ID, expected(
            "an explicit permissions block", "none (the repository's default token permissions apply)"))]
    broader = permissions.broader_than(WANTED)
    missing = [scope for scope, level in WANTED.items() if permissions.level(scope) != level and scope not in broader]
    if not broader and not missing:
        return []
    granted = permissions.preset or describe_grants(dict(sorted(permissions.scopes.items()))) or "{}"
    return [Finding(workflow.path, permissions.line, 0, ID,
                    expected(f"exactly {describe_grants(WANTED)} for job {job.id}", granted))]


def _check(ctx: CheckContext) -> list[Finding]:
    workflow = acceptance_workflow(ctx)
    return [finding for job in workflow.jobs.values() for finding in _job_findings(workflow, job)]


RULE = Rule(ID, "the acceptance job holds exactly contents: read, actions: write and packages: read", _check)
