"""Headers, authentication, rate limits, conditional requests, list filters and paging of the emulated API."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from cicd_acceptance.emulator import EmulatorState, EmulatorTransport, make_app
from tests.emulator.conftest import READ_ONLY, TOKEN
from tests.emulator.sample_repo import git

REPO = "/repos/example/stream-monitor"


def _client(state: EmulatorState, token: str | None = TOKEN, base: str = "https://api.github.com") -> httpx.Client:
    headers = {"Authorization": f"token {token}"} if token else {}
    return httpx.Client(transport=EmulatorTransport(make_app(state)), base_url=base, headers=headers)


def test_github_headers_and_error_shape(client: httpx.Client) -> None:
    response = client.get(f"{REPO}/actions/runs/1")
    assert response.status_code == 404
    assert set(response.json()) == {"message", "documentation_url", "status"}
    assert response.json()["status"] == "404"
    for header in ("date", "x-github-request-id", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-used",
                   "x-ratelimit-reset", "x-ratelimit-resource"):
        assert header in response.headers, header
    assert response.headers["x-github-api-version-selected"] == "2022-11-28"
    newer = client.get(f"{REPO}/actions/runs/1", headers={"X-GitHub-Api-Version": "2026-03-10"})
    assert newer.headers["x-github-api-version-selected"] == "2026-03-10"


def test_bad_credentials_and_read_only_token(state: EmulatorState) -> None:
    with _client(state, "ghp_wrong") as bad:
        response = bad.get(REPO)
        assert (response.status_code, response.json()["message"]) == (401, "Bad credentials")
    with _client(state, READ_ONLY) as reader:
        assert reader.get(REPO).status_code == 200
        response = reader.post(f"{REPO}/actions/workflows/build-images.yml/dispatches", json={"ref": "main"})
        assert response.status_code == 403
        assert response.headers["X-Accepted-GitHub-Permissions"] == "actions=write"


def test_dispatch_answers_204_by_default_and_200_with_api_version_2026_03_10(client: httpx.Client) -> None:
    url = f"{REPO}/actions/workflows/build-images.yml/dispatches"
    response = client.post(url, json={"ref": "main"})
    assert (response.status_code, response.content) == (204, b"")
    newer = client.post(url, json={"ref": "main"}, headers={"X-GitHub-Api-Version": "2026-03-10"})
    assert newer.status_code == 200
    assert set(newer.json()) == {"workflow_run_id", "run_url", "html_url"}


def test_rate_limit_counts_per_token_and_304_does_not_count(state: EmulatorState, client: httpx.Client) -> None:
    first = client.get(f"{REPO}/actions/runs")
    assert (first.headers["x-ratelimit-limit"], first.headers["x-ratelimit-used"]) == ("5000", "1")
    again = client.get(f"{REPO}/actions/runs", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["x-ratelimit-used"] == "1"
    assert client.get("/rate_limit").json()["resources"]["core"]["used"] == 1  # /rate_limit is free too
    workflow_token = state.add_workflow_token()
    with _client(state, workflow_token) as other:
        response = other.get(REPO)
        assert (response.headers["x-ratelimit-limit"], response.headers["x-ratelimit-used"]) == ("1000", "1")
    snapshot = state.requests.snapshot()
    assert (snapshot["total"], snapshot["counted"], snapshot["not_modified"]) == (4, 2, 1)
    assert snapshot["by_route"] == {"GET /rate_limit": 1, "GET /repos/{owner}/{repo}": 1,
                                    "GET /repos/{owner}/{repo}/actions/runs": 2}


def test_etag_changes_when_the_run_changes(state: EmulatorState, client: httpx.Client) -> None:
    run = state.dispatch("build-images.yml", visibility_delay=0)
    url = f"{REPO}/actions/runs/{run.id}"
    etag = client.get(url).headers["etag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    state.advance(10)
    changed = client.get(url, headers={"If-None-Match": etag})
    assert (changed.status_code, changed.json()["status"]) == (200, "in_progress")


def test_ghes_prefix_and_absolute_urls_follow_the_request_host(state: EmulatorState) -> None:
    with _client(state, base="http://ghe.local:8080") as ghes:
        response = ghes.get(f"/api/v3{REPO}/actions/runs", params={"per_page": 1})
        assert response.status_code == 200
        assert response.json()["workflow_runs"][0]["url"].startswith("http://ghe.local:8080/api/v3/repos/")
        assert response.headers["link"].startswith("<http://ghe.local:8080/api/v3/repos/example/stream-monitor/")
        assert ghes.get("/api/v3/meta").status_code == 200


def test_runs_pagination_link_walks_every_run(state: EmulatorState, client: httpx.Client) -> None:
    for _ in range(5):
        state.dispatch("build-images.yml", visibility_delay=0)
    seen: list[int] = []
    url: str | None = f"{REPO}/actions/runs?per_page=2"
    while url:
        response = client.get(url)
        seen += [run["id"] for run in response.json()["workflow_runs"]]
        url = response.links.get("next", {}).get("url")
    assert len(seen) == len(set(seen)) == response.json()["total_count"] == 8


@pytest.mark.parametrize(("query", "expected"), [
    ("event=push", {"ci-push", "build-push"}),
    ("event=pull_request", {"ci-pr"}),
    ("branch=ci-cd", {"ci-pr"}),
    ("status=completed", {"ci-push", "build-push", "ci-pr"}),
    ("status=success", {"ci-push", "build-push", "ci-pr"}),
    ("status=in_progress", {"dispatch"}),
    ("actor=someone", {"dispatch"}),
    ("created=>=2026-03-02T09:00:00Z", {"dispatch"}),
    ("created=>2026-03-02T09:00:00Z", set()),
    ("created=<2026-03-02T09:00:00Z", {"ci-push", "build-push", "ci-pr"}),
    ("created=<=2026-02-28", {"build-push"}),
    ("created=2026-02-28..2026-03-01", {"build-push"}),
    ("created=2026-03-02T08:00:00Z..*", {"ci-push", "dispatch"}),
    ("created=*..2026-03-02T06:00:00Z", {"build-push", "ci-pr"}),
    ("created=2026-03-02", {"ci-push", "ci-pr", "dispatch"}),
])
def test_run_filters(state: EmulatorState, client: httpx.Client, sample_repo: Path, query: str,
                     expected: set[str]) -> None:
    head = git(sample_repo, "rev-parse", "HEAD")
    state.dispatch("build-images.yml", actor="someone", visibility_delay=0)
    state.advance(10)  # the dispatched run was created at 09:00:00 and is in progress now
    names = {(".github/workflows/ci.yml", "push"): "ci-push", (".github/workflows/build-images.yml", "push"):
             "build-push", (".github/workflows/ci.yml", "pull_request"): "ci-pr",
             (".github/workflows/build-images.yml", "workflow_dispatch"): "dispatch"}
    response = client.get(f"{REPO}/actions/runs?{query}")
    assert response.status_code == 200, response.text
    got = {names[(run["path"], run["event"])] for run in response.json()["workflow_runs"]}
    assert got == expected
    assert client.get(f"{REPO}/actions/runs", params={"head_sha": head}).json()["total_count"] == 2


def test_exclude_pull_requests(client: httpx.Client) -> None:
    runs = client.get(f"{REPO}/actions/runs", params={"event": "pull_request"}).json()["workflow_runs"]
    assert runs[0]["pull_requests"]
    runs = client.get(f"{REPO}/actions/runs", params={"event": "pull_request", "exclude_pull_requests": "true"})
    assert runs.json()["workflow_runs"][0]["pull_requests"] == []


def test_bad_created_filter_is_a_validation_error(client: httpx.Client) -> None:
    response = client.get(f"{REPO}/actions/runs", params={"created": ">=soon"})
    assert response.status_code == 422
    assert "invalid date 'soon'" in response.json()["message"]


def test_job_logs_redirect_to_a_log_the_emulator_serves(state: EmulatorState, client: httpx.Client,
                                                        sample_repo: Path) -> None:
    run = state.dispatch("build-images.yml", visibility_delay=0)
    state.advance(120)
    job_id = client.get(f"{REPO}/actions/runs/{run.id}/jobs").json()["jobs"][0]["id"]
    response = client.get(f"{REPO}/actions/jobs/{job_id}/logs")
    assert response.status_code == 302
    log = client.get(response.headers["location"])
    assert log.status_code == 200
    head = git(sample_repo, "rev-parse", "HEAD")
    assert f"pushed ghcr.io/example/stream-monitor-gateway:sha-{head[:7]}" in log.text
    assert "##[group]Run docker/build-push-action@v6" in log.text  # GitHub titles a uses: step's group so


def test_contents_and_commit(client: httpx.Client, sample_repo: Path) -> None:
    import base64

    body = client.get(f"{REPO}/contents/.github/workflows/ci.yml").json()
    assert base64.b64decode(body["content"]).decode() == (sample_repo / ".github/workflows/ci.yml").read_text()
    head = git(sample_repo, "rev-parse", "HEAD")
    commit = client.get(f"{REPO}/commits/main").json()
    assert commit["sha"] == head
    assert [p["sha"] for p in commit["parents"]] == git(sample_repo, "rev-parse", "HEAD^1", "HEAD^2").split()


def test_dispatch_inputs_are_checked(tmp_path: Path) -> None:
    from cicd_acceptance.emulator import EmulatorConfig
    from tests.emulator.sample_repo import BUILD_YML, make_sample_repo

    with_inputs = BUILD_YML.replace("  workflow_dispatch:\n", "  workflow_dispatch:\n    inputs:\n      reason:\n"
                                    "        required: true\n      note:\n        default: none\n")
    state = EmulatorState(make_sample_repo(tmp_path, build_yml=with_inputs), EmulatorConfig(speed=0, token=TOKEN))
    url = f"{REPO}/actions/workflows/build-images.yml/dispatches"
    with _client(state) as client:
        missing = client.post(url, json={"ref": "main"})
        assert (missing.status_code, missing.json()["message"]) == (422, "Required input 'reason' not provided")
        extra = client.post(url, json={"ref": "main", "inputs": {"reason": "x", "colour": "red"}})
        assert (extra.status_code, extra.json()["message"]) == (422, "Unexpected inputs provided: ['colour']")
        assert client.post(url, json={"ref": "main", "inputs": {"reason": "release"}}).status_code == 204
