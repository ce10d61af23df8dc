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

from cicd_acceptance.errors import ConfigError
from cicd_acceptance.live.waiter import IntervalPolicy
from cicd_acceptance.polling import Clock, Sleep

__all__ = ["CompressedTime", "LiveTiming"]


@dataclass(frozen=True)
class LiveTiming:
    """Bounds and pacing of every live wait. ``appear_timeout_s`` also bounds how long CI may have no run yet."""

    appear_timeout_s: float = 300.0
    run_timeout_s: float = 3600.0
    settle_s: float = 10.0
    interval_s: float = 3.0
    policy: IntervalPolicy = field(default_factory=IntervalPolicy)
    sleep: Sleep = time.sleep
    clock: Clock = time.monotonic


class CompressedTime:
    """A monotonic clock and a sleep that run ``speed`` times faster than real time (``speed`` > 0)."""

    def __init__(self, speed: float, *, monotonic: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        if speed <= 0:
            raise ConfigError(f"the emulator speed must be > 0, got {speed}", source="emulator speed")
        self.speed = speed
        self._monotonic = monotonic
        self._sleep = sleep

    def clock(self) -> float:
        return self._monotonic() * self.speed

    def sleep(self, seconds: float) -> None:
        self._sleep(max(seconds, 0.0) / self.speed)
