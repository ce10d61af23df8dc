"""Re-runs and cancels on the state, the run log archive, and request bodies without a Content-Type.

Every new attempt starts through the one attempt-start path, so whatever hooks attempt completion (the workflow
executor's ``on_complete``) sees re-run attempts exactly as it sees first attempts."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import httpx
import pytest

from cicd_acceptance.emulator import EmulatorState
from cicd_acceptance.emulator.github.run_logs import STAMP_FORMAT, run_log_archive
from cicd_acceptance.emulator.github.runs import Attempt, RunRecord
from cicd_acceptance.errors import ConfigError

REPO = "/repos/example/stream-monitor"


def _completions(state: EmulatorState) -> list[tuple[int, int]]:
    seen: list[tuple[int, int]] = []
    previous = state.github.on_complete

    def record(run: RunRecord, attempt: Attempt) -> None:
        seen.append((run.id, attempt.number))
        previous(run, attempt)

    state.github.on_complete = record
    return seen


def test_a_rerun_of_failed_jobs_reaches_the_completion_hook_and_carries_the_rest(state: EmulatorState) -> None:
    completed = _completions(state)
    run = state.seed_run("build-images.yml", conclusion="failure", job="build (gateway)")
    assert completed == [(run.id, 1)]
    running = state.dispatch("build-images.yml", visibility_delay=0)
    with pytest.raises(ConfigError, match="has not completed"):
        state.github.rerun(running.id)
    state.advance(600)
    attempt = state.github.rerun(run.id, failed_only=True)
    assert attempt.number == 2
    assert {job.plan.name: job.carried for job in attempt.jobs} == {
        "build (gateway)": False, "build (worker)": True, "build (webhook-demo)": True}
    state.advance(600)
    assert (run.id, 2) in completed
    assert run.conclusion(state.now()) == "success"
    with pytest.raises(ConfigError, match="no failed jobs"):
        state.github.rerun(run.id, failed_only=True)


def test_a_cancel_ends_the_attempt_now_and_the_hook_sees_it_once(state: EmulatorState) -> None:
    completed = _completions(state)
    run = state.dispatch("build-images.yml", visibility_delay=0)
    state.advance(10)
    assert run.status(state.now()) == "in_progress"
    state.github.cancel(run.id)
    state.advance(1)
    assert (run.status(state.now()), run.conclusion(state.now())) == ("completed", "cancelled")
    assert {run.job_conclusion(job, state.now()) for job in run.current.jobs} == {"cancelled"}
    assert completed.count((run.id, 1)) == 1
    with pytest.raises(ConfigError, match="already completed"):
        state.github.cancel(run.id)


def test_the_archive_splits_an_executor_log_by_step_time(state: EmulatorState) -> None:
    run = state.seed_run("ci.yml")
    [job] = run.current.jobs
    steps = job.steps(state.now(), "success")
    lines = [f"{(step.started_at or job.started_at).strftime(STAMP_FORMAT)} output of {step.name}"
             for step in steps]
    late = (steps[-1].started_at or job.started_at) + timedelta(seconds=1)
    job.log_text = "\n".join([*lines, f"{late.strftime(STAMP_FORMAT)} still the last step", "no stamp"]) + "\n"
    with zipfile.ZipFile(io.BytesIO(run_log_archive(run, run.current, state.now()))) as archive:
        names = archive.namelist()
        assert names[0] == "0_test.txt"
        assert archive.read("0_test.txt").decode() == job.log_text
        # A step file is named <number>_<step name>, without the characters a zip entry cannot carry ("/").
        by_number = {int(name.split("/")[1].split("_")[0]): name for name in names if name.startswith("test/")}
        assert by_number[2] == "test/2_Run actionscheckout@v4.txt"
        for step in steps:
            part = archive.read(by_number[step.number]).decode()
            assert part.startswith(f"{(step.started_at or job.started_at).strftime(STAMP_FORMAT)} output of "
                                   f"{step.name}\n")
        assert archive.read(by_number[steps[-1].number]).decode().endswith(
            "still the last step\nno stamp\n")


def test_the_job_log_route_serves_what_the_executor_wrote(client: httpx.Client, state: EmulatorState) -> None:
    run = state.seed_run("ci.yml")
    [job] = run.current.jobs
    job.log_text = "2026-03-02T09:00:00.0000000Z ##[group]Run go test ./...\nok\n"
    text = client.get(f"{REPO}/actions/jobs/{job.id}/logs", follow_redirects=True).text
    assert text == job.log_text


def test_a_json_body_without_content_type_is_read_as_json(client: httpx.Client, state: EmulatorState) -> None:
    body = json.dumps({"ref": "main", "return_run_details": True}).encode()
    response = client.post(f"{REPO}/actions/workflows/build-images.yml/dispatches", content=body,
                           headers={"Content-Type": ""})
    assert response.status_code == 200, response.text
    assert state.github.require_run(response.json()["workflow_run_id"]).event == "workflow_dispatch"


def test_the_control_api_stores_an_artifact_for_a_run(client: httpx.Client, state: EmulatorState) -> None:
    run = state.seed_run("ci.yml")
    stored = client.post(f"/_emulator/runs/{run.id}/artifacts",
                         json={"name": "report", "files": {"summary.txt": "all green"}})
    assert stored.status_code == 201, stored.text
    listed = client.get(f"{REPO}/actions/runs/{run.id}/artifacts").json()["artifacts"]
    assert [(a["id"], a["name"]) for a in listed] == [(stored.json()["id"], "report")]
    zipped = client.get(f"{REPO}/actions/artifacts/{stored.json()['id']}/zip", follow_redirects=True)
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
        assert archive.read("summary.txt") == b"all green"
    refused = client.post(f"/_emulator/runs/{run.id}/artifacts", json={"name": "x", "files": {"../up": "no"}})
    assert refused.status_code == 400
    assert "inside the artifact" in refused.json()["message"]


def test_job_ids_stay_unique_across_reruns(state: EmulatorState) -> None:
    run = state.seed_run("build-images.yml", conclusion="failure", job="build (gateway)")
    state.plan_outcome("build-images.yml", "failure", job="build (worker)")  # worker is carried: nothing to fail
    state.github.rerun(run.id, failed_only=True)
    state.advance(600)
    other = state.seed_run("build-images.yml")
    ids = [job.id for r in (run, other) for attempt in r.attempts for job in attempt.jobs]
    assert len(ids) == len(set(ids))
    assert run.conclusion(state.now()) == "success"
