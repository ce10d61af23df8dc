"""Fault injection: which request (method + path pattern) misbehaves how, and for which calls.

A spec string, as given to ``--fault`` or ``POST /_emulator/faults``, is ``METHOD PATTERN:KIND[=VALUE][xCOUNT][@SKIP]``:

``GET /repos/*/actions/runs/*:503x2``
    the first two matching calls answer 503, later ones are served normally;
``GET /v2/*:reset@3``
    calls 4, 5, ... (after skipping three) see the connection closed;
``* /repos/*:slow=2.5``
    every call is answered 2.5 real seconds late.

Kinds: ``500 502 503 504`` (server errors); ``429`` and ``403`` (secondary rate limit, VALUE = retry-after seconds,
default 60); ``primary`` (exhaust the token's primary limit: ``x-ratelimit-remaining: 0`` + reset); ``reset``
(connection reset); ``slow=SECONDS``. Run faults act on ``POST .../dispatches``: ``visibility-delay=SECONDS`` (the
run appears that much later), ``foreign-dispatch`` (another actor dispatches the same workflow at the same moment),
``reattempt`` (the run is re-run once after it completes). Patterns use shell wildcards (``*`` also spans ``/``) and
match the path without the ``/api/v3`` prefix. COUNT defaults to unlimited.
"""

from __future__ import annotations

import fnmatch
import re
import threading
from dataclasses import dataclass

from cicd_acceptance.errors import ConfigError

__all__ = ["HTTP_KINDS", "RUN_KINDS", "Fault", "FaultSet", "parse_fault_spec"]

HTTP_KINDS = frozenset({"500", "502", "503", "504", "429", "403", "primary", "reset", "slow"})
RUN_KINDS = frozenset({"visibility-delay", "foreign-dispatch", "reattempt"})
_METHODS = frozenset({"*", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"})
_KIND_RE = re.compile(r"^(?P<kind>\d{3}|[a-z][a-z-]*)(?:=(?P<value>[0-9.]+))?(?:x(?P<count>\d+))?(?:@(?P<skip>\d+))?$")


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour. ``count`` None = every matching call after the first ``skip``."""

    method: str
    pattern: str
    kind: str
    value: float | None = None
    count: int | None = None
    skip: int = 0

    def __post_init__(self) -> None:
        # A Fault built in code with a bad field is a programming error; parse_fault_spec turns it into a
        # ConfigError naming the spec the operator gave.
        if self.kind not in HTTP_KINDS | RUN_KINDS:
            known = ", ".join(sorted(HTTP_KINDS | RUN_KINDS))
            raise ValueError(f"unknown fault kind {self.kind!r} (known: {known})")
        if self.method not in _METHODS:
            raise ValueError(f"unknown HTTP method {self.method!r}")
        if not self.pattern.startswith("/"):
            raise ValueError(f"the path pattern must start with '/', got {self.pattern!r}")
        if self.kind in {"slow", "visibility-delay"} and self.value is None:
            raise ValueError(f"fault kind {self.kind!r} needs a value, e.g. {self.kind}=2")

    @property
    def retry_after(self) -> int:
        """Seconds announced in ``retry-after`` for secondary-limit faults."""
        return int(self.value) if self.value is not None else 60

    def matches(self, method: str, path: str) -> bool:
        """True when this fault applies to the request (count and skip aside)."""
        return self.method in {"*", method} and fnmatch.fnmatchcase(path, self.pattern)


def parse_fault_spec(spec: str) -> Fault:
    """Parse ``METHOD PATTERN:KIND[=VALUE][xCOUNT][@SKIP]``; a bad spec raises ConfigError naming it."""
    head, sep, tail = spec.strip().rpartition(":")
    method, _, pattern = head.strip().partition(" ")
    match = _KIND_RE.match(tail.strip())
    if not sep or not pattern.strip() or match is None:
        raise ConfigError(f"bad fault spec {spec!r}: expected 'METHOD /path/pattern:KIND[=VALUE][xCOUNT][@SKIP]', "
                          "e.g. 'GET /repos/*/actions/runs/*:503x2'", source="--fault")
    value = match["value"]
    try:
        return Fault(method=method.strip().upper(), pattern=pattern.strip(), kind=match["kind"],
                     value=float(value) if value else None,
                     count=int(match["count"]) if match["count"] else None, skip=int(match["skip"] or 0))
    except ValueError as exc:  # a bad field, or a VALUE such as 1.2.3 that the pattern lets through
        raise ConfigError(f"bad fault spec {spec!r}: {exc}", source="--fault") from exc


class FaultSet:
    """The active faults and how often each matched. Thread-safe; first added, first applied."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._seen: list[int] = []

    def add(self, fault: Fault | str) -> Fault:
        """Add a fault (or a spec string) and return it."""
        parsed = parse_fault_spec(fault) if isinstance(fault, str) else fault
        with self._lock:
            self._faults.append(parsed)
            self._seen.append(0)
        return parsed

    def take(self, method: str, path: str, *, kinds: frozenset[str] = HTTP_KINDS) -> Fault | None:
        """The first fault of ``kinds`` due for this call, counting the call against every matching fault."""
        due = self.take_all(method, path, kinds=kinds)
        return due[0] if due else None

    def take_all(self, method: str, path: str, *, kinds: frozenset[str]) -> list[Fault]:
        """Every fault of ``kinds`` due for this call (run faults combine: a delay and a foreign dispatch)."""
        due: list[Fault] = []
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.kind in kinds and fault.matches(method, path):
                    self._seen[index] += 1
                    call = self._seen[index] - fault.skip
                    if call >= 1 and (fault.count is None or call <= fault.count):
                        due.append(fault)
        return due

    def active(self) -> list[Fault]:
        """The configured faults."""
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()
            self._seen.clear()
