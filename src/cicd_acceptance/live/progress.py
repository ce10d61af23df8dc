"""Render a run waiter's observations: one concise line per change in logs, a live status line on a terminal.

CI logs keep every line, so outside a TTY only *changes* are printed (``[  42s] run 7: queued -> in_progress``);
a quiet poll prints nothing. On a TTY one line is rewritten in place on every poll (elapsed time ticking), and a
change is committed with a newline so the history stays visible above the live line.
"""

from __future__ import annotations

import sys
from typing import TextIO

from cicd_acceptance.live.waiter import RunChange

__all__ = ["ProgressPrinter"]

CLEAR_LINE = "\r\x1b[2K"


class ProgressPrinter:
    """A ``RunChange`` callback for :func:`cicd_acceptance.live.waiter.wait_for_run`.

    ``label`` prefixes every line (e.g. the workflow name); ``tty`` defaults to ``stream.isatty()``.
    """

    def __init__(self, stream: TextIO | None = None, *, label: str = "", tty: bool | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._tty = self._stream.isatty() if tty is None else tty
        self._label = f"{label}: " if label else ""
        self._live = False

    def __call__(self, change: RunChange) -> None:
        line = f"[{change.elapsed_s:5.0f}s] {self._label}{change.describe()}"
        if not self._tty:
            if change.changed:
                self._stream.write(line + "\n")
                self._stream.flush()
            return
        if change.changed:
            self._stream.write(f"{CLEAR_LINE}{line}\n")
            self._live = False
        else:
            status = f"{change.status}/{change.conclusion}" if change.conclusion else change.status
            self._stream.write(f"{CLEAR_LINE}[{change.elapsed_s:5.0f}s] {self._label}run {change.run_id}: {status}")
            self._live = True
        self._stream.flush()

    def close(self) -> None:
        """End a live line so whatever prints next starts on a fresh line."""
        if self._live:
            self._stream.write("\n")
            self._stream.flush()
            self._live = False
