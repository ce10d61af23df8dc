"""ci_status and merged_pull_request on the fake GitHub: pending is never green, red names job and step."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from cicd_acceptance.github import GitHubClient, Job
from cicd_acceptance.httpbounds import HttpSettings
from cicd_acceptance.live.ci_status import CiStatus, ci_status, judge_run, merged_pull_request
from cicd_acceptance.live.timing import LiveTiming
from cicd_acceptance.live.waiter import settle_by_waiting
from cicd_acceptance.polling import ManualClock
from cicd_acceptance.secret import Secret
from tests.github.fake_github import API, OTHER_SHA, REPO, SHA, FakeGitHub, FakeJob, ok_timeline


def setup() -> tuple[FakeGitHub, GitHubClient, ManualClock]:
    clock = ManualClock(start=1000.0)
    fake = FakeGitHub(clock=clock)
    client = GitHubClient(base_url=API, token=Secret("t0ken"),
                          http=HttpSettings(transport=httpx.MockTransport(fake), sleep=clock.sleep))
    return fake, client, clock


def timing(clock: ManualClock, appear_timeout_s: float = 120.0) -> LiveTiming:
    return LiveTiming(appear_timeout_s=appear_timeout_s, interval_s=5.0, sleep=clock.sleep, clock=clock)


def status(client: GitHubClient, clock: ManualClock, **options: object) -> CiStatus:
    return ci_status(client, REPO, workflow="ci.yml", head_sha=SHA, event="push", branch="main",
                     timing=timing(clock), **options)  # type: ignore[arg-type]


def test_green_push_run_with_the_test_job() -> None:
    fake, client, clock = setup()
    fake.add_run(path="ci.yml", event="push", created=0, jobs=[FakeJob("test")])
    result = ci_status(client, REPO, workflow="ci.yml", head_sha=SHA, event="push", branch="main",
                       required_jobs=("test",), timing=timing(clock))
    assert result.state == "green"
    assert result.green
    assert result.verdict is not None
    assert [job.name for job in result.verdict.jobs] == ["test"]


def test_green_run_without_required_jobs_spends_no_jobs_request() -> None:
    fake, client, clock = setup()
    fake.add_run(path="ci.yml", event="push", created=0, jobs=[FakeJob("test")])
    result = ci_status(client, REPO, workflow="ci.yml", head_sha=SHA, event="push", timing=timing(clock))
    assert result.green
    assert not any(r.url.path.endswith("/jobs") for r in fake.requests)
    assert len(fake.requests) == 1


def test_no_run_within_the_grace_period_is_pending_never_green() -> None:
    fake, client, clock = setup()
    fake.add_run(path="ci.yml", event="push", head_sha=OTHER_SHA, created=0)   # another commit
    fake.add_run(path="ci.yml", event="pull_request", created=0)                # another event
    result = ci_status(client, REPO, workflow="ci.yml", head_sha=SHA, event="push",
                       timing=timing(clock, appear_timeout_s=60))
    assert result.state == "pending"
    assert not result.green
    assert "pending is not green" in result.reason
    assert fake.counted == 1  # 13 looks, 12 of them free 304s


def test_run_appearing_within_grace_is_found() -> None:
    fake, client, clock = setup()
    fake.add_run(path="ci.yml", event="push", created=1000, visible_after=20, timeline=ok_timeline(0.5))
    result = ci_status(client, REPO, workflow="ci.yml", head_sha=SHA, event="push", branch="main",
                       timing=timing(clock, appear_timeout_s=60))
    assert result.state == "green"


def test_unfinished_run_is_pending_unless_a_settle_function_waits_for_it() -> None:
    fake, client, clock = setup()
    fake.add_run(path="ci.yml", event="push", created=1000, jobs=[FakeJob("test")], timeline=ok_timeline(300))
    assert status(client, clock).state == "pending"

    before = fake.counted
    waiting = LiveTiming(appear_timeout_s=120, sleep=clock.sleep, clock=clock)
    settled = status(client, clock, settle=settle_by_waiting(client, REPO, waiting))
    assert settled.state == "green"
    # list again (304), the run (200), its changes to in_progress and completed (200 each), the waiter's jobs
    # listing (200); the green run needs no second judgement of its jobs
    assert fake.counted - before == 4


@pytest.mark.parametrize("conclusion", ["failure", "cancelled", "startup_failure", "timed_out", "skipped"])
def test_red_conclusions_name_job_and_step(conclusion: str) -> None:
    fake, client, clock = setup()
    jobs = [FakeJob("test", "failure", failed_step="Run go test ./...")] if conclusion == "failure" else []
    fake.add_run(path="ci.yml", event="push", created=0, timeline=ok_timeline(10, conclusion), jobs=jobs or None)
    result = status(client, clock)
    assert result.state == "red"
    if conclusion == "failure":
        assert "job 'test' failure at step 2 'Run go test ./...'" in result.reason
    else:
        assert conclusion in result.reason


def test_green_run_whose_required_job_was_skipped_is_red() -> None:
    fake, client, clock = setup()
    fake.add_run(path="ci.yml", event="push", created=0, jobs=[FakeJob("lint"), FakeJob("test", "skipped")])
    result = ci_status(client, REPO, workflow="ci.yml", head_sha=SHA, event="push", required_jobs=("test",),
                       timing=timing(clock))
    assert result.state == "red"
    assert "job 'test' skipped" in result.reason


def test_required_job_missing_is_red() -> None:
    fake, client, clock = setup()
    fake.add_run(path="ci.yml", event="push", created=0, jobs=[FakeJob("lint")])
    result = ci_status(client, REPO, workflow="ci.yml", head_sha=SHA, event="push", required_jobs=("test",),
                       timing=timing(clock))
    assert result.state == "red"
    assert "required job 'test' is not in the run" in result.reason


def test_newest_run_decides_and_others_are_listed() -> None:
    fake, client, clock = setup()
    fake.add_run(path="ci.yml", event="push", created=0, timeline=ok_timeline(10, "failure"),
                 jobs=[FakeJob("test", "failure")])
    newer = fake.add_run(path="ci.yml", event="push", created=100)
    result = status(client, clock)
    assert result.state == "green"
    assert result.verdict is not None
    assert result.verdict.run.id == newer.id
    assert "newest of 2 runs" in result.reason


def pull(number: int, *, merged: bool, base: str = "main", merge_sha: str = SHA, head: str = "b" * 40
         ) -> dict[str, object]:
    return {"_sha": SHA, "number": number, "state": "closed" if merged else "open", "title": f"PR {number}",
            "head": {"sha": head, "ref": f"feature-{number}"}, "base": {"ref": base},
            "merge_commit_sha": merge_sha, "merged_at": "2026-11-27T07:00:00Z" if merged else None}


def test_merged_pull_request_for_the_head_commit() -> None:
    fake, client, _ = setup()
    fake.pulls = [pull(3, merged=False), pull(4, merged=True, base="release"), pull(5, merged=True)]
    found = merged_pull_request(client, REPO, SHA, base="main")
    assert found is not None
    assert (found.number, found.head_sha) == (5, "b" * 40)


def test_direct_push_has_no_merged_pull_request() -> None:
    fake, client, _ = setup()
    fake.pulls = [pull(3, merged=False)]
    assert merged_pull_request(client, REPO, SHA, base="main") is None


def test_pull_request_event_on_the_prs_head_commit() -> None:
    fake, client, clock = setup()
    fake.add_run(path="ci.yml", event="pull_request", head_sha="b" * 40, branch="feature-5", created=0,
                 jobs=[FakeJob("test")])
    result = ci_status(client, REPO, workflow="ci.yml", head_sha="b" * 40, event="pull_request",
                       required_jobs=("test",), timing=timing(clock))
    assert result.green


def test_jobs_of_a_newer_attempt_are_not_used_for_the_judged_attempt() -> None:
    fake, client, _ = setup()
    fake.add_run(path="ci.yml", event="push", created=0, jobs=[FakeJob("test")])
    run = client.get_run(REPO, fake.runs[-1].id)
    real_list_jobs = client.list_jobs
    calls: list[str] = []

    def list_jobs(repo: str, run_id: int, *, filter: str = "latest") -> list[Job]:
        calls.append(filter)
        jobs = real_list_jobs(repo, run_id, filter=filter)
        rerun = [replace(job, run_attempt=2, status="in_progress", conclusion=None) for job in jobs]
        return rerun if filter == "latest" else jobs + rerun

    client.list_jobs = list_jobs  # type: ignore[method-assign]
    verdict = judge_run(client, REPO, run, required_jobs=("test",))
    assert calls == ["latest", "all"]
    assert verdict.green
    assert [job.run_attempt for job in verdict.jobs] == [1]
