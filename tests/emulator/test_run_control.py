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
from cicd_acceptance.emulator.errors import Conflict, Forbidden
from cicd_acceptance.emulator.github.run_logs import STAMP_FORMAT, run_log_archive
from cicd_acceptance.emulator.github.runs import Attempt, RunRecord

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
    with pytest.raises(Forbidden, match="has not completed") as running_error:
        state.github.rerun(running.id)
    assert running_error.value.message == "This workflow is already running"
    state.advance(600)
    attempt = state.github.rerun(run.id, failed_only=True)
    assert attempt.number == 2
    assert {job.plan.name: job.carried for job in attempt.jobs} == {
        "build (gateway)": False, "build (worker)": True, "build (webhook-demo)": True}
    state.advance(600)
    assert (run.id, 2) in completed
    assert run.conclusion(state.now()) == "success"
    with pytest.raises(Forbidden, match="no failed jobs"):
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
    with pytest.raises(Conflict, match="already completed"):
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


def _refusal(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["message"], body["status"]


def test_what_the_state_refuses_the_routes_answer_with_githubs_status_and_message(
        client: httpx.Client, state: EmulatorState) -> None:
    green = state.seed_run("ci.yml")
    running = state.dispatch("build-images.yml", visibility_delay=0)
    assert _refusal(client.post(f"{REPO}/actions/runs/{running.id}/rerun")) == (
        403, "This workflow is already running", "403")
    assert _refusal(client.post(f"{REPO}/actions/runs/{green.id}/rerun-failed-jobs")) == (
        403, "This workflow run cannot be retried", "403")
    assert _refusal(client.post(f"{REPO}/actions/runs/{green.id}/cancel")) == (
        409, "Cannot cancel a workflow run that is completed.", "409")
    first_job = green.current.jobs[0].id
    assert client.post(f"{REPO}/actions/runs/{green.id}/rerun").status_code == 201
    state.advance(600)
    assert _refusal(client.post(f"{REPO}/actions/jobs/{first_job}/rerun")) == (
        403, "This job is not in the run's latest attempt and cannot be re-run", "403")


def test_a_value_the_state_refuses_is_a_validation_error_naming_the_field(client: httpx.Client,
                                                                          state: EmulatorState) -> None:
    sha = state.github.branch_sha("main")
    status = client.post(f"{REPO}/statuses/{sha}", json={"state": "green", "context": "ci"})
    assert status.status_code == 422
    assert status.json()["errors"][0]["field"] == "state"
    assert "unknown status state 'green'" in status.json()["message"]
    paged = client.get(f"{REPO}/actions/runs", params={"per_page": "lots"})
    assert paged.status_code == 422
    assert paged.json()["errors"] == [{"resource": "Request", "field": "per_page", "code": "invalid",
                                       "message": "per_page must be a number, got 'lots'"}]


def test_the_control_api_answers_a_refusal_with_its_status(client: httpx.Client, state: EmulatorState) -> None:
    unknown = client.post("/_emulator/runs/1/outcome", json={"conclusion": "failure"})
    assert (unknown.status_code, unknown.json()["message"]) == (404, "no run with id 1")
    done = state.seed_run("ci.yml")
    late = client.post(f"/_emulator/runs/{done.id}/outcome", json={"conclusion": "failure"})
    assert late.status_code == 409
    bad = client.post("/_emulator/outcomes", json={"workflow": "ci.yml", "conclusion": "green"})
    assert bad.status_code == 422
    assert "unknown outcome 'green'" in bad.json()["message"]
