"""The emulator's clock: emulated time that runs at a configurable speed and can be stepped by tests.

Run lifecycles (visibility delay, queued, in progress, completed) are defined in emulated seconds, so a demo can
compress a 3-minute build into a few real seconds with ``speed`` and a test can set ``speed=0`` and move time
explicitly with :meth:`EmulatedClock.advance` (no timed tests, no sleeps).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from cicd_acceptance.errors import ConfigError

__all__ = ["DEFAULT_EPOCH", "EmulatedClock", "iso"]

# A fixed, recognisable start makes seeded history and test expectations reproducible.
DEFAULT_EPOCH = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    """Format like GitHub does: UTC, seconds precision, trailing ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class EmulatedClock:
    """Emulated time = ``start`` + stepped offset + real elapsed time x ``speed``.

    >>> clock = EmulatedClock(speed=0)
    >>> clock.advance(30)
    >>> clock.now() - DEFAULT_EPOCH
    datetime.timedelta(seconds=30)
    """

    def __init__(self, *, start: datetime = DEFAULT_EPOCH, speed: float = 1.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        if speed < 0:
            raise ConfigError(f"speed must be >= 0, got {speed}", source="--speed")
        if start.tzinfo is None:
            raise ValueError("EmulatedClock(start=...) needs a time zone")
        self._start = start
        self._speed = speed
        self._monotonic = monotonic
        self._origin = monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()

    @property
    def speed(self) -> float:
        """How many emulated seconds pass per real second (0 = only :meth:`advance` moves time)."""
        return self._speed

    def now(self) -> datetime:
        """The current emulated time (UTC)."""
        with self._lock:
            elapsed = (self._monotonic() - self._origin) * self._speed
            return self._start + timedelta(seconds=self._offset + elapsed)

    def advance(self, seconds: float) -> None:
        """Move emulated time forward; time never goes backwards."""
        if seconds < 0:
            raise ValueError(f"cannot advance the clock by a negative amount ({seconds})")
        with self._lock:
            self._offset += seconds

    def reset(self) -> None:
        """Return to the start time (used by ``EmulatorState.reset``)."""
        with self._lock:
            self._origin = self._monotonic()
            self._offset = 0.0
