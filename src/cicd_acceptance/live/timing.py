"""How long the live acceptance waits, how often it looks, and which clock it reads.

Every duration is in the seconds of the clock given. Against real GitHub that is ``time.monotonic`` /
``time.sleep``. Against the bundled emulator running ``speed`` times faster than real time, :class:`CompressedTime`
gives a clock that also runs ``speed`` times faster and a sleep that sleeps ``1/speed`` of what it is asked: the
harness keeps its real settings (3 s polls, 300 s to appear, 3600 s to complete) while a 10-minute emulated build
takes ten real seconds at speed 60.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from cicd_acceptance.polling import Clock, Poll, Sleep

__all__ = ["CompressedTime", "IntervalPolicy", "LiveTiming"]


@dataclass(frozen=True)
class IntervalPolicy:
    """Seconds between polls of a run. ``steady_s`` bounds detection latency in the middle; ``fast_s`` is used
    while the run is younger than ``young_s`` and within ``near_end_s`` of ``expected_s`` (or past it).
    ``counted_per_minute`` and ``burst`` bound the polls that cost rate limit (a server without 304s)."""

    fast_s: float = 1.0
    steady_s: float = 3.0
    young_s: float = 30.0
    near_end_s: float = 30.0
    counted_per_minute: float = 1.0
    burst: float = 4.0

    def interval(self, *, age_s: float, expected_s: float | None) -> float:
        if age_s < self.young_s:
            return self.fast_s
        if expected_s is not None and age_s >= expected_s - self.near_end_s:
            return self.fast_s
        return self.steady_s


@dataclass(frozen=True)
class LiveTiming:
    """Bounds and pacing of every live wait, and the clock they are measured on.

    ``appear_timeout_s`` bounds how long a run may be invisible: a dispatched run to be found, a run id to stop
    answering 404, CI to have no run for a commit yet. ``run_timeout_s`` bounds the wait for a run to complete,
    ``start_timeout_s`` (None: no bound of its own) how long it may sit queued or waiting, ``outage_tolerance_s``
    how long 5xx and network errors (each already retried by the client) are ridden out on the last known state.
    ``settle_s`` is how long a lone correlation candidate is watched before it is taken as ours, ``skew_s`` how far
    before the dispatch the ``created`` filter reaches. ``interval_s`` paces listings; ``policy`` paces the polls
    of one run.
    """

    appear_timeout_s: float = 300.0
    run_timeout_s: float = 3600.0
    start_timeout_s: float | None = None
    outage_tolerance_s: float = 300.0
    settle_s: float = 10.0
    skew_s: float = 120.0
    interval_s: float = 3.0
    policy: IntervalPolicy = field(default_factory=IntervalPolicy)
    sleep: Sleep = time.sleep
    clock: Clock = time.monotonic

    def appearing(self) -> Poll:
        """The wait for something to appear: ``appear_timeout_s``, a look every ``interval_s``."""
        return Poll(self.appear_timeout_s, self.interval_s, sleep=self.sleep, clock=self.clock)


class CompressedTime:
    """A monotonic clock and a sleep that run ``speed`` times faster than real time (``speed`` > 0)."""

    def __init__(self, speed: float, *, monotonic: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        if speed <= 0:
            raise ValueError(f"the emulator speed must be > 0, got {speed}")
        self.speed = speed
        self._monotonic = monotonic
        self._sleep = sleep

    def clock(self) -> float:
        return self._monotonic() * self.speed

    def sleep(self, seconds: float) -> None:
        self._sleep(max(seconds, 0.0) / self.speed)
