"""GitHubClient against httpx.MockTransport handlers: headers, ETags, paging, retries, typed errors."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from cicd_acceptance.errors import (
    GitHubAPIError,
    GitHubAuthError,
    GitHubNotFound,
    GitHubPermissionError,
    GitHubValidationError,
    RateLimited,
)
from cicd_acceptance.github import GitHubClient, RunFilter, created_since
from cicd_acceptance.httpbounds import HttpSettings
from cicd_acceptance.secret import Secret

API = "https://api.github.com"
TOKEN = "ghp_supersecret_value_123"
REPO = "octo/stream-monitor"
Handler = Callable[[httpx.Request], httpx.Response]


def run_payload(run_id: int, **overrides: object) -> dict[str, object]:
    payload: dict[str, object] = {
        "id": run_id, "name": "build-images", "path": ".github/workflows/build-images.yml", "workflow_id": 7,
        "event": "workflow_dispatch", "status": "completed", "conclusion": "success", "head_sha": "a" * 40,
        "head_branch": "main", "run_number": run_id, "run_attempt": 1, "actor": {"login": "octocat"},
        "triggering_actor": {"login": "octocat"}, "created_at": "2026-11-27T08:00:00Z",
        "updated_at": "2026-11-27T08:05:00Z", "run_started_at": "2026-11-27T08:00:02Z",
        "html_url": f"https://github.com/{REPO}/actions/runs/{run_id}",
        "url": f"{API}/repos/{REPO}/actions/runs/{run_id}",
    }
    payload.update(overrides)
    return payload


class Recorder:
    """Wraps a handler and keeps every request it saw."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)


def make_client(handler: Handler, *, token: str | None = TOKEN, sleeps: list[float] | None = None,
                base_url: str = API, max_attempts: int | None = None,
                max_rate_limit_wait_s: float = 900.0) -> tuple[GitHubClient, Recorder]:
    recorder = Recorder(handler)
    record = sleeps if sleeps is not None else []
    http = HttpSettings(transport=httpx.MockTransport(recorder), sleep=record.append, max_attempts=max_attempts)
    client = GitHubClient(base_url=base_url, token=Secret(token) if token else None, http=http,
                          max_rate_limit_wait_s=max_rate_limit_wait_s)
    return client, recorder


def test_sends_accept_version_and_bearer_only_to_api_origin() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.github.com":
            return httpx.Response(200, json={"workflow_runs": [run_payload(1)]},
                                  headers={"Link": '<https://elsewhere.example/page2>; rel="next"'})
        return httpx.Response(200, json={"workflow_runs": [run_payload(2)]})

    client, seen = make_client(handler)
    with pytest.raises(GitHubAPIError, match="another origin"):
        list(client.list_workflow_runs(REPO))  # a next link elsewhere is not followed at all, token or not
    (first,) = seen.requests
    assert first.headers["Accept"] == "application/vnd.github+json"
    assert first.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert first.headers["Authorization"] == f"Bearer {TOKEN}"


def test_anonymous_client_sends_no_authorization() -> None:
    client, seen = make_client(lambda r: httpx.Response(200, json={"installed_version": "3.21.0"}), token=None)
    assert client.get_meta().installed_version == "3.21.0"
    assert "Authorization" not in seen.requests[0].headers


def test_etag_304_returns_cached_body_and_is_free() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return httpx.Response(304, headers={"ETag": '"v1"', "x-ratelimit-remaining": "4999"})
        return httpx.Response(200, json=run_payload(5, status="in_progress", conclusion=None),
                              headers={"ETag": '"v1"', "x-ratelimit-remaining": "4999",
                                       "x-ratelimit-limit": "5000", "x-ratelimit-reset": "1790000000"})

    client, seen = make_client(handler)
    first = client.get_run(REPO, 5)
    second = client.get_run(REPO, 5)
    assert first == second
    assert second.status == "in_progress"
    assert seen.requests[1].headers["If-None-Match"] == '"v1"'
    stats = client.stats
    assert (stats.requests, stats.counted, stats.not_modified) == (2, 1, 1)
    assert (stats.rate_limit_remaining, stats.rate_limit_limit, stats.rate_limit_reset) == (4999, 5000, 1790000000)


def test_link_pagination_keeps_the_cursor_query() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        link = {"Link": f'<{API}/repos/{REPO}/actions/runs?per_page=2&page={page + 1}>; rel="next"'}
        ids = {1: [1, 2], 2: [3, 4], 3: [5]}[page]
        return httpx.Response(200, json={"total_count": 5, "workflow_runs": [run_payload(i) for i in ids]},
                              headers=link if page < 3 else {})

    client, seen = make_client(handler)
    assert [run.id for run in client.list_workflow_runs(REPO, RunFilter(event="push"), per_page=2)] == [1, 2, 3, 4, 5]
    assert [r.url.params.get("page") for r in seen.requests] == [None, "2", "3"]
    assert seen.requests[0].url.params["event"] == "push"


def test_list_runs_sends_filters_and_encodes_created() -> None:
    client, seen = make_client(lambda r: httpx.Response(200, json={"workflow_runs": []}))
    from datetime import UTC, datetime

    since = created_since(datetime(2026, 11, 27, 8, 0, 0, tzinfo=UTC))
    list(client.list_workflow_runs(REPO, RunFilter(workflow="build-images.yml", event="workflow_dispatch",
                                                   branch="main", head_sha="a" * 40, actor="octocat", created=since)))
    url = seen.requests[0].url
    assert url.path == f"/repos/{REPO}/actions/workflows/build-images.yml/runs"
    assert url.params["created"] == ">=2026-11-27T08:00:00Z"
    assert b"created=%3E%3D2026-11-27T08%3A00%3A00Z" in url.query
    assert url.params["actor"] == "octocat"


def test_5xx_is_retried_for_get_with_backoff() -> None:
    answers = iter([httpx.Response(502, json={"message": "Bad gateway"}), httpx.Response(503, text="busy"),
                    httpx.Response(200, json=run_payload(9))])
    sleeps: list[float] = []
    client, seen = make_client(lambda r: next(answers), sleeps=sleeps)
    assert client.get_run(REPO, 9).id == 9
    assert len(seen.requests) == 3
    assert sleeps == [1.0, 2.0]
    assert client.stats.retries == 2


def test_5xx_gives_up_after_max_attempts_with_a_clear_message() -> None:
    client, seen = make_client(lambda r: httpx.Response(500, json={"message": "Server Error"}), max_attempts=3)
    with pytest.raises(GitHubAPIError) as err:
        client.get_run(REPO, 9)
    assert len(seen.requests) == 3
    assert str(err.value).startswith(f"GET {API}/repos/{REPO}/actions/runs/9?exclude_pull_requests=true -> 500")
    assert "gave up after 3 attempts" in str(err.value)


def test_network_error_is_retried_for_get() -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json={"id": 1, "full_name": REPO, "default_branch": "main",
                                         "html_url": "https://github.com/" + REPO})

    client, _ = make_client(handler)
    assert client.get_repo(REPO).default_branch == "main"
    assert calls["n"] == 2


def test_404_is_not_retried_and_says_what_to_check() -> None:
    client, seen = make_client(lambda r: httpx.Response(404, json={"message": "Not Found"}))
    with pytest.raises(GitHubNotFound) as err:
        client.get_repo(REPO)
    assert len(seen.requests) == 1
    assert str(err.value) == (f"GET {API}/repos/{REPO} -> 404: repository not found or no access (token scope?) "
                              "(GitHub says: Not Found)")


def test_401_bad_credentials_never_shows_the_token() -> None:
    body = {"message": f"Bad credentials for {TOKEN}"}
    client, seen = make_client(lambda r: httpx.Response(401, json=body))
    with pytest.raises(GitHubAuthError) as err:
        client.get_repo(REPO)
    assert "bad credentials: check GITHUB_TOKEN/GH_TOKEN" in str(err.value)
    assert TOKEN not in str(err.value)
    assert TOKEN not in repr(err.value)
    assert len(seen.requests) == 1


def test_403_permission_names_the_missing_permission_and_is_not_retried() -> None:
    headers = {"X-Accepted-GitHub-Permissions": "actions=write", "x-ratelimit-remaining": "4000"}
    client, seen = make_client(
        lambda r: httpx.Response(403, json={"message": "Resource not accessible by integration"}, headers=headers))
    with pytest.raises(GitHubPermissionError) as err:
        client.dispatch_workflow(REPO, "build-images.yml", "main")
    assert "token lacks actions:write" in str(err.value)
    assert str(err.value).startswith(f"POST {API}/repos/{REPO}/actions/workflows/build-images.yml/dispatches -> 403")
    assert err.value.needed == "actions:write"
    assert len(seen.requests) == 1


def test_403_secondary_rate_limit_with_retry_after_is_waited_out() -> None:
    answers = iter([httpx.Response(403, json={"message": "You have exceeded a secondary rate limit"},
                                   headers={"retry-after": "7"}),
                    httpx.Response(200, json=run_payload(3))])
    sleeps: list[float] = []
    client, _ = make_client(lambda r: next(answers), sleeps=sleeps)
    assert client.get_run(REPO, 3).id == 3
    assert sleeps == [7.0]


def test_429_on_post_is_retried_because_nothing_was_executed() -> None:
    answers = iter([httpx.Response(429, json={"message": "slow down"}, headers={"retry-after": "2"}),
                    httpx.Response(204)])
    sleeps: list[float] = []
    client, seen = make_client(lambda r: next(answers), sleeps=sleeps)
    result = client.dispatch_workflow(REPO, "build-images.yml", "main", return_run_details=False)
    assert result.status_code == 204
    assert result.run_id is None
    assert sleeps == [2.0]
    assert len(seen.requests) == 2


def test_secondary_limit_without_headers_waits_a_minute_then_doubles() -> None:
    answers = iter([httpx.Response(429, json={"message": "abuse"}), httpx.Response(429, json={"message": "abuse"}),
                    httpx.Response(200, json=run_payload(3))])
    sleeps: list[float] = []
    client, _ = make_client(lambda r: next(answers), sleeps=sleeps)
    client.get_run(REPO, 3)
    assert sleeps == [60.0, 120.0]


def test_primary_exhaustion_waits_until_reset_from_server_date() -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1790000100",
               "date": "Mon, 21 Sep 2026 14:13:20 GMT"}  # = 1790000000
    answers = iter([httpx.Response(403, json={"message": "API rate limit exceeded"}, headers=headers),
                    httpx.Response(200, json=run_payload(3))])
    sleeps: list[float] = []
    client, _ = make_client(lambda r: next(answers), sleeps=sleeps)
    client.get_run(REPO, 3)
    assert sleeps == [101.0]


def test_rate_limit_beyond_the_cap_raises_rate_limited() -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1790003600",
               "date": "Mon, 21 Sep 2026 14:13:20 GMT"}
    sleeps: list[float] = []
    client, seen = make_client(lambda r: httpx.Response(403, json={"message": "API rate limit exceeded"},
                                                        headers=headers), sleeps=sleeps, max_rate_limit_wait_s=600)
    with pytest.raises(RateLimited) as err:
        client.get_run(REPO, 3)
    assert sleeps == []
    assert len(seen.requests) == 1
    assert "beyond the 600s cap" in str(err.value)
    assert err.value.retry_after == 3601.0


def test_post_5xx_is_not_retried() -> None:
    client, seen = make_client(lambda r: httpx.Response(502, json={"message": "Bad gateway"}))
    with pytest.raises(GitHubAPIError) as err:
        client.dispatch_workflow(REPO, "build-images.yml", "main")
    assert err.value.status_code == 502
    assert len(seen.requests) == 1


def test_post_network_error_is_not_retried() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    client, seen = make_client(handler)
    with pytest.raises(GitHubAPIError) as err:
        client.dispatch_workflow(REPO, "build-images.yml", "main")
    assert err.value.status_code is None
    assert "network error" in str(err.value)
    assert len(seen.requests) == 1


def test_dispatch_200_returns_run_details_and_sends_the_flag() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert json.loads(request.content) == {"ref": "main", "inputs": {"why": "acceptance"},
                                               "return_run_details": True}
        return httpx.Response(200, json={"workflow_run_id": 77, "run_url": f"{API}/repos/{REPO}/actions/runs/77",
                                         "html_url": "https://github.com/x/runs/77"},
                              headers={"date": "Mon, 21 Sep 2026 14:13:20 GMT"})

    client, _ = make_client(handler)
    result = client.dispatch_workflow(REPO, "build-images.yml", "main", {"why": "acceptance"})
    assert (result.status_code, result.run_id) == (200, 77)
    assert result.server_date is not None
    assert result.server_date.timestamp() == 1790000000


def test_dispatch_422_says_the_trigger_is_missing() -> None:
    body = {"message": "Workflow does not have 'workflow_dispatch' trigger", "status": "422"}
    client, _ = make_client(lambda r: httpx.Response(422, json=body))
    with pytest.raises(GitHubValidationError) as err:
        client.dispatch_workflow(REPO, "ci.yml", "main")
    assert "workflow has no workflow_dispatch trigger" in str(err.value)


def test_dispatch_400_is_a_plain_api_error_with_githubs_words() -> None:
    body = {"message": "Invalid request.\n\n\"return_run_details\" is not a permitted key."}
    client, _ = make_client(lambda r: httpx.Response(400, json=body))
    with pytest.raises(GitHubAPIError) as err:
        client.dispatch_workflow(REPO, "build-images.yml", "main")
    assert err.value.status_code == 400
    assert "not a permitted key" in str(err.value)


def test_malformed_payload_names_the_call_and_field() -> None:
    client, _ = make_client(lambda r: httpx.Response(200, json={"id": "x"}))
    with pytest.raises(GitHubAPIError) as err:
        client.get_run(REPO, 1)
    assert f"GET {API}/repos/{REPO}/actions/runs/1" in str(err.value)
    assert "field 'id' should be an integer" in str(err.value)


def test_not_json_body_is_reported() -> None:
    client, _ = make_client(lambda r: httpx.Response(200, text="<html>proxy login</html>"))
    with pytest.raises(GitHubAPIError, match="response is not JSON"):
        client.get_meta()


def test_typed_methods_build_models() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/jobs"):
            assert request.url.params["filter"] == "latest"
            return httpx.Response(200, json={"total_count": 1, "jobs": [{
                "id": 11, "run_id": 5, "name": "build (gateway)", "status": "completed", "conclusion": "failure",
                "started_at": "2026-11-27T08:00:00Z", "completed_at": "2026-11-27T08:01:00Z",
                "steps": [{"name": "Checkout", "number": 1, "status": "completed", "conclusion": "success"},
                          {"name": "Build and push", "number": 2, "status": "completed", "conclusion": "failure"}],
            }]})
        if path.endswith("/pulls"):
            return httpx.Response(200, json=[{"number": 4, "state": "closed", "title": "t",
                                              "head": {"sha": "b" * 40, "ref": "feature"}, "base": {"ref": "main"},
                                              "merge_commit_sha": "a" * 40, "merged_at": "2026-11-27T07:00:00Z"}])
        if path.endswith("/branches/main"):
            return httpx.Response(200, json={"name": "main", "commit": {"sha": "a" * 40}, "protected": True})
        if path.endswith("/workflows"):
            return httpx.Response(200, json={"total_count": 1, "workflows": [
                {"id": 7, "name": "CI", "path": ".github/workflows/ci.yml", "state": "active"}]})
        if path == "/rate_limit":
            return httpx.Response(200, json={"resources": {}, "rate": {"limit": 5000, "remaining": 4990,
                                                                        "reset": 1790000000, "used": 10}})
        return httpx.Response(404, json={"message": "Not Found"})

    client, _ = make_client(handler)
    [job] = client.list_jobs(REPO, 5)
    failed = job.failed_step()
    assert failed is not None
    assert (job.name, failed.name, failed.number) == ("build (gateway)", "Build and push", 2)
    [pull] = client.pulls_for_commit(REPO, "a" * 40)
    assert (pull.number, pull.head_sha, pull.base_ref) == (4, "b" * 40, "main")
    assert pull.merged_at is not None
    assert client.get_branch(REPO, "main").commit_sha == "a" * 40
    [workflow] = client.list_workflows(REPO)
    assert (workflow.file_name, workflow.state) == ("ci.yml", "active")
    assert client.get_rate_limit().remaining == 4990


def test_bad_repository_name_is_refused_before_sending() -> None:
    client, seen = make_client(lambda r: httpx.Response(200, json={}))
    with pytest.raises(ValueError, match="repository must be 'owner/name'"):
        client.get_repo("just-a-name")
    assert seen.requests == []


@pytest.mark.parametrize("url", ["", "api.github.com", "ftp://api.github.com", "https://", "http://[::1"])
def test_bad_base_url_is_a_value_error(url: str) -> None:
    with pytest.raises(ValueError, match=r"GitHub API URL: expected https://api\.github\.com"):
        GitHubClient(base_url=url, token=None)


def test_redirect_to_another_origin_carries_no_token() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.github.com":
            return httpx.Response(301, headers={"Location": "https://objects.example/repos/x"})
        return httpx.Response(200, json={"id": 1, "full_name": REPO, "html_url": "https://github.com/" + REPO})

    client, seen = make_client(handler)
    assert client.get_repo(REPO).full_name == REPO
    assert seen.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert "Authorization" not in seen.requests[1].headers


def test_cached_pages_keep_their_next_link_on_304() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = request.url.params.get("page", "1")
        etag = f'"p{page}"'
        if request.headers.get("If-None-Match") == etag:
            return httpx.Response(304, headers={"ETag": etag})
        link = {"Link": f'<{API}/repos/{REPO}/actions/runs?page=2>; rel="next"'} if page == "1" else {}
        return httpx.Response(200, json={"workflow_runs": [run_payload(int(page))]}, headers={"ETag": etag, **link})

    client, _ = make_client(handler)
    first = [run.id for run in client.list_workflow_runs(REPO)]
    second = [run.id for run in client.list_workflow_runs(REPO)]
    assert first == second == [1, 2]
    assert (client.stats.counted, client.stats.not_modified) == (2, 2)


def test_ghes_without_rate_limit_headers_keeps_the_last_seen_values() -> None:
    answers = iter([httpx.Response(200, json={}, headers={"x-ratelimit-remaining": "10", "x-ratelimit-limit": "60"}),
                    httpx.Response(200, json={})])
    client, _ = make_client(lambda r: next(answers), base_url="https://ghes.example/api/v3")
    client.get_meta()
    client.get_meta()
    assert (client.stats.rate_limit_remaining, client.stats.rate_limit_limit) == (10, 60)


def test_ghes_base_path_is_kept() -> None:
    client, seen = make_client(lambda r: httpx.Response(200, json={}), base_url="https://ghes.example/api/v3")
    client.get_meta()
    assert str(seen.requests[0].url) == "https://ghes.example/api/v3/meta"


def test_stats_since_and_as_dict() -> None:
    client, _ = make_client(lambda r: httpx.Response(200, json={}, headers={"x-ratelimit-remaining": "7"}))
    client.get_meta()
    before = client.stats
    client.get_meta()
    spent = client.stats.since(before)
    assert (spent.requests, spent.counted, spent.rate_limit_remaining) == (1, 1, 7)
    assert json.loads(json.dumps(client.stats.as_dict()))["requests"] == 2


def test_redirect_loop_is_a_clear_error_and_not_retried() -> None:
    client, seen = make_client(lambda r: httpx.Response(302, headers={"Location": str(r.url)}))
    with pytest.raises(GitHubAPIError, match="request failed") as err:
        client.get_repo(REPO)
    assert err.value.status_code is None
    assert len(seen.requests) == 21  # httpx's own redirect limit (20) + 1, once: no retry


def test_etag_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from cicd_acceptance.github import session

    monkeypatch.setattr(session, "CACHE_ENTRIES", 2)
    client, seen = make_client(lambda r: httpx.Response(200, json=run_payload(int(r.url.path.rsplit("/", 1)[1])),
                                                        headers={"ETag": '"same"'}))
    for run_id in (1, 2, 3, 1):
        client.get_run(REPO, run_id)
    assert "If-None-Match" not in seen.requests[3].headers  # run 1 was evicted when run 3 came in


@pytest.mark.parametrize(("call", "thing"), [
    (lambda c: c.get_run(REPO, 42), "workflow run '42' not found, or repository not found or no access"),
    (lambda c: c.get_workflow(REPO, "build.yml"), "workflow 'build.yml' not found, or repository not found"),
    (lambda c: c.get_branch(REPO, "main"), "branch 'main' not found, or repository not found"),
])
def test_404_below_the_repository_names_the_missing_thing(call: Callable[[GitHubClient], object],
                                                          thing: str) -> None:
    client, _ = make_client(lambda r: httpx.Response(404, json={"message": "Not Found"}))
    with pytest.raises(GitHubNotFound, match=thing):
        call(client)
