"""Read a job's log the way a person would quote it: a few matching lines and the tail, never the whole file.

A job log can be hundreds of MB. :func:`read_job_log` streams it (``GitHubClient.job_log``), stops at
``LogLimits.max_bytes`` or ``timeout_s`` (the whole download: connect, headers and body), and keeps only what is
quoted: the lines a selector picks (at most ``max_quoted``), every ``##[error]`` line (at most ``max_quoted``) and
the last ``tail_lines``, each line cut at ``max_line_chars``. Lines are GitHub's:
``2026-01-01T00:00:00.0000000Z text``, with ``##[group]``/``##[endgroup]`` and ``##[error]`` markers; the timestamp
is dropped from what is quoted. A log that cannot be read is reported in the quote (``error``), never raised:
quoting is evidence, not a criterion; the lines read before a failure are kept.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from cicd_acceptance.errors import GitHubAPIError
from cicd_acceptance.github.client import GitHubClient

__all__ = ["LogLimits", "LogQuote", "read_job_log", "scan_log", "strip_timestamp"]

_STAMP = re.compile(r"^\ufeff?\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z ?")
_ERROR = "##[error]"
_CUT = " [...]"


@dataclass(frozen=True)
class LogLimits:
    """Bounds of one log download and of what is kept from it."""

    max_bytes: int = 64 << 20
    timeout_s: float = 120.0
    tail_lines: int = 15
    max_quoted: int = 40
    max_line_chars: int = 300


@dataclass(frozen=True)
class LogQuote:
    """What was kept of one job log; ``complete`` is False when a bound stopped the read."""

    job_id: int
    job: str
    lines: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    tail: tuple[str, ...] = ()
    bytes_read: int = 0
    complete: bool = True
    error: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {"job_id": self.job_id, "job": self.job, "lines": list(self.lines), "errors": list(self.errors),
                "tail": list(self.tail), "bytes_read": self.bytes_read, "complete": self.complete,
                "error": self.error}


def strip_timestamp(line: str) -> str:
    """The line without GitHub's timestamp prefix (and without a leading byte order mark)."""
    return _STAMP.sub("", line, count=1)


@dataclass
class _Scan:
    limits: LogLimits
    select: Callable[[str], bool]
    lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    tail: deque[str] = field(default_factory=deque)
    read: int = 0

    def add(self, raw: bytes) -> None:
        text = strip_timestamp(raw.decode("utf-8", errors="replace").rstrip("\r"))
        if len(text) > self.limits.max_line_chars:
            text = text[: self.limits.max_line_chars] + _CUT
        if _ERROR in text and len(self.errors) < self.limits.max_quoted:
            self.errors.append(text)
        if self.select(text) and len(self.lines) < self.limits.max_quoted:
            self.lines.append(text)
        self.tail.append(text)
        if len(self.tail) > self.limits.tail_lines:
            self.tail.popleft()


    def feed(self, chunks: Iterable[bytes], clock: Callable[[], float]) -> bool:
        """Scan ``chunks`` until they end (True) or a bound stops the read (False). What was scanned stays in
        ``self`` when ``chunks`` raises."""
        limits = self.limits
        deadline = clock() + limits.timeout_s
        longest = limits.max_line_chars * 4 + 1024  # a line longer than this is cut, its rest skipped
        pending, skipping = b"", False
        for chunk in chunks:
            self.read += len(chunk)
            pending += chunk
            *whole, pending = pending.split(b"\n")
            for raw in whole:
                if not skipping:
                    self.add(raw)
                skipping = False
            if len(pending) > longest:
                if not skipping:
                    self.add(pending[:longest])
                pending, skipping = b"", True
            if self.read >= limits.max_bytes or clock() > deadline:
                return False
        if pending and not skipping:
            self.add(pending)
        return True

    def quote(self, job_id: int, job: str, *, complete: bool, error: str | None = None) -> LogQuote:
        return LogQuote(job_id, job, tuple(self.lines), tuple(self.errors), tuple(self.tail), self.read, complete,
                        error)


def scan_log(chunks: Iterable[bytes], select: Callable[[str], bool], limits: LogLimits, *,
             clock: Callable[[], float] = time.monotonic) -> tuple[list[str], list[str], list[str], int, bool]:
    """(selected lines, error lines, tail, bytes read, complete) of a log arriving in ``chunks``."""
    scan = _Scan(limits, select)
    complete = scan.feed(chunks, clock)
    return scan.lines, scan.errors, list(scan.tail), scan.read, complete


def read_job_log(github: GitHubClient, repo: str, job_id: int, job: str, select: Callable[[str], bool],
                 limits: LogLimits | None = None, *, clock: Callable[[], float] = time.monotonic) -> LogQuote:
    """Download job ``job_id``'s log within ``limits`` and keep what ``select`` picks, the errors and the tail."""
    chosen = limits or LogLimits()
    scan = _Scan(chosen, select)
    try:
        # The client's deadline covers the whole download, the headers too (a server may drip them); the scan
        # stops at the same bounds when the body is what is slow or large.
        with github.job_log(repo, job_id, limit=2 * chosen.max_bytes, timeout_s=chosen.timeout_s) as chunks:
            complete = scan.feed(chunks, clock)
    except GitHubAPIError as exc:
        # Lines read before the failure are quoted, marked incomplete; a log never reached is only the error.
        return scan.quote(job_id, job, complete=scan.read == 0, error=f"cannot read the log: {exc}")
    return scan.quote(job_id, job, complete=complete)
