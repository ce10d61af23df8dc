"""The one-line verdict of an acceptance run.

``ACCEPTANCE MET`` only when every criterion ran and passed. A skipped criterion is not met (a live check that could
not run proves nothing), and neither is one that was collected but deselected (``-m static``, ``-k``): a partial run
cannot accept the plan. Otherwise ``ACCEPTANCE NOT MET: N failed (names), M skipped (names)``, plus
``, K not run (names)`` when criteria were deselected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import get_args

from cicd_acceptance.evidence.model import Outcome, ScenarioResult

__all__ = ["Verdict", "decide"]

_MAX_NAMES = 10  # the line stays readable; evidence.md lists every criterion


@dataclass(frozen=True)
class Verdict:
    """Names of the criteria by outcome. ``met`` is True only when nothing failed, was skipped, or was left out."""

    passed: tuple[str, ...]
    failed: tuple[str, ...]
    skipped: tuple[str, ...]
    not_run: tuple[str, ...] = ()

    @property
    def met(self) -> bool:
        return bool(self.passed) and not (self.failed or self.skipped or self.not_run)

    @property
    def line(self) -> str:
        if self.met:
            return "ACCEPTANCE MET"
        parts = [_count("failed", self.failed), _count("skipped", self.skipped)]
        if self.not_run:
            parts.append(_count("not run", self.not_run))
        return "ACCEPTANCE NOT MET: " + ", ".join(parts)

    @property
    def reason(self) -> str:
        """The line without its ``ACCEPTANCE ...:`` head, for sentences such as ExecPlan entries."""
        return self.line.partition(": ")[2] or "every criterion passed"


def _count(label: str, names: Sequence[str]) -> str:
    if not names:
        return f"0 {label}"
    shown = ", ".join(names[:_MAX_NAMES])
    more = f", and {len(names) - _MAX_NAMES} more" if len(names) > _MAX_NAMES else ""
    return f"{len(names)} {label} ({shown}{more})"


def decide(scenarios: Sequence[ScenarioResult], *, not_run: Sequence[str] = ()) -> Verdict | None:
    """The verdict over ``scenarios`` (criteria only), or None when no criterion ran at all."""
    if not scenarios:
        return None
    by = {outcome: tuple(s.title for s in scenarios if s.outcome == outcome)
          for outcome in get_args(Outcome)}
    return Verdict(passed=by["passed"], failed=by["failed"], skipped=by["skipped"], not_run=tuple(not_run))
