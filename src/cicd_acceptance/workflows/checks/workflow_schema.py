"""workflow-schema: both workflow files validate against GitHub's workflow JSON schema.

The schema is check-jsonschema's vendored copy of schemastore's ``github-workflow``, validated in process
(:func:`cicd_acceptance.workflows.schema.validate_workflow_schema`), so this rule needs no external program.
"""

from __future__ import annotations

from cicd_acceptance.workflows.checks.common import from_tool, plan_workflows
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule
from cicd_acceptance.workflows.schema import validate_workflow_schema

__all__ = ["RULE"]

ID = "workflow-schema"


def _check(ctx: CheckContext) -> list[Finding]:
    paths = [ctx.repo_dir / rel for rel in plan_workflows(ctx)]
    results = validate_workflow_schema(paths, display_root=ctx.repo_dir, root=ctx.repo_dir)
    return [from_tool(result, ID, "a workflow valid under GitHub's schema") for result in results]


RULE = Rule(ID, "both files validate against GitHub's workflow schema", _check)
