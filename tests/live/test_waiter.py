"""wait_for_run on the fake GitHub with a ManualClock: statuses, verdicts, phases, and what waiting costs."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import httpx
import pytest

from cicd_acceptance.errors import GitHubAPIError, GitHubNotFound, WaitTimeout
from cicd_acceptance.github import GitHubClient
from cicd_acceptance.httpbounds import HttpSettings
from cicd_acceptance.live.progress import ProgressPrinter
from cicd_acceptance.live.timing import IntervalPolicy, LiveTiming
from cicd_acceptance.live.waiter import RunChange, wait_for_run
from cicd_acceptance.polling import ManualClock
from cicd_acceptance.secret import Secret
from tests.github.fake_github import API, REPO, FakeGitHub, FakeJob, ok_timeline


def setup(**fake_options: object) -> tuple[FakeGitHub, GitHubClient, ManualClock]:
    clock = ManualClock()
    fake = FakeGitHub(clock=clock, **fake_options)  # type: ignore[arg-type]
    client = GitHubClient(base_url=API, token=Secret("t0ken"),
                          http=HttpSettings(transport=httpx.MockTransport(fake), sleep=clock.sleep))
    return fake, client, clock


def waits(clock: ManualClock, *, appear_timeout_s: float = 120.0, run_timeout_s: float = 3600.0,
          start_timeout_s: float | None = None, outage_tolerance_s: float = 300.0) -> LiveTiming:
    return LiveTiming(appear_timeout_s=appear_timeout_s, run_timeout_s=run_timeout_s, start_timeout_s=start_timeout_s,
                      outage_tolerance_s=outage_tolerance_s, sleep=clock.sleep, clock=clock)


BUILD_JOBS = ("build (gateway)", "build (worker)", "build (webhook-demo)")


def test_green_run_of_ten_minutes_costs_a_handful_of_counted_requests() -> None:
    fake, client, clock = setup()
    run = fake.add_run(timeline=ok_timeline(601.7))  # completes between two polls
    result = wait_for_run(client, REPO, run.id, waits(clock), expected_duration_s=600,
                          required_jobs=("build",))
    assert result.green
    assert [job.name for job in result.verdict.jobs] == list(BUILD_JOBS)
    # queued, in_progress, completed: three counted GETs of the run, plus one jobs listing
    assert result.counted_requests == 4
    minutes = result.waited_s / 60
    assert result.counted_requests / minutes <= 1.0
    assert result.free_requests == result.polls - 3
    detection_latency = result.waited_s - 601.7
    assert 0 <= detection_latency <= 3


def test_interval_is_short_when_young_and_near_the_end_longer_in_the_middle() -> None:
    fake, client, clock = setup()
    run = fake.add_run()
    wait_for_run(client, REPO, run.id, waits(clock), expected_duration_s=600)
    sleeps = clock.sleeps
    assert set(sleeps[:25]) == {1.0}          # first 30 s
    assert 3.0 in sleeps                       # the middle
    assert sleeps[-5:] == [1.0] * 5            # last 30 s before the expected end
    assert len(sleeps) < 300                   # gh run watch: 200 polls x 3+ counted requests for 10 minutes


@pytest.mark.parametrize("conclusion", ["failure", "cancelled", "startup_failure", "timed_out", "skipped",
                                        "neutral", "action_required", "stale"])
def test_every_conclusion_but_success_is_red(conclusion: str) -> None:
    fake, client, clock = setup()
    jobs = [] if conclusion == "startup_failure" else [FakeJob("build (gateway)", conclusion="cancelled")]
    run = fake.add_run(timeline=ok_timeline(60, conclusion), jobs=jobs or [FakeJob("x", "skipped")])
    result = wait_for_run(client, REPO, run.id, waits(clock))
    assert not result.green
    assert conclusion in result.verdict.reason


def test_red_verdict_names_the_failing_matrix_job_and_step() -> None:
    fake, client, clock = setup()
    jobs = [FakeJob("build (gateway)"), FakeJob("build (worker)", "failure", failed_step="Build and push worker"),
            FakeJob("build (webhook-demo)")]
    run = fake.add_run(timeline=ok_timeline(120, "failure"), jobs=jobs)
    result = wait_for_run(client, REPO, run.id, waits(clock))
    assert not result.green
    [failure] = result.verdict.failures
    assert (failure.job, failure.step, failure.step_number) == ("build (worker)", "Build and push worker", 2)
    assert "job 'build (worker)' failure at step 2 'Build and push worker'" in result.verdict.reason


def test_success_with_a_skipped_matrix_job_is_red() -> None:
    fake, client, clock = setup()
    jobs = [FakeJob("build (gateway)"), FakeJob("build (worker)", "skipped"), FakeJob("build (webhook-demo)")]
    run = fake.add_run(timeline=ok_timeline(60), jobs=jobs)
    result = wait_for_run(client, REPO, run.id, waits(clock))
    assert not result.green
    assert "job 'build (worker)' skipped" in result.verdict.reason


def test_every_status_is_reported_once_per_change() -> None:
    timeline = [(0, "requested", None), (2, "queued", None), (4, "pending", None), (6, "waiting", None),
                (30, "in_progress", None), (90, "completed", "success")]
    fake, client, clock = setup()
    run = fake.add_run(timeline=timeline)
    changes: list[RunChange] = []
    result = wait_for_run(client, REPO, run.id, waits(clock), on_change=changes.append)
    seen = [change.status for change in changes if change.changed]
    assert seen == ["requested", "queued", "pending", "waiting", "in_progress", "completed"]
    assert result.green
    assert "waiting for an environment approval" in result.changes[3]


def test_timeout_names_the_phase_it_expired_in() -> None:
    fake, client, clock = setup()
    run = fake.add_run(timeline=ok_timeline(3600))
    with pytest.raises(WaitTimeout) as err:
        wait_for_run(client, REPO, run.id, waits(clock, run_timeout_s=300))
    assert err.value.phase == f"run {run.id} to complete (in_progress)"
    assert "timed out after 300s" in str(err.value)


def test_start_timeout_names_the_queue() -> None:
    fake, client, clock = setup()
    run = fake.add_run(timeline=[(0, "queued", None)])
    with pytest.raises(WaitTimeout) as err:
        wait_for_run(client, REPO, run.id, waits(clock, start_timeout_s=120))
    assert err.value.phase == f"run {run.id} to start"
    assert "still queued" in str(err.value)


def test_run_not_visible_yet_is_waited_for_then_reported() -> None:
    fake, client, clock = setup()
    run = fake.add_run(visible_after=8, timeline=ok_timeline(60))
    assert wait_for_run(client, REPO, run.id, waits(clock)).green
    _, client2, clock2 = setup()
    with pytest.raises(GitHubNotFound):
        wait_for_run(client2, REPO, 4242, waits(clock2, appear_timeout_s=20))


def test_without_etag_support_the_budget_holds_counted_polls_to_one_a_minute() -> None:
    fake, _, clock = setup()
    run = fake.add_run(timeline=ok_timeline(1800))

    def no_etags(request: httpx.Request) -> httpx.Response:
        request.headers.pop("if-none-match", None)
        return fake(request)

    plain = GitHubClient(base_url=API, token=None,
                         http=HttpSettings(transport=httpx.MockTransport(no_etags), sleep=clock.sleep))
    result = wait_for_run(plain, REPO, run.id, waits(clock))
    minutes = result.waited_s / 60
    assert result.free_requests == 0
    assert result.counted_requests <= minutes * 1.0 + IntervalPolicy().burst + 1


def test_progress_lines_outside_a_tty_one_per_change() -> None:
    fake, client, clock = setup()
    run = fake.add_run(timeline=ok_timeline(60))
    out = io.StringIO()
    wait_for_run(client, REPO, run.id, waits(clock), on_change=ProgressPrinter(out, label="b"))
    lines = out.getvalue().splitlines()
    assert lines[:2] == [f"[    0s] b: run {run.id}: queued", f"[    5s] b: run {run.id}: queued -> in_progress"]
    assert re.fullmatch(rf"\[   6[0-3]s\] b: run {run.id}: in_progress -> completed/success", lines[2])
    assert len(lines) == 3


def test_progress_on_a_tty_rewrites_one_live_line() -> None:
    fake, client, clock = setup()
    run = fake.add_run(timeline=ok_timeline(20))
    out = io.StringIO()
    printer = ProgressPrinter(out, tty=True)
    wait_for_run(client, REPO, run.id, waits(clock), on_change=printer)
    printer.close()
    text = out.getvalue()
    assert text.count("\n") == 3  # three committed changes; the live line was cleared before the last one
    assert text.count("\r\x1b[2K") > 3


def test_joining_a_run_late_uses_its_real_age_for_the_near_end_window() -> None:
    fake, client, clock = setup()
    run = fake.add_run(created=0, timeline=ok_timeline(600))
    clock.advance(500)  # the run is 500 s old when we start waiting
    result = wait_for_run(client, REPO, run.id, waits(clock), expected_duration_s=600)
    assert result.green
    assert clock.sleeps[0] == 3.0     # 500 s old: the middle, not "young"
    assert clock.sleeps[-1] == 1.0    # near the expected end


def outage(fake: FakeGitHub, clock: ManualClock, start: float, end: float) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        if start <= clock() < end:
            return httpx.Response(502, json={"message": "Bad gateway"})
        return fake(request)

    return handler


def test_an_api_outage_during_the_build_is_ridden_out() -> None:
    fake, _, clock = setup()
    run = fake.add_run(timeline=ok_timeline(600))
    client = GitHubClient(base_url=API, token=None,
                          http=HttpSettings(transport=httpx.MockTransport(outage(fake, clock, 100, 220)),
                                            sleep=clock.sleep))
    result = wait_for_run(client, REPO, run.id, waits(clock))
    assert result.green
    assert client.stats.retries > 0


def test_an_outage_longer_than_the_tolerance_is_reported() -> None:
    fake, _, clock = setup()
    run = fake.add_run(timeline=ok_timeline(600))
    client = GitHubClient(base_url=API, token=None,
                          http=HttpSettings(transport=httpx.MockTransport(outage(fake, clock, 100, 10_000)),
                                            sleep=clock.sleep))
    with pytest.raises(GitHubAPIError, match="-> 502"):
        wait_for_run(client, REPO, run.id, waits(clock, outage_tolerance_s=120))
    # rode out 120 s of outage first; the counted-request budget spaces polls out meanwhile (502s count too)
    assert 220 <= clock() < 500
