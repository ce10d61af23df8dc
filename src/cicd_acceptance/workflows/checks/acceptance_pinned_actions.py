"""acceptance-pinned-actions: every remote action of the harness's acceptance workflow is pinned to a full
commit SHA. A tag or a branch can be moved to other code, which would then run with the job's token; local
actions (``./``) and container images (``docker://``) are not looked up by ref and are left alone."""

from __future__ import annotations

import re

from cicd_acceptance.workflows.checks.common import acceptance_workflow
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected

__all__ = ["RULE"]

ID = "acceptance-pinned-actions"
_SHA = re.compile(r"^[0-9a-f]{40}$")


def _check(ctx: CheckContext) -> list[Finding]:
    workflow = acceptance_workflow(ctx)
    return [Finding(workflow.path, step.line, 0, ID, expected("a full commit SHA", step.uses))
            for job in workflow.jobs.values() for step in job.steps
            if step.uses is not None and not step.uses.startswith(("./", "docker://"))
            and not (step.ref and _SHA.match(step.ref))]


RULE = Rule(ID, "every action of the acceptance workflow is pinned to a full commit SHA", _check)
