"""The ExecPlan writer: concurrent writers lose nothing; a FIFO, a read-only or a hard-linked plan is refused."""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

import pytest

from cicd_acceptance.errors import ConfigError, LocalFileError
from cicd_acceptance.evidence.execplan import ProgressEntry, check_execplan, record_progress
from tests.hostile.bounded import within

PLAN = """# A plan

## Progress

- [x] (2026-02-02 00:10Z) Start.

## Outcomes & Retrospective

- Outcome (2026-02-02): Started.
"""


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    path = tmp_path / "plan.md"
    path.write_text(PLAN, encoding="utf-8")
    return path


def _entry(n: int) -> ProgressEntry:
    return ProgressEntry(met=False, text=f"Run number {n} not met.", when=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))


def test_a_hundred_concurrent_writers_lose_nothing(plan: Path) -> None:
    start = threading.Barrier(100)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait(timeout=30)
            record_progress(plan, _entry(n))
        except BaseException as exc:  # reported below; a thread must not swallow it
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    text = plan.read_text(encoding="utf-8")
    missing = [n for n in range(100) if f"Run number {n} not met." not in text]
    assert missing == []
    assert text.count("- Outcome (2026-12-01)") == 100
    assert sorted(p.name for p in plan.parent.iterdir()) == ["plan.md"]  # no lock or temp file left behind


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "plan.md"
    os.mkfifo(fifo)
    for call in (lambda: check_execplan(fifo), lambda: record_progress(fifo, _entry(1))):
        error = within(5.0, call, fifo)
        assert isinstance(error, ConfigError)
        assert "not a regular file" in str(error)


def test_a_read_only_plan_is_refused_not_replaced(plan: Path) -> None:
    plan.chmod(0o444)
    with pytest.raises(LocalFileError, match="read-only"):
        check_execplan(plan)
    with pytest.raises(LocalFileError, match=f"--execplan {plan}: the ExecPlan is read-only"):
        record_progress(plan, _entry(1))
    assert plan.read_text(encoding="utf-8") == PLAN
    assert plan.stat().st_mode & 0o777 == 0o444


def test_a_hard_linked_plan_is_refused_not_split(plan: Path, tmp_path: Path) -> None:
    other = tmp_path / "copy.md"
    os.link(plan, other)
    with pytest.raises(LocalFileError, match="2 hard links"):
        record_progress(plan, _entry(1))
    assert plan.stat().st_ino == other.stat().st_ino
    assert plan.read_text(encoding="utf-8") == PLAN
