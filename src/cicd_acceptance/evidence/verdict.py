"""The one-line verdict of an acceptance run, and the exit status that goes with it.

The line says what was proven:

* ``ACCEPTANCE MET``: every selected criterion ran and passed, none was left out, and the live half ran against
  GitHub (github.com or GHES);
* ``REHEARSAL MET``: the same, but the live half ran on the bundled emulator: the workflows and the harness agree,
  nothing is known about GitHub and GHCR;
* ``PARTIAL: n of m criteria met, k not run (names)``: every selected criterion passed, but criteria were left out
  on purpose (``-m static``, ``-m "not dispatch"``, ``-k``);
* ``ACCEPTANCE NOT MET: ...`` / ``REHEARSAL NOT MET: ...``: a selected criterion failed, was skipped (a live check
  that could not run proves nothing) or never finished (``-x``, Ctrl-C, a crashed worker).

Exit status (see :data:`EXIT_CODES`): 0 when met (acceptance or rehearsal), 1 when not met, 6 when partial. The
caller only ever raises pytest's own status with it, never lowers it (a failing harness test stays a failure).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from cicd_acceptance.evidence.model import Outcome, ScenarioResult

__all__ = ["EXIT_CODES", "EXIT_MET", "EXIT_NOT_MET", "EXIT_PARTIAL", "Status", "Verdict", "decide",
           "is_rehearsal"]

Status = Literal["met", "not met", "partial"]
EXIT_MET = 0
EXIT_NOT_MET = 1      # pytest's own TESTS_FAILED
EXIT_PARTIAL = 6      # above pytest's codes (0-5): every selected criterion passed, some were left out
EXIT_CODES: dict[Status, int] = {"met": EXIT_MET, "not met": EXIT_NOT_MET, "partial": EXIT_PARTIAL}
_MAX_NAMES = 10  # the line stays readable; evidence.md lists every criterion


@dataclass(frozen=True)
class Verdict:
    """Names of the criteria by outcome, and whether the live half was a rehearsal on the emulator.

    ``not_run``: collected but left out on purpose (deselected); ``unfinished``: selected but never finished.
    """

    passed: tuple[str, ...]
    failed: tuple[str, ...]
    skipped: tuple[str, ...]
    not_run: tuple[str, ...] = ()
    unfinished: tuple[str, ...] = ()
    rehearsal: bool = False

    @property
    def status(self) -> Status:
        if self.failed or self.skipped or self.unfinished or not self.passed:
            return "not met"
        return "partial" if self.not_run else "met"

    @property
    def met(self) -> bool:
        """Every criterion of the plan ran and passed (on GitHub, or on the emulator for a rehearsal)."""
        return self.status == "met"

    @property
    def accepted(self) -> bool:
        """Met against GitHub: the only verdict that accepts the plan."""
        return self.met and not self.rehearsal

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    @property
    def head(self) -> str:
        """``ACCEPTANCE``, ``REHEARSAL`` or ``PARTIAL``: the verdict line's first word."""
        if self.status == "partial":
            return "PARTIAL"
        return "REHEARSAL" if self.rehearsal else "ACCEPTANCE"

    @property
    def line(self) -> str:
        if self.status == "met":
            return f"{self.head} MET"
        if self.status == "partial":
            total = len(self.passed) + len(self.not_run)
            where = " (rehearsal: the live checks ran on the bundled emulator)" if self.rehearsal else ""
            return f"PARTIAL: {len(self.passed)} of {total} criteria met, {_count('not run', self.not_run)}{where}"
        parts = [_count("failed", self.failed), _count("skipped", self.skipped)]
        if self.unfinished:
            parts.append(_count("not finished", self.unfinished))
        if self.not_run:
            parts.append(_count("not run", self.not_run))
        return f"{self.head} NOT MET: " + ", ".join(parts)

    @property
    def reason(self) -> str:
        """The line without its head, for sentences such as ExecPlan entries."""
        return self.line.partition(": ")[2] or "every criterion passed"

    def counts(self) -> dict[str, int]:
        return {"passed": len(self.passed), "failed": len(self.failed), "skipped": len(self.skipped),
                "not_run": len(self.not_run), "unfinished": len(self.unfinished)}


def _count(label: str, names: Sequence[str]) -> str:
    if not names:
        return f"0 {label}"
    shown = ", ".join(names[:_MAX_NAMES])
    more = f", and {len(names) - _MAX_NAMES} more" if len(names) > _MAX_NAMES else ""
    return f"{len(names)} {label} ({shown}{more})"


def decide(scenarios: Sequence[ScenarioResult], *, not_run: Sequence[str] = (), unfinished: Sequence[str] = (),
           rehearsal: bool = False) -> Verdict | None:
    """The verdict over ``scenarios`` (criteria only), or None when no criterion ran at all."""
    if not scenarios and not unfinished:
        return None
    by = {outcome: tuple(s.title for s in scenarios if s.outcome == outcome)
          for outcome in get_args(Outcome)}
    return Verdict(passed=by["passed"], failed=by["failed"], skipped=by["skipped"], not_run=tuple(not_run),
                   unfinished=tuple(unfinished), rehearsal=rehearsal)


def is_rehearsal(live_mode: str, scenarios: Sequence[ScenarioResult]) -> bool:
    """Whether the live half of this run was a rehearsal on the bundled emulator.

    Two sources, and either makes it a rehearsal: the settings (the harness started the emulator itself: live mode
    ``emulator``, and a live criterion was selected), and the server itself (``server`` evidence of kind
    ``emulator``: the API answered the emulator's control endpoint). A server can thus turn an acceptance into a
    rehearsal, never the other way round: nothing it answers can make a run the harness knows to be a rehearsal
    count as an acceptance.
    """
    if live_mode == "emulator" and any("live" in s.markers for s in scenarios):
        return True
    return any(entry.get("kind") == "emulator" for s in scenarios for entry in s.entries("server"))
