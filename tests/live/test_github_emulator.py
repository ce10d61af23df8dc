"""The GitHub client and the live logic against the bundled emulator (cicd_acceptance.emulator).

In-process (EmulatorTransport over the WSGI app) with the emulator's clock driven by a ManualClock, so a
10-minute build takes no real time; one test starts ``python -m cicd_acceptance.emulator`` and talks to it over a
real socket. The emulator's own request log is the witness for "never dispatched twice".
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cicd_acceptance.emulator import EmulatorConfig, EmulatorState, EmulatorTransport, make_app
from cicd_acceptance.emulator.github.runs import Timings
from cicd_acceptance.errors import (
    CorrelationError,
    GitHubAPIError,
    GitHubPermissionError,
    GitHubValidationError,
    RateLimited,
)
from cicd_acceptance.github import GitHubClient, RunFilter
from cicd_acceptance.httpbounds import HttpSettings
from cicd_acceptance.live.ci_status import ci_status
from cicd_acceptance.live.dispatch import DispatchOutcome, dispatch_and_find
from cicd_acceptance.live.timing import LiveTiming
from cicd_acceptance.live.waiter import RunResult, wait_for_run
from cicd_acceptance.polling import ManualClock
from cicd_acceptance.secret import Secret
from tests.live.acceptance_emulated import ROOT, SAMPLE, Counting

TOKEN = "emu-token-0123456789"
READ_ONLY = "emu-readonly-0123456789"
MATRIX = ("build (gateway)", "build (worker)", "build (webhook-demo)")


class Emulated:
    """One emulator instance, its ManualClock and a client wired to it."""

    def __init__(self, *, base_url: str = "https://api.github.com", token: str = TOKEN, **config: object) -> None:
        self.clock = ManualClock()
        options: dict[str, object] = {"token": TOKEN, "read_only_token": READ_ONLY,
                                      "timings": Timings(visibility_delay=3, queued=5, job=300)}
        options.update(config)
        self.state = EmulatorState(SAMPLE, EmulatorConfig(**options),  # type: ignore[arg-type]
                                   monotonic=self.clock, sleep=self.clock.sleep)
        self.repo = self.state.repository
        self.transport = Counting(EmulatorTransport(make_app(self.state)))
        self.client = GitHubClient(base_url=base_url, token=Secret(token),
                                   http=HttpSettings(transport=self.transport, sleep=self.clock.sleep))
        self.head = self.client.get_branch(self.repo, "main").commit_sha

    def timing(self, appear_timeout_s: float = 300.0) -> LiveTiming:
        # appear_timeout_s also bounds how long a dispatched run id may answer 404
        return LiveTiming(appear_timeout_s=appear_timeout_s, sleep=self.clock.sleep, clock=self.clock)

    def dispatch(self, *, actor: str | None = None, appear_timeout_s: float = 300.0) -> DispatchOutcome:
        return dispatch_and_find(self.client, self.repo, workflow="build-images.yml", ref="main",
                                 head_sha=self.head, actor=actor, timing=self.timing(appear_timeout_s))

    def wait(self, run_id: int, expected_duration_s: float | None = None) -> RunResult:
        return wait_for_run(self.client, self.repo, run_id, self.timing(120.0), required_jobs=("build",),
                            expected_duration_s=expected_duration_s)

    def posts(self) -> int:
        return self.transport.dispatch_posts


@pytest.fixture
def emu() -> Emulated:
    return Emulated()


def test_both_workflows_are_listed_and_active(emu: Emulated) -> None:
    workflows = {workflow.file_name: workflow.state for workflow in emu.client.list_workflows(emu.repo)}
    assert workflows == {"ci.yml": "active", "build-images.yml": "active"}
    assert emu.client.get_repo(emu.repo).default_branch == "main"


def test_dispatch_wait_green_with_three_matrix_jobs_on_a_small_budget(emu: Emulated) -> None:
    outcome = emu.dispatch()
    assert outcome.correlation.method == "return_run_details"
    assert outcome.run.head_sha == emu.head
    assert outcome.expected_duration_s is not None  # from the seeded green push runs of the workflow
    result = emu.wait(outcome.run.id, expected_duration_s=outcome.expected_duration_s)
    assert result.green, result.verdict.reason
    assert sorted(job.name for job in result.verdict.jobs) == sorted(MATRIX)
    assert emu.posts() == 1
    assert emu.client.stats.counted <= 15
    assert result.counted_requests / (result.waited_s / 60) <= 1.0
    evidence = json.loads(json.dumps({"dispatch": outcome.as_dict(), "run": result.as_dict(),
                                      "api_budget": emu.client.stats.as_dict()}))
    assert evidence["dispatch"]["correlation"]["method"] == "return_run_details"
    assert evidence["run"]["green"] is True
    assert set(evidence["run"]["jobs"]) == set(MATRIX)
    assert evidence["api_budget"]["counted"] == emu.client.stats.counted


def test_old_ghes_correlates_without_run_details() -> None:
    emu = Emulated(base_url="https://ghes.example/api/v3", old_ghes=True)
    outcome = emu.dispatch()
    assert outcome.correlation.method == "correlation"
    assert any("predates return_run_details" in note for note in outcome.correlation.notes)
    assert emu.wait(outcome.run.id).green
    assert emu.posts() == 1


def test_foreign_dispatch_at_the_same_moment_is_never_picked(emu: Emulated) -> None:
    emu.state.add_fault("POST /repos/*/dispatches:foreign-dispatch")
    owner = emu.repo.split("/")[0]
    outcome = emu.dispatch(actor=owner)
    assert outcome.run.actor_login == owner
    # with run details the id is ours by construction; force correlation too:
    emu2 = Emulated(base_url="https://ghes.example/api/v3", old_ghes=True)
    emu2.state.add_fault("POST /repos/*/dispatches:foreign-dispatch")
    with pytest.raises(CorrelationError, match=r"2 runs of build-images\.yml match our dispatch"):
        emu2.dispatch()
    assert emu2.posts() == 1
    emu3 = Emulated(base_url="https://ghes.example/api/v3", old_ghes=True)
    emu3.state.add_fault("POST /repos/*/dispatches:foreign-dispatch")
    picked = emu3.dispatch(actor=owner)
    assert picked.run.actor_login == owner or picked.run.triggering_actor_login == owner
    assert any("actor" in why for why in picked.correlation.rejected)


def test_eventual_consistency_delay_is_waited_out() -> None:
    emu = Emulated(base_url="https://ghes.example/api/v3", old_ghes=True)
    emu.state.add_fault("POST /repos/*/dispatches:visibility-delay=40")
    outcome = emu.dispatch()
    assert outcome.correlation.polls > 5
    assert emu.posts() == 1


@pytest.mark.parametrize("conclusion", ["failure", "cancelled", "startup_failure", "timed_out", "skipped"])
def test_red_runs_are_red(emu: Emulated, conclusion: str) -> None:
    emu.state.plan_outcome("build-images.yml", conclusion)
    outcome = emu.dispatch()
    result = emu.wait(outcome.run.id)
    assert not result.green
    assert conclusion in result.verdict.reason or result.verdict.failures


def test_failing_matrix_job_is_named_with_its_step(emu: Emulated) -> None:
    emu.state.plan_outcome("build-images.yml", "failure", job="build (worker)", step="Build and push")
    result = emu.wait(emu.dispatch().run.id)
    assert not result.green
    assert [failure.job for failure in result.verdict.failures] == ["build (worker)"]
    assert result.verdict.failures[0].step == "Build and push"


def test_read_only_token_cannot_dispatch() -> None:
    emu = Emulated(token=READ_ONLY)
    with pytest.raises(GitHubPermissionError, match="actions:write"):
        emu.dispatch()
    assert all(record.status != 204 for record in emu.state.requests.records())


def test_workflow_without_workflow_dispatch_is_refused(emu: Emulated) -> None:
    with pytest.raises(GitHubValidationError, match="workflow has no workflow_dispatch trigger"):
        dispatch_and_find(emu.client, emu.repo, workflow="ci.yml", ref="main", head_sha=emu.head,
                          timing=emu.timing())


@pytest.mark.parametrize("kind", ["500", "502", "503", "504", "reset", "429=5", "403=5"])
def test_transient_faults_on_reads_are_recovered(emu: Emulated, kind: str) -> None:
    emu.state.add_fault(f"GET /repos/*/actions/workflows:{kind}x2")
    assert len(emu.client.list_workflows(emu.repo)) == 2
    assert emu.client.stats.retries == 2


def test_slow_answers_are_just_slow(emu: Emulated) -> None:
    emu.state.add_fault("GET /repos/*/actions/workflows:slow=2.5x1")
    assert len(emu.client.list_workflows(emu.repo)) == 2
    assert emu.clock.sleeps == [2.5]


def test_reattempt_after_completion_is_judged_on_the_attempt_we_saw(emu: Emulated) -> None:
    emu.state.add_fault("POST /repos/*/dispatches:reattempt")
    result = emu.wait(emu.dispatch().run.id)
    run = result.verdict.run
    assert run.completed
    assert result.green == (run.conclusion == "success")
    assert {job.run_attempt for job in result.verdict.jobs} == {run.run_attempt}


def test_persistent_server_error_is_a_clear_error(emu: Emulated) -> None:
    emu.state.add_fault("GET /repos/*/actions/workflows:503")
    with pytest.raises(GitHubAPIError, match=r"-> 503: .*gave up after 4 attempts"):
        emu.client.list_workflows(emu.repo)


def test_primary_limit_is_reported_beyond_the_cap_and_waited_out_within_it(emu: Emulated) -> None:
    emu.state.add_fault("GET /repos/*/actions/workflows:primaryx1")
    with pytest.raises(RateLimited, match="beyond the 900s cap") as err:
        emu.client.list_workflows(emu.repo)
    assert err.value.retry_after is not None
    assert err.value.retry_after > 900
    patient = Emulated()
    patient.state.add_fault("GET /repos/*/actions/workflows:primaryx1")
    client = GitHubClient(base_url="https://api.github.com", token=Secret(TOKEN), max_rate_limit_wait_s=2 * 3600,
                          http=HttpSettings(transport=EmulatorTransport(make_app(patient.state)),
                                            sleep=patient.clock.sleep))
    assert len(client.list_workflows(patient.repo)) == 2
    assert client.stats.waited_s == err.value.retry_after  # slept until the reset the headers announced


@pytest.mark.parametrize("kind", ["reset", "502"])
def test_ambiguous_dispatch_failure_looks_for_the_run_and_never_dispatches_twice(emu: Emulated, kind: str) -> None:
    # The emulator fails the POST before creating a run; the truthful answer is an error, not a second POST.
    emu.state.add_fault(f"POST /repos/*/dispatches:{kind}x1")
    with pytest.raises(CorrelationError, match="not dispatching again") as err:
        emu.dispatch(appear_timeout_s=60)
    assert f"created >={emu.state.now():%Y-%m-%d}" in str(err.value)  # the window is in server time
    assert emu.posts() == 1


def test_ci_is_green_for_the_default_branch_head(emu: Emulated) -> None:
    status = ci_status(emu.client, emu.repo, workflow="ci.yml", head_sha=emu.head, event="push", branch="main",
                       required_jobs=("test",),
                       timing=LiveTiming(appear_timeout_s=120, interval_s=5, sleep=emu.clock.sleep, clock=emu.clock))
    assert status.green, status.reason


def test_cli_server_over_a_real_socket() -> None:
    argv = [sys.executable, "-m", "cicd_acceptance.emulator", "--repo-dir", str(SAMPLE)]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line, "the emulator printed no JSON line"
            info = json.loads(line)
            with GitHubClient(base_url=info["api_url"], token=Secret(info["token"])) as client:
                repo = info["repository"]
                assert {w.file_name for w in client.list_workflows(repo)} == {"ci.yml", "build-images.yml"}
                head = client.get_branch(repo, "main").commit_sha
                runs = list(client.list_workflow_runs(repo, RunFilter(workflow="ci.yml", head_sha=head, event="push")))
                assert runs, "the emulator seeds a push run of CI for the head commit"
                again = list(client.list_workflow_runs(repo, RunFilter(workflow="ci.yml", head_sha=head, event="push")))
                assert again == runs
                assert client.stats.not_modified >= 1  # the second listing was a free 304
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_every_typed_read_decodes_the_emulators_answers(emu: Emulated) -> None:
    client, repo = emu.client, emu.repo
    commit = client.get_commit(repo, emu.head)
    assert commit.sha == emu.head
    pull = client.pulls_for_commit(repo, emu.head)[0]
    assert client.get_pull(repo, pull.number).head_sha == pull.head_sha
    run = next(client.list_workflow_runs(repo, RunFilter(workflow="ci.yml", head_sha=emu.head, event="push")))
    assert client.get_run_attempt(repo, run.id, run.run_attempt).id == run.id
    assert client.get_workflow(repo, "ci.yml").file_name == "ci.yml"
    assert client.get_workflow(repo, run.workflow_id or 0).path == ".github/workflows/ci.yml"
    checks = client.list_check_runs(repo, emu.head)
    assert [check.name for check in checks] == ["test"]
    assert all(check.head_sha == emu.head and check.conclusion == "success" for check in checks)
    assert client.get_rate_limit().limit > 0
    assert client.get_meta().installed_version is None
