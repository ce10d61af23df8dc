"""``timeout-minutes`` of steps and jobs as a runner applies it: a step past its own bound fails with the runner's
message, a job past its bound is cancelled with GitHub's annotation, and both values may be expressions.

A workflow minute is shortened to one real second here (``Limits.minute_s``) so a ``sleep 120`` step is stopped
after about a second; the emulated clock plays no part (the steps' work is real).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_acceptance.emulator import EmulatorConfig, EmulatorState
from cicd_acceptance.emulator.github.runs import JobRecord, RunRecord
from cicd_acceptance.emulator.runtime.jobrun import go_duration
from cicd_acceptance.runner import Limits
from tests.emulator.sample_repo import git, make_sample_repo, write_files

pytestmark = pytest.mark.tool  # the steps run in bwrap or unshare

STEP_TIMEOUT_YML = """\
name: Step timeout
on: workflow_dispatch
jobs:
  slow:
    runs-on: ubuntu-latest
    steps:
      - id: tolerated
        name: Tolerated
        run: sleep 120
        timeout-minutes: ${{ fromJSON('1') }}
        continue-on-error: true
      - name: Bad bound
        run: echo "ran without its own bound"
        timeout-minutes: ${{ 'soon' }}
      - name: Slow suite
        run: sleep 120
        timeout-minutes: 1
      - name: Report
        if: failure()
        run: echo "after the timeout, tolerated was ${{ steps.tolerated.outcome }}"
"""

JOB_TIMEOUT_YML = """\
name: Job timeout
on: workflow_dispatch
jobs:
  bounded:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        minutes: [1]
    timeout-minutes: ${{ matrix.minutes }}
    steps:
      - run: echo before
      - name: Slow suite
        run: sleep 120
      - name: Never
        run: echo never
  after:
    needs: bounded
    if: always()
    runs-on: ubuntu-latest
    steps:
      - run: echo "bounded was ${{ needs.bounded.result }}"
  bad:
    runs-on: ubuntu-latest
    timeout-minutes: ${{ 'ten' }}
    steps:
      - run: echo never
"""


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = make_sample_repo(tmp_path_factory.mktemp("timeouts-repo"))
    write_files(repo, {".github/workflows/step-timeout.yml": STEP_TIMEOUT_YML,
                       ".github/workflows/job-timeout.yml": JOB_TIMEOUT_YML})
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "Timeouts")
    return repo


def executed(repo: Path, workflow: str) -> tuple[EmulatorState, RunRecord]:
    state = EmulatorState(repo, EmulatorConfig(speed=0, seed=False))
    state.executor.limits = Limits(minute_s=1.0)
    run = state.dispatch(workflow, visibility_delay=0)
    state.advance(3600)
    assert state.executor.errors == []
    return state, run


def job(run: RunRecord, name: str) -> JobRecord:
    [found] = [record for record in run.current.jobs if record.plan.name == name]
    return found


def steps(record: JobRecord) -> dict[str, str]:
    return {step.name: step.conclusion for step in record.executed_steps}


def test_a_step_past_its_timeout_fails_with_the_runners_message(repo: Path) -> None:
    state, run = executed(repo, "step-timeout.yml")
    slow = job(run, "slow")
    assert run.conclusion(state.now()) == "failure", slow.log_text
    assert slow.executed == "failure"
    assert steps(slow) == {"Set up job": "success", "Tolerated": "success", "Bad bound": "success",
                           "Slow suite": "failure", "Report": "success", "Complete job": "success"}
    assert "##[error]The action 'Slow suite' has timed out after 1 minutes." in slow.log_text
    assert "##[error]The action 'Tolerated' has timed out after 1 minutes." in slow.log_text
    assert "after the timeout, tolerated was failure" in slow.log_text
    # A bound that is not a number is reported; the step still runs (and passes), without a bound of its own.
    assert "An error occurred when attempting to determine the step timeout." in slow.log_text
    assert "timeout-minutes: expected a number, got 'soon'" in slow.log_text
    assert "ran without its own bound" in slow.log_text
    assert not any("exceeded the maximum execution time" in a.message for a in slow.annotations)


def test_a_job_past_its_timeout_is_cancelled_with_githubs_annotation(repo: Path) -> None:
    state, run = executed(repo, "job-timeout.yml")
    bounded = job(run, "bounded (1)")
    assert bounded.executed == "cancelled", bounded.log_text
    assert steps(bounded) == {"Set up job": "success", "Run echo before": "success", "Slow suite": "cancelled",
                              "Never": "cancelled", "Complete job": "success"}
    assert "##[error]The operation was canceled." in bounded.log_text
    assert "never" not in bounded.log_text.replace("Never", "")
    messages = [(a.level, a.message) for a in bounded.annotations]
    assert ("failure", "The job has exceeded the maximum execution time of 1m0s") in messages
    assert "bounded was cancelled" in job(run, "after").log_text
    bad = job(run, "bad")
    assert bad.executed == "failure"
    assert "timeout-minutes: expected a number, got 'ten'" in bad.log_text
    assert run.conclusion(state.now()) == "failure"


@pytest.mark.parametrize(("seconds", "shown"), [(60, "1m0s"), (2700, "45m0s"), (21600, "6h0m0s"), (90, "1m30s"),
                                                (30, "30s"), (3660, "1h1m0s")])
def test_the_job_bound_is_written_as_github_writes_it(seconds: float, shown: str) -> None:
    assert go_duration(seconds) == shown
