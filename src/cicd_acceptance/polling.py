"""Bounded waiting built from tenacity strategies, with an injectable ``sleep`` and monotonic ``clock``.

``wait_until(fn, done=..., phase=..., poll=Poll(timeout_s))`` calls ``fn`` until ``done(value)``; between calls it
sleeps as a tenacity wait strategy says (``Poll.interval_s`` is ``wait_fixed``; give ``Poll.wait`` for anything
else, and compose strategies with tenacity's ``+``), never past the deadline, so the last look happens at the
deadline.
When time is up it raises :class:`WaitTimeout` naming the phase. Exceptions from ``fn`` propagate untouched:
deciding what is retryable belongs to the client, not to the poller.

Tests and simulations give a :class:`ManualClock` as both ``clock`` and ``sleep=clock.sleep``: sleeping advances
the clock, so minutes of waiting run in microseconds and every sleep is recorded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import tenacity
from tenacity.wait import wait_base

from cicd_acceptance.errors import WaitTimeout

__all__ = ["Clock", "ManualClock", "Poll", "Sleep", "wait_by_value", "wait_until"]

T = TypeVar("T")
Clock = Callable[[], float]
Sleep = Callable[[float], None]


class ManualClock:
    """A monotonic clock that only moves when slept on (or :meth:`advance`\\ d); records every sleep."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        self.now += seconds


class wait_by_value(wait_base, Generic[T]):  # lower-case like tenacity's own strategies
    """A wait strategy that chooses the interval from the last value seen (e.g. a run's age or status)."""

    def __init__(self, interval_for: Callable[[T], float]) -> None:
        self._interval_for = interval_for

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        if outcome is None or outcome.failed:
            return 0.0
        value: T = outcome.result()
        return float(self._interval_for(value))


def _phase_name(phase: str | Callable[[T | None], str], last: T | None) -> str:
    return phase if isinstance(phase, str) else phase(last)


@dataclass(frozen=True)
class Poll:
    """How one wait looks: for at most ``timeout_s`` of ``clock``, every ``interval_s`` (or as the tenacity strategy
    ``wait`` says, when given), sleeping with ``sleep``."""

    timeout_s: float
    interval_s: float = 1.0
    wait: wait_base | None = None
    sleep: Sleep = time.sleep
    clock: Clock = time.monotonic


def wait_until(fn: Callable[[], T], *, done: Callable[[T], bool], phase: str | Callable[[T | None], str],
               poll: Poll, describe: Callable[[T], str] = repr) -> T:
    """Return the first value of ``fn()`` for which ``done`` holds, or raise :class:`WaitTimeout`.

    ``phase`` (a string, or a function of the last value) names what we were waiting for in the timeout message;
    ``describe`` renders the last value there. ``fn`` is always called at least once, even with ``timeout_s=0``.
    """
    strategy = poll.wait if poll.wait is not None else tenacity.wait_fixed(poll.interval_s)
    clock = poll.clock
    start = clock()
    deadline = start + poll.timeout_s
    last: list[T] = []

    def attempt() -> T:
        value = fn()
        last[:] = [value]
        return value

    def bounded_wait(state: tenacity.RetryCallState) -> float:
        # Never sleep past the deadline: the final look lands on it instead of after it.
        return max(0.0, min(strategy(state), deadline - clock()))

    def give_up(state: tenacity.RetryCallState) -> T:
        value = last[0] if last else None
        shown = describe(value) if value is not None else "nothing yet"
        raise WaitTimeout(f"last seen: {shown}", phase=_phase_name(phase, value), waited_s=clock() - start,
                          last_value=value)

    retrying = tenacity.Retrying(
        sleep=poll.sleep,
        retry=tenacity.retry_if_result(lambda value: not done(value)),
        wait=bounded_wait,
        stop=lambda state: clock() >= deadline,
        retry_error_callback=give_up,
    )
    result: T = retrying(attempt)
    return result
