"""A real third-party GitHub client (PyGithub, over requests) against the emulator on a socket, at the root and
under /api/v3: it lists workflows and runs, dispatches, follows the run to completion and reads jobs and checks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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
