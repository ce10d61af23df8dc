"""Job logs in GitHub's format, and the workflow commands a step prints (``::error::``, ``::add-mask::``...).

Every line starts with a timestamp like ``2026-01-01T00:00:00.0000000Z``; a step is a ``##[group]Run ...``
section; errors are ``##[error]...``. Workflow commands in a step's output become annotations (``error``,
``warning``, ``notice`` with ``file=``/``line=``/``title=``), groups and masks; a masked value (and every secret)
is written as ``***``. The log is bounded: past ``MAX_LOG_CHARS`` the oldest lines are dropped, as a runner's
log upload truncates.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from datetime import datetime

__all__ = ["MAX_LOG_CHARS", "Annotation", "JobLog", "stamp"]

MAX_LOG_CHARS = 2 << 20
_COMMAND = re.compile(r"^::(?P<name>[a-z-]+)(?: (?P<props>[^:]*))?::(?P<message>.*)$")
_LEVELS = {"error": "failure", "warning": "warning", "notice": "notice"}


def stamp(moment: datetime) -> str:
    """``2026-01-01T00:00:00.0000000Z`` (seven fraction digits, as the runner writes)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


@dataclass(frozen=True)
class Annotation:
    """A check-run annotation: ``level`` is ``failure``, ``warning`` or ``notice`` (the API's names)."""

    level: str
    message: str
    job: str
    path: str | None = None
    line: int | None = None
    title: str | None = None


def _unescape(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def _properties(text: str | None) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in (text or "").split(","):
        key, sep, value = part.partition("=")
        if sep:
            found[key.strip()] = _unescape(value.strip())
    return found


class JobLog:
    """One job's log as it is written; ``masks`` grow with ``::add-mask::`` and secrets."""

    def __init__(self, job: str, masks: tuple[str, ...] = ()) -> None:
        self.job = job
        self.masks = {mask for mask in masks if mask}
        self.annotations: list[Annotation] = []
        self._lines: deque[str] = deque()
        self._chars = 0
        self._moment: datetime | None = None
        self.truncated = False

    def at(self, moment: datetime) -> None:
        """Lines written from now on carry ``moment``."""
        self._moment = moment

    def write(self, text: str) -> None:
        """Append one line (masked, stamped)."""
        masked = self.mask(text)
        line = f"{stamp(self._moment)} {masked}" if self._moment else masked
        self._lines.append(line)
        self._chars += len(line) + 1
        while self._chars > MAX_LOG_CHARS and len(self._lines) > 1:
            self._chars -= len(self._lines.popleft()) + 1
            self.truncated = True

    def mask(self, text: str) -> str:
        for secret in sorted(self.masks, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    def group(self, title: str) -> None:
        self.write(f"##[group]{title}")

    def endgroup(self) -> None:
        self.write("##[endgroup]")

    def error(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        """An ``##[error]`` line and the failure annotation GitHub makes from it."""
        self.write(f"##[error]{message}")
        self.annotations.append(Annotation("failure", self.mask(message), self.job, path, line))

    def warning(self, message: str, *, title: str | None = None) -> None:
        self.write(f"##[warning]{message}")
        self.annotations.append(Annotation("warning", self.mask(message), self.job, title=title))

    def output(self, text: str) -> None:
        """A step's output: workflow commands are interpreted, other lines written as they are."""
        for raw in text.splitlines():
            match = _COMMAND.match(raw)
            if match is None:
                self.write(raw)
                continue
            self.command(match["name"], _properties(match["props"]), _unescape(match["message"]))

    def command(self, name: str, props: dict[str, str], message: str) -> None:
        if name == "add-mask":
            if message.strip():
                self.masks.add(message.strip())
        elif name in _LEVELS:
            line = props.get("line", "")
            self.write(f"##[{name}]{message}")
            self.annotations.append(Annotation(_LEVELS[name], self.mask(message), self.job, props.get("file"),
                                               int(line) if line.isdigit() else None, props.get("title")))
        elif name == "group":
            self.group(message)
        elif name == "endgroup":
            self.endgroup()
        elif name == "debug":
            return  # shown only with step debug logging, which the emulator does not turn on
        else:
            self.write(f"::{name}::{message}")

    def text(self) -> str:
        return "\n".join(self._lines) + ("\n" if self._lines else "")
