"""zizmor: an offline zizmor audit finds nothing at or above the plan's severity (default ``high``).

The target's own zizmor configuration is used when it has one, else ours (version-tag pins allowed). Findings
below the severity are returned too, marked not blocking, so that the report shows them with ``file:line``.
"""

from __future__ import annotations

from cicd_acceptance.toolcache import default_tool_cache
from cicd_acceptance.tools import ZIZMOR_CONFIG_NAMES, default_zizmor_config, run_zizmor
from cicd_acceptance.workflows.checks.common import from_tool, plan_workflows
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule
from cicd_acceptance.workflows.toolinputs import staged_inputs

__all__ = ["RULE"]

ID = "zizmor"


def _check(ctx: CheckContext) -> list[Finding]:
    severity = ctx.plan.zizmor_min_severity
    # zizmor reads copies of the files the harness accepted, never the target's paths (symlinks).
    with staged_inputs(ctx.repo_dir, plan_workflows(ctx), configs=ZIZMOR_CONFIG_NAMES) as staged:
        config = next(iter(staged.configs.values()), None) or default_zizmor_config()
        result = run_zizmor(list(staged.workflows), config=config, min_severity=severity, cwd=staged.root,
                            cache=default_tool_cache())
    blocking = set(result.blocking)
    what = f"no zizmor finding at or above '{severity}'"
    return [from_tool(f, ID, what, blocking=f in blocking) for f in result.findings]


RULE = Rule(ID, "zizmor finds nothing at or above the plan's severity", _check, tool="zizmor")
