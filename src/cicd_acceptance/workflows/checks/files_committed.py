"""workflow-files-committed: the working-tree copies of both workflow files equal HEAD (no uncommitted edits).

An untracked file is reported by ``workflow-files-tracked``; here only tracked files with local changes count,
so one defect gives one finding.
"""

from __future__ import annotations

from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.files_exist import plan_workflows
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected

__all__ = ["RULE"]

ID = "workflow-files-committed"
_STATES = {"M": "modified", "A": "added", "D": "deleted", "R": "renamed", "T": "type changed", "U": "unmerged"}


def _describe(code: str) -> str:
    words = [_STATES[char] for char in dict.fromkeys(code) if char in _STATES]
    return " and ".join(words) or f"changed ({code})"


def _check(ctx: CheckContext) -> list[Finding]:
    changed = ctx.target.uncommitted(list(plan_workflows(ctx)))
    head = ctx.target.head_sha[:12]
    return [Finding(rel, 0, 0, ID, expected(f"the working-tree copy to equal HEAD ({head})",
                                            f"{_describe(code)} since the last commit"))
            for rel, code in sorted(changed.items()) if code != "??" and ctx.target.is_tracked_at_head(rel)]


RULE = Rule(ID, "the working-tree copies equal HEAD", _check)
