"""Units of the emulator's state: the clock, the checkout reader, repository naming, the request log."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from cicd_acceptance.emulator import EmulatorConfig, EmulatorState
from cicd_acceptance.emulator.clock import DEFAULT_EPOCH, EmulatedClock
from cicd_acceptance.emulator.github.repo import load_snapshot, parse_remote
from cicd_acceptance.errors import ConfigError, TargetError
from tests.emulator.sample_repo import git, make_sample_repo

ROOT = Path(__file__).resolve().parents[2]


def test_clock_scales_real_time_and_steps() -> None:
    ticks = [100.0]
    clock = EmulatedClock(speed=60, monotonic=lambda: ticks[0])
    assert clock.now() == DEFAULT_EPOCH
    ticks[0] += 2  # two real seconds at speed 60
    assert clock.now() - DEFAULT_EPOCH == timedelta(minutes=2)
    clock.advance(30)
    assert clock.now() - DEFAULT_EPOCH == timedelta(minutes=2, seconds=30)
    with pytest.raises(ValueError, match="negative"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="needs a time zone"):
        EmulatedClock(start=datetime(2026, 3, 2, 9, 0))
    with pytest.raises(ConfigError, match="speed must be >= 0"):
        EmulatedClock(speed=-1)


def test_speed_drives_the_run_lifecycle(sample_repo: Path) -> None:
    ticks = [0.0]
    state = EmulatorState(sample_repo, EmulatorConfig(speed=100), monotonic=lambda: ticks[0])
    run = state.dispatch("build-images.yml")
    ticks[0] += 1.0  # 100 emulated seconds
    state.github.settle()  # the run's execution (started when its job was due) has finished
    assert (run.status(state.now()), run.conclusion(state.now())) == ("completed", "success")


def test_snapshot_of_a_subfolder_checkout_uses_paths_relative_to_it() -> None:
    # The sample is part of this repository: if it is missing, that is a failure, not a reason to skip.
    snapshot = load_snapshot(ROOT / "examples" / "stream-monitor")
    assert ".github/workflows/build-images.yml" in snapshot.workflow_paths()
    assert snapshot.head == git(ROOT, "rev-parse", "HEAD")
    assert b"go test" in snapshot.read(".github/workflows/ci.yml")


def test_not_a_checkout_is_a_target_error(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="not a git checkout"):
        load_snapshot(tmp_path)
    with pytest.raises(TargetError, match="repository directory not found"):
        load_snapshot(tmp_path / "missing")


@pytest.mark.parametrize(("url", "expected"), [
    ("https://github.com/Acme/Stream-Monitor.git", ("Acme", "Stream-Monitor")),
    ("git@github.com:acme/stream-monitor.git", ("acme", "stream-monitor")),
    ("https://ghe.example.com/team/app", ("team", "app")),
    ("not a url", None),
    ("/srv/git/stream-monitor", None),      # a clone of a local path names no GitHub repository
])
def test_parse_remote(url: str, expected: tuple[str, str] | None) -> None:
    assert parse_remote(url) == expected


def test_repository_from_origin_else_default(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    with_origin = make_sample_repo(tmp_path / "a", remote="git@github.com:Acme/Widget.git")
    assert EmulatorState(with_origin, EmulatorConfig(speed=0)).repository == "Acme/Widget"
    (tmp_path / "b").mkdir()
    plain = make_sample_repo(tmp_path / "b")
    assert EmulatorState(plain, EmulatorConfig(speed=0)).repository == "example/stream-monitor"
    assert EmulatorState(plain, EmulatorConfig(speed=0, repository="x/y")).repository == "x/y"


def test_reset_returns_to_the_seeded_state(state: EmulatorState) -> None:
    before = {(run.workflow.path, run.event) for run in state.github.runs}
    state.dispatch("build-images.yml")
    state.add_fault("GET /meta:500")
    state.advance(300)
    state.reset()
    assert {(run.workflow.path, run.event) for run in state.github.runs} == before
    assert state.faults.active() == []
    assert state.now() == DEFAULT_EPOCH


def test_needs_orders_jobs_and_a_failed_need_skips_the_dependant() -> None:
    from cicd_acceptance.emulator.github.runs import JobRecord, RunRecord, Timings, plan_attempt
    from cicd_acceptance.emulator.github.workflow_view import JobPlan, WorkflowInfo

    steps = ("Set up job", "Run make", "Complete job")
    plans = [JobPlan("test", "test", {}, steps, ()), JobPlan("build", "build", {}, steps, ("test",))]
    attempt = plan_attempt(1, DEFAULT_EPOCH, plans, Timings(queued=5, job=40), next_job_id=1, outcome=None)
    test_job, build_job = attempt.jobs
    assert build_job.started_at == test_job.completed_at == DEFAULT_EPOCH + timedelta(seconds=45)
    assert attempt.completed_at == DEFAULT_EPOCH + timedelta(seconds=85)
    run = RunRecord(id=1, workflow=WorkflowInfo(1, "w.yml", "w", None, None), run_number=1, event="push",
                    head_branch="main", head_sha="0" * 40, actor="a", created_at=DEFAULT_EPOCH,
                    visible_at=DEFAULT_EPOCH, check_suite_id=1, attempts=[attempt])
    test_job.outcome = "failure"
    end = attempt.completed_at
    assert [run.job_conclusion(job, end) for job in attempt.jobs] == ["failure", "skipped"]
    assert run.conclusion(end) == "failure"
    assert run.status(DEFAULT_EPOCH + timedelta(seconds=50)) == "in_progress"
    assert isinstance(build_job, JobRecord)
