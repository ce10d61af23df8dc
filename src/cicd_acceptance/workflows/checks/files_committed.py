"""workflow-files-committed: the working-tree copies of both workflow files equal HEAD (no uncommitted edits).

An untracked file is reported by ``workflow-files-tracked``; here only tracked files with local changes count,
so one defect gives one finding. The finding points at the first changed line, found by comparing HEAD's blob
with the file here (``git diff`` would run the target's textconv or clean-filter commands).
"""

from __future__ import annotations

from cicd_acceptance.errors import HarnessError
from cicd_acceptance.target import SAFE_GIT_OPTIONS
from cicd_acceptance.targetfiles import DEFAULT_MAX_BYTES, read_target_bytes
from cicd_acceptance.tools import run_command
from cicd_acceptance.workflows.checks.common import plan_workflows
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected

__all__ = ["RULE"]

ID = "workflow-files-committed"
_STATES = {"M": "modified", "A": "added", "D": "deleted", "R": "renamed", "T": "type changed", "U": "unmerged"}


def _describe(code: str) -> str:
    words = [_STATES[char] for char in dict.fromkeys(code) if char in _STATES]
    return " and ".join(words) or f"changed ({code})"


def _first_changed_line(ctx: CheckContext, rel: str) -> int:
    """Line of the working-tree copy where the first difference from HEAD starts (0 when it cannot be read): the
    line after the common start, or the last line kept when the copy ends early (as ``git diff`` counts)."""
    try:
        committed = run_command(["git", *SAFE_GIT_OPTIONS, "cat-file", "blob", f"HEAD:{ctx.target.git_path(rel)}"],
                                cwd=ctx.target.git_root, timeout=30, max_output=DEFAULT_MAX_BYTES)
        here = read_target_bytes(ctx.repo_dir, rel).decode("utf-8", errors="replace").splitlines()
    except HarnessError:
        return 0
    if not committed.ok:
        return 0
    before = committed.stdout.splitlines()
    shorter = min(len(before), len(here))
    common = next((i for i in range(shorter) if before[i] != here[i]), shorter)
    return max(common, 1) if common == len(here) else common + 1


def _check(ctx: CheckContext) -> list[Finding]:
    changed = ctx.target.uncommitted(list(plan_workflows(ctx)))
    head = ctx.target.head_sha[:12]
    return [Finding(rel, _first_changed_line(ctx, rel), 0, ID,
                    expected(f"the working-tree copy to equal HEAD ({head})",
                             f"{_describe(code)} since the last commit"))
            for rel, code in sorted(changed.items()) if code != "??" and ctx.target.is_tracked_at_head(rel)]


RULE = Rule(ID, "the working-tree copies equal HEAD", _check)
