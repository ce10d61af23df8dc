"""workflow-files-committed: the working-tree copies of both workflow files equal HEAD (no uncommitted edits).

An untracked file is reported by ``workflow-files-tracked``; here only tracked files with local changes count,
so one defect gives one finding. The finding points at the first changed line.
"""

from __future__ import annotations

import re

from cicd_acceptance.errors import HarnessError
from cicd_acceptance.tools import run_command
from cicd_acceptance.workflows.checks.common import plan_workflows
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected

__all__ = ["RULE"]

ID = "workflow-files-committed"
_HUNK = re.compile(r"^@@ -\S+ \+(?P<start>\d+)", re.MULTILINE)
_STATES = {"M": "modified", "A": "added", "D": "deleted", "R": "renamed", "T": "type changed", "U": "unmerged"}


def _describe(code: str) -> str:
    words = [_STATES[char] for char in dict.fromkeys(code) if char in _STATES]
    return " and ".join(words) or f"changed ({code})"


def _first_changed_line(ctx: CheckContext, rel: str) -> int:
    """Line of the working-tree copy where the first difference from HEAD starts (0 when git cannot say)."""
    try:
        result = run_command(["git", "diff", "--no-color", "--no-ext-diff", "-U0", "HEAD", "--",
                              ctx.target.git_path(rel)], cwd=ctx.target.git_root, timeout=30)
    except HarnessError:
        return 0
    match = _HUNK.search(result.stdout)
    return max(int(match["start"]), 1) if match else 0


def _check(ctx: CheckContext) -> list[Finding]:
    changed = ctx.target.uncommitted(list(plan_workflows(ctx)))
    head = ctx.target.head_sha[:12]
    return [Finding(rel, _first_changed_line(ctx, rel), 0, ID,
                    expected(f"the working-tree copy to equal HEAD ({head})",
                             f"{_describe(code)} since the last commit"))
            for rel, code in sorted(changed.items()) if code != "??" and ctx.target.is_tracked_at_head(rel)]


RULE = Rule(ID, "the working-tree copies equal HEAD", _check)
