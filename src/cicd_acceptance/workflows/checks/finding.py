"""What a check reports: a :class:`Finding` at ``path:line``, produced by a :class:`Rule`.

Findings print like compiler errors (``path:line: expected ..., found ... [rule-id]``) so that a reader can jump
to the line, and they sort by position so that every report is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cicd_acceptance.errors import WorkflowLoadError

if TYPE_CHECKING:
    from cicd_acceptance.workflows.checks.context import CheckContext

__all__ = ["Finding", "Rule", "expected", "format_findings", "sort_findings", "undecided"]


@dataclass(frozen=True, order=True)
class Finding:
    """One violation. ``line`` is 1-based (0 when the problem has no line, e.g. a missing file).

    ``blocking`` is False for findings reported for visibility only (zizmor below the plan's severity).
    ``undecided`` marks a fact that only a run can settle (a step output, a secret, a shell computation): it is
    neither a mismatch nor a match, and ``settled_by`` names the live scenario that decides it.
    """

    path: str
    line: int
    column: int
    rule: str
    message: str
    blocking: bool = True
    undecided: bool = False
    settled_by: str = ""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        note = "" if self.blocking else " (not blocking)"
        if self.undecided:
            note += f" (undecided offline; settled live by: {self.settled_by or 'a live run'})"
        return f"{where}: {self.message} [{self.rule}]{note}"


@dataclass(frozen=True)
class Rule:
    """One aspect of one criterion. ``description`` is the Gherkin phrase that states it (``it has no schedule``).

    ``tool`` names the external program the rule needs (None for pure-Python rules): a step asks for it first so
    a missing tool skips (or fails under ACCEPTANCE_REQUIRE_TOOLS=1) instead of erroring.
    """

    id: str
    description: str
    check: Callable[[CheckContext], list[Finding]]
    tool: str | None = None

    def __call__(self, ctx: CheckContext) -> list[Finding]:
        try:
            return sort_findings(self.check(ctx))
        except WorkflowLoadError as exc:
            # The file this rule needs cannot be read: that is this rule's finding, not a crash of the run. A shape
            # error already says "expected ..., found ..." (wrapping it read "expected a readable workflow, found
            # expected a mapping for 'on', found a null"): it is the finding as it stands.
            reason = exc.reason if exc.reason.startswith("expected ") else expected("a readable workflow", exc.reason)
            return [Finding(exc.path, exc.line or 0, 0, self.id, reason)]


def undecided(path: str, line: int, rule: str, message: str, settled_by: str) -> Finding:
    """A finding that a run must settle: ``message`` says what is expected and which value is unknown, and where."""
    return Finding(path, line, 0, rule, message, undecided=True, settled_by=settled_by)


def expected(what: str, found: str) -> str:
    """The one message shape every rule uses: ``expected <what>, found <found>``."""
    return f"expected {what}, found {found}"


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Findings ordered by file, line, column and rule, without duplicates."""
    return sorted(set(findings))


def format_findings(findings: Iterable[Finding]) -> str:
    """One finding per line, as printed in assertion messages and golden files."""
    return "\n".join(str(f) for f in findings)
