"""actionlint: actionlint reports nothing on either workflow file (a missing actionlint skips the step)."""

from __future__ import annotations

from cicd_acceptance.toolcache import default_tool_cache
from cicd_acceptance.tools import ACTIONLINT_CONFIG_NAMES, run_actionlint
from cicd_acceptance.workflows.checks.common import from_tool, plan_workflows
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule
from cicd_acceptance.workflows.toolinputs import staged_inputs

__all__ = ["RULE"]

ID = "actionlint"


def _check(ctx: CheckContext) -> list[Finding]:
    # actionlint reads copies of the files the harness accepted, never the target's paths (symlinks).
    with staged_inputs(ctx.repo_dir, plan_workflows(ctx), configs=ACTIONLINT_CONFIG_NAMES) as staged:
        results = run_actionlint(list(staged.workflows), cwd=staged.root, cache=default_tool_cache())
    return [from_tool(result, ID, "no actionlint error") for result in results]


RULE = Rule(ID, "actionlint reports nothing", _check, tool="actionlint")
