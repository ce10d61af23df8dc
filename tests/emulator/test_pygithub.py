"""A real third-party GitHub client (PyGithub, over requests) against the emulator on a socket, at the root and
under /api/v3: it lists workflows and runs, dispatches, follows the run to completion and reads jobs and checks;
re-runs, cancels, reads logs, artifacts, timing, statuses, commits and the user, and disables a workflow."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from github import Auth, Github
from github.GithubException import BadCredentialsException, GithubException

from cicd_acceptance.emulator import EmulatorState, ThreadedServer, make_app
from tests.emulator.conftest import TOKEN
from tests.emulator.sample_repo import git


@pytest.fixture(params=["", "/api/v3"], ids=["api.github.com-style", "ghes-style"])
def gh(state: EmulatorState, request: pytest.FixtureRequest) -> Iterator[Github]:
    with ThreadedServer(make_app(state)) as server:
        # PyGithub throttles itself (0.25 s between requests, 1 s between writes by default): not needed here.
        client = Github(auth=Auth.Token(TOKEN), base_url=server.url + request.param, retry=None,
                        seconds_between_requests=None, seconds_between_writes=None)
        yield client
        client.close()


def test_pygithub_lists_dispatches_and_follows_a_run(gh: Github, state: EmulatorState, sample_repo: Path) -> None:
    repo = gh.get_repo("example/stream-monitor")
    assert repo.default_branch == "main"
    assert sorted(w.name for w in repo.get_workflows()) == ["Build images", "CI"]
    workflow = repo.get_workflow("build-images.yml")
    assert workflow.path == ".github/workflows/build-images.yml"
    assert [run.event for run in workflow.get_runs()] == ["push"]
    assert workflow.create_dispatch("main") is True
    state.advance(120)
    runs = list(workflow.get_runs(event="workflow_dispatch", branch="main"))
    assert len(runs) == 1
    run = runs[0]
    head = git(sample_repo, "rev-parse", "HEAD")
    assert (run.status, run.conclusion, run.head_sha) == ("completed", "success", head)
    assert sorted(job.name for job in run.jobs()) == ["build (gateway)", "build (webhook-demo)", "build (worker)"]
    pull = repo.get_pull(12)
    assert pull.merged
    assert [p.number for p in repo.get_commit(head).get_pulls()] == [12]
    checks = repo.get_commit(pull.head.sha).get_check_runs()
    assert [(check.name, check.conclusion) for check in checks] == [("test", "success")]


def test_pygithub_sees_errors_as_github_errors(gh: Github, state: EmulatorState) -> None:
    repo = gh.get_repo("example/stream-monitor")
    assert repo.get_workflow("ci.yml").create_dispatch("main") is False  # PyGithub: True only for 204
    dispatches = [r for r in state.requests.records() if r.method == "POST"]
    assert [(r.route, r.status) for r in dispatches] == [
        ("POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", 422)]
    with pytest.raises(GithubException) as caught:
        repo.get_workflow("deploy.yml")
    assert caught.value.status == 404
    with pytest.raises(BadCredentialsException):
        Github(auth=Auth.Token("ghp_wrong"), base_url=gh.requester.base_url, retry=None).get_repo(
            "example/stream-monitor")


def _zip_names(url: str) -> list[str]:
    with httpx.Client() as client:  # the redirect target is a signed URL: no token, as on GitHub
        response = client.get(url)
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return archive.namelist()


def test_pygithub_reruns_cancels_and_reads_logs_artifacts_timing_statuses(gh: Github, state: EmulatorState) -> None:
    seeded = state.seed_run("build-images.yml", conclusion="failure", job="build (gateway)")
    state.github.artifacts.add(seeded.id, "coverage", {"cover.out": b"mode: set\n"}, now=state.now())
    repo = gh.get_repo("example/stream-monitor")
    assert gh.get_user().login == "example"
    run = repo.get_workflow_run(seeded.id)
    assert run.conclusion == "failure"
    failed = next(job for job in run.jobs() if job.conclusion == "failure")
    assert failed.name == "build (gateway)"
    log = httpx.get(failed.logs_url()).text
    assert "##[error]Process completed with exit code 1." in log
    check = repo.get_check_run(failed.id)
    assert [a.message for a in check.get_annotations()] == ["Process completed with exit code 1."]
    logs = gh.requester.requestBlobAndCheck("GET", run.logs_url)[0]["location"]
    assert "0_build (gateway).txt" in _zip_names(logs)
    assert "build (gateway)/7_Build and push.txt" in _zip_names(logs)
    [artifact] = list(run.get_artifacts())
    assert (artifact.name, artifact.workflow_run.id) == ("coverage", seeded.id)
    assert repo.get_artifact(artifact.id).size_in_bytes == len(b"mode: set\n")
    location = gh.requester.requestBlobAndCheck("GET", artifact.archive_download_url)[0]["location"]
    assert _zip_names(location) == ["cover.out"]
    assert run.timing().run_duration_ms == 45_000
    commit = repo.get_commit(seeded.head_sha)
    assert commit.get_combined_status().state == "pending"  # no statuses yet
    created = commit.create_status("failure", target_url="https://ci.example/7", context="ci/lint")
    assert (created.state, created.context) == ("failure", "ci/lint")
    assert commit.get_combined_status().state == "failure"
    assert next(iter(repo.get_commits())).sha == seeded.head_sha
    assert run.rerun_failed_jobs() is True
    assert repo.get_workflow_run(seeded.id).run_attempt == 2
    assert run.cancel() is True
    state.advance(1)
    again = repo.get_workflow_run(seeded.id)
    assert (again.status, again.conclusion) == ("completed", "cancelled")
    assert run.cancel() is False  # 409 once completed
    assert run.rerun() is True
    state.advance(600)
    assert repo.get_workflow_run(seeded.id).conclusion == "success"
    assert repo.get_workflow_run(seeded.id).get_attempt(2).conclusion == "cancelled"
    workflow = repo.get_workflow("build-images.yml")
    assert workflow.disable() is True
    assert repo.get_workflow("build-images.yml").state == "disabled_manually"
    assert workflow.create_dispatch("main") is False
    assert workflow.enable() is True
    assert workflow.create_dispatch("main") is True
