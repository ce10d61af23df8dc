"""githubkit, a typed GitHub client whose pydantic models validate every response, against the emulator
in-process: runs, attempts, jobs, logs, artifacts, re-runs, cancel, timing, checks, statuses, commits, the user
and workflow enable/disable. A response that does not fit GitHub's schema fails here as a validation error."""

from __future__ import annotations

import io
import zipfile

import pytest
from githubkit import GitHub, TokenAuthStrategy
from githubkit.exception import RequestFailed

from cicd_acceptance.emulator import EmulatorState, EmulatorTransport, make_app
from tests.emulator.conftest import TOKEN

OWNER, REPO = "example", "stream-monitor"
Kit = GitHub[TokenAuthStrategy]


@pytest.fixture
def kit(state: EmulatorState) -> Kit:
    return GitHub(TokenAuthStrategy(TOKEN), base_url="https://api.github.com/",
                  transport=EmulatorTransport(make_app(state)), http_cache=False, auto_retry=False)


def _names(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.namelist()


def test_githubkit_reads_runs_jobs_logs_artifacts_and_checks(kit: Kit, state: EmulatorState) -> None:
    seeded = state.seed_run("build-images.yml", conclusion="failure", job="build (gateway)")
    state.github.artifacts.add(seeded.id, "dist", {"app.tar": b"\0" * 64}, now=state.now())
    actions = kit.rest.actions
    assert kit.rest.users.get_authenticated().parsed_data.login == "example"
    run = actions.get_workflow_run(OWNER, REPO, seeded.id).parsed_data
    assert (run.conclusion, run.run_attempt) == ("failure", 1)
    assert actions.get_workflow_run_attempt(OWNER, REPO, seeded.id, 1).parsed_data.id == seeded.id
    jobs = actions.list_jobs_for_workflow_run_attempt(OWNER, REPO, seeded.id, 1).parsed_data.jobs
    failed = next(job for job in jobs if job.conclusion == "failure")
    log = actions.download_job_logs_for_workflow_run(OWNER, REPO, failed.id).content.decode()
    assert "##[error]Process completed with exit code 1." in log
    archive = _names(actions.download_workflow_run_logs(OWNER, REPO, seeded.id).content)
    assert "build (gateway)/7_Build and push.txt" in archive
    assert _names(actions.download_workflow_run_attempt_logs(OWNER, REPO, seeded.id, 1).content) == archive
    listed = actions.list_workflow_run_artifacts(OWNER, REPO, seeded.id).parsed_data
    assert [(a.name, a.size_in_bytes) for a in listed.artifacts] == [("dist", 64)]
    artifact_id = listed.artifacts[0].id
    assert actions.get_artifact(OWNER, REPO, artifact_id).parsed_data.name == "dist"
    assert actions.list_artifacts_for_repo(OWNER, REPO).parsed_data.total_count == 1
    assert _names(actions.download_artifact(OWNER, REPO, artifact_id, "zip").content) == ["app.tar"]
    usage = actions.get_workflow_run_usage(OWNER, REPO, seeded.id).parsed_data
    assert usage.run_duration_ms == 45_000  # 5 s queued, then the jobs' 40 s in parallel
    check = kit.rest.checks.get(OWNER, REPO, failed.id).parsed_data
    assert (check.name, check.output.annotations_count) == ("build (gateway)", 1)
    notes = kit.rest.checks.list_annotations(OWNER, REPO, failed.id).parsed_data
    assert [(n.annotation_level, n.message) for n in notes] == [("failure", "Process completed with exit code 1.")]
    state.github.add_status(seeded.head_sha, "pending", context="deploy/preview")
    combined = kit.rest.repos.get_combined_status_for_ref(OWNER, REPO, seeded.head_sha).parsed_data
    assert (combined.state, [s.context for s in combined.statuses]) == ("pending", ["deploy/preview"])
    commits = kit.rest.repos.list_commits(OWNER, REPO, per_page=1).parsed_data
    assert [c.sha for c in commits] == [seeded.head_sha]


def test_githubkit_reruns_cancels_and_toggles_workflows(kit: Kit, state: EmulatorState) -> None:
    seeded = state.seed_run("build-images.yml", conclusion="failure", job="build (gateway)")
    actions = kit.rest.actions
    assert actions.re_run_workflow_failed_jobs(OWNER, REPO, seeded.id).status_code == 201
    jobs = actions.list_jobs_for_workflow_run(OWNER, REPO, seeded.id).parsed_data.jobs
    assert {job.run_attempt for job in jobs} == {2}
    assert actions.cancel_workflow_run(OWNER, REPO, seeded.id).status_code == 202
    state.advance(1)
    assert actions.get_workflow_run(OWNER, REPO, seeded.id).parsed_data.conclusion == "cancelled"
    with pytest.raises(RequestFailed) as refused:
        actions.cancel_workflow_run(OWNER, REPO, seeded.id)
    assert refused.value.response.status_code == 409
    job_id = next(job.id for job in jobs if job.name == "build (gateway)")  # the cancelled one
    assert actions.re_run_job_for_workflow_run(OWNER, REPO, job_id).status_code == 201
    state.advance(600)
    latest = actions.list_jobs_for_workflow_run(OWNER, REPO, seeded.id).parsed_data.jobs
    assert {job.run_attempt for job in latest} == {3}
    assert actions.get_workflow_run(OWNER, REPO, seeded.id).parsed_data.conclusion == "success"
    assert actions.re_run_workflow(OWNER, REPO, seeded.id).status_code == 201
    assert actions.disable_workflow(OWNER, REPO, "build-images.yml").status_code == 204
    assert actions.get_workflow(OWNER, REPO, "build-images.yml").parsed_data.state == "disabled_manually"
    with pytest.raises(RequestFailed) as disabled:
        actions.create_workflow_dispatch(OWNER, REPO, "build-images.yml", ref="main")
    assert disabled.value.response.status_code == 422
    assert actions.enable_workflow(OWNER, REPO, "build-images.yml").status_code == 204
    # githubkit speaks API version 2026-03-10, under which a dispatch answers 200 with the new run's id.
    dispatched = actions.create_workflow_dispatch(OWNER, REPO, "build-images.yml", ref="main").parsed_data
    assert state.github.require_run(dispatched.workflow_run_id).event == "workflow_dispatch"
