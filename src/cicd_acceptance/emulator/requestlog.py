"""A log of the requests the emulator served, for tests and for measuring how polite a client is.

``counted`` is what was charged against the rate limit; ``not_modified`` are the 304 answers to conditional
requests (GitHub does not charge those). ``by_route`` groups by route template so a test can say "the waiter made
at most N run requests" without caring about ids.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

__all__ = ["RequestLog", "RequestRecord"]


@dataclass(frozen=True)
class RequestRecord:
    """One served request. ``route`` is the template, e.g. ``GET /repos/{owner}/{repo}/actions/runs``."""

    method: str
    path: str
    route: str
    status: int
    counted: bool
    not_modified: bool


class RequestLog:
    """Thread-safe, bounded in memory (only counters are unbounded; records keep the last ``keep``)."""

    def __init__(self, *, keep: int = 10_000) -> None:
        self._keep = keep
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []
        self._by_route: Counter[str] = Counter()
        self._total = 0
        self._counted = 0
        self._not_modified = 0

    def record(self, entry: RequestRecord) -> None:
        """Add one served request."""
        with self._lock:
            self._total += 1
            self._counted += entry.counted
            self._not_modified += entry.not_modified
            self._by_route[entry.route] += 1
            self._records.append(entry)
            if len(self._records) > self._keep:
                del self._records[: len(self._records) - self._keep]

    def records(self) -> list[RequestRecord]:
        """The most recent records, oldest first."""
        with self._lock:
            return list(self._records)

    def snapshot(self) -> dict[str, object]:
        """The ``GET /_emulator/requests`` document."""
        with self._lock:
            return {
                "total": self._total,
                "counted": self._counted,
                "not_modified": self._not_modified,
                "by_route": dict(sorted(self._by_route.items())),
            }

    def reset(self) -> None:
        """Forget everything."""
        with self._lock:
            self._records.clear()
            self._by_route.clear()
            self._total = self._counted = self._not_modified = 0
