"""wait_until with a ManualClock: deadlines, phases, composed tenacity strategies; nothing really sleeps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

import pytest
import tenacity

from cicd_acceptance.errors import WaitTimeout
from cicd_acceptance.polling import ManualClock, Poll, wait_by_value, wait_until

T = TypeVar("T")


def counter(values: list[T]) -> Iterator[T]:
    yield from values
    while True:
        yield values[-1]


def test_returns_first_done_value_and_sleeps_the_interval() -> None:
    clock = ManualClock()
    values = counter([0, 1, 2, 3])
    result = wait_until(lambda: next(values), done=lambda v: v >= 2, phase="count",
                        poll=Poll(60, interval_s=5, sleep=clock.sleep, clock=clock))
    assert result == 2
    assert clock.sleeps == [5, 5]
    assert clock() == 10


def test_timeout_names_phase_and_last_value_and_looks_at_the_deadline() -> None:
    clock = ManualClock()
    seen: list[float] = []

    def probe() -> str:
        seen.append(clock())
        return "queued"

    with pytest.raises(WaitTimeout) as err:
        wait_until(probe, done=lambda v: v == "completed", phase="run 7 to start",
                   poll=Poll(12, interval_s=5, sleep=clock.sleep, clock=clock))
    assert seen == [0, 5, 10, 12]  # the last look is at the deadline, not after it
    assert err.value.phase == "run 7 to start"
    assert err.value.last_value == "queued"
    assert str(err.value) == "timed out after 12s waiting for run 7 to start: last seen: 'queued'"


def test_phase_can_depend_on_the_last_value() -> None:
    clock = ManualClock()
    with pytest.raises(WaitTimeout) as err:
        wait_until(lambda: "in_progress", done=lambda v: False, phase=lambda v: f"run in phase {v}",
                   poll=Poll(3, interval_s=1, sleep=clock.sleep, clock=clock))
    assert err.value.phase == "run in phase in_progress"


def test_zero_timeout_still_looks_once() -> None:
    clock = ManualClock()
    calls: list[int] = []

    def look() -> int:
        calls.append(1)
        return 0

    with pytest.raises(WaitTimeout):
        wait_until(look, done=lambda v: False, phase="p", poll=Poll(0, sleep=clock.sleep, clock=clock))
    assert calls == [1]
    assert clock.sleeps == []


def test_exceptions_from_fn_propagate_without_retry() -> None:
    clock = ManualClock()

    def broken() -> int:
        raise KeyError("boom")

    with pytest.raises(KeyError):
        wait_until(broken, done=lambda v: True, phase="p", poll=Poll(10, sleep=clock.sleep, clock=clock))
    assert clock.sleeps == []


def test_composed_tenacity_strategies() -> None:
    clock = ManualClock()
    values = counter([0, 0, 0, 1])
    strategy = tenacity.wait_exponential(multiplier=1, max=8) + tenacity.wait_fixed(0.5)
    wait_until(lambda: next(values), done=bool, phase="p",
               poll=Poll(100, wait=strategy, sleep=clock.sleep, clock=clock))
    assert clock.sleeps == [1.5, 2.5, 4.5]


def test_wait_by_value_adapts_to_what_was_seen() -> None:
    clock = ManualClock()
    values = counter(["queued", "in_progress", "in_progress", "completed"])
    strategy: wait_by_value[str] = wait_by_value(lambda v: 2.0 if v == "queued" else 10.0)
    wait_until(lambda: next(values), done=lambda v: v == "completed", phase="p",
               poll=Poll(100, wait=strategy, sleep=clock.sleep, clock=clock))
    assert clock.sleeps == [2.0, 10.0, 10.0]


def test_fn_taking_real_time_counts_against_the_deadline() -> None:
    clock = ManualClock()

    def slow() -> int:
        clock.advance(4)  # e.g. a request with network latency
        return 0

    with pytest.raises(WaitTimeout) as err:
        wait_until(slow, done=bool, phase="p", poll=Poll(10, interval_s=3, sleep=clock.sleep, clock=clock))
    # look at 0 (ends at 4), sleep 3, look at 7 (ends at 11): past the deadline, so no further sleep
    assert clock.sleeps == [3]
    assert err.value.waited_s == 11
