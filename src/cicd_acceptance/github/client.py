"""GitHubClient: the typed subset of GitHub's REST API the acceptance needs.

Example::

    client = GitHubClient(base_url="https://api.github.com", token=Secret(os.environ["GITHUB_TOKEN"]))
    head = client.get_branch("octo/stream-monitor", "main").commit_sha
    for run in client.list_workflow_runs("octo/stream-monitor", RunFilter(workflow="ci.yml", head_sha=head)):
        print(run.describe())
    print(client.stats)            # requests, counted against the limit, free 304s, last rate-limit headers

Parameters of the constructor (keyword-only): ``base_url`` (``https://api.github.com`` or a GHES
``https://HOST/api/v3``), ``token`` (:class:`Secret` or ``None`` for anonymous), ``http``
(:class:`~cicd_acceptance.httpbounds.HttpSettings`: the transport to inject in tests, the sleep that retries and
rate-limit waits call, timeouts, attempts per idempotent request on 5xx/network errors, body cap, user agent),
``api_version`` (``X-GitHub-Api-Version``), ``max_rate_limit_wait_s`` (total rate-limit waiting per request before
:class:`~cicd_acceptance.errors.RateLimited`). HTTP behaviour lives in :mod:`cicd_acceptance.github.session`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Protocol, Self, TypeVar
from urllib.parse import quote

from cicd_acceptance.errors import GitHubAPIError
from cicd_acceptance.github.decode import PayloadError
from cicd_acceptance.github.models import (
    Annotation,
    Branch,
    CheckRun,
    Commit,
    DispatchResponse,
    Job,
    Meta,
    PullRequest,
    RateLimit,
    Repository,
    Workflow,
    WorkflowRun,
)
from cicd_acceptance.github.session import DEFAULT_API_VERSION, ApiResponse, ApiSession, ClientStats, Params
from cicd_acceptance.httpbounds import DEFAULT_HTTP, HttpSettings
from cicd_acceptance.secret import Secret

__all__ = ["DEFAULT_API_VERSION", "GitHubClient", "RunFilter", "created_since"]


M = TypeVar("M", covariant=True)


class _FromApi(Protocol[M]):
    def from_api(self, data: Mapping[str, object], /) -> M: ...


@dataclass(frozen=True)
class RunFilter:
    """Which workflow runs a listing asks for: one workflow's (id or file name) or all, narrowed by the query
    parameters GitHub documents; None leaves a parameter out. ``created``: see :func:`created_since`."""

    workflow: str | int | None = None
    event: str | None = None
    branch: str | None = None
    head_sha: str | None = None
    status: str | None = None
    actor: str | None = None
    created: str | None = None

    def params(self) -> dict[str, str | int]:
        query = {"event": self.event, "branch": self.branch, "head_sha": self.head_sha, "status": self.status,
                 "actor": self.actor, "created": self.created}
        return {key: value for key, value in query.items() if value is not None}


ALL_RUNS = RunFilter()


def created_since(moment: datetime) -> str:
    """GitHub's search-date filter ``>=YYYY-MM-DDTHH:MM:SSZ`` for the ``created`` parameter (UTC, seconds)."""
    return ">=" + moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _seg(value: str | int) -> str:
    return quote(str(value), safe="")


def _repo(repo: str) -> str:
    owner, _, name = repo.partition("/")
    if not owner or not name or "/" in name:
        raise ValueError(f"repository must be 'owner/name', got {repo!r}")
    return f"repos/{_seg(owner)}/{_seg(name)}"


class GitHubClient:
    """Typed GitHub REST calls returning frozen models; see the module docstring for parameters."""

    def __init__(self, *, base_url: str, token: Secret | None, http: HttpSettings = DEFAULT_HTTP,
                 api_version: str = DEFAULT_API_VERSION, max_rate_limit_wait_s: float = 900.0) -> None:
        self._session = ApiSession(base_url=base_url, token=token, http=http, api_version=api_version,
                                   max_rate_limit_wait_s=max_rate_limit_wait_s)

    @property
    def base_url(self) -> str:
        return self._session.base_url

    @property
    def stats(self) -> ClientStats:
        """Counters so far: requests, counted (all but 304), not_modified, retries, waited_s, rate limit."""
        return self._session.stats

    @property
    def last_server_date(self) -> datetime | None:
        """The server's ``Date`` on the latest response (None before any response, or if it sent none)."""
        return self._session.server_date

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- plumbing --------------------------------------------------------------------------------------------

    def _get(self, path: str, params: Params | None = None) -> ApiResponse:
        return self._session.request("GET", path, params=params)

    def _one(self, model: _FromApi[M], path: str, params: Params | None = None) -> M:
        response = self._get(path, params)
        return self._build(model, response.body, response)

    def _many(self, model: _FromApi[M], path: str, params: Params | None, key: str | None) -> Iterator[M]:
        for item in self._session.paginate(path, params=params, key=key):
            yield self._build(model, item, None, path)

    def _build(self, model: _FromApi[M], body: object, response: ApiResponse | None, path: str = "") -> M:
        url = response.url if response else self.base_url + path
        if not isinstance(body, Mapping):
            raise GitHubAPIError("expected a JSON object", method="GET", url=url)
        try:
            return model.from_api(body)
        except PayloadError as exc:
            # The model names only the field; name the call that returned it.
            raise GitHubAPIError(f"unexpected response: {exc.reason} ({exc.model})", method="GET", url=url,
                                 status_code=response.status_code if response else None) from None

    # -- repository ------------------------------------------------------------------------------------------

    def get_repo(self, repo: str) -> Repository:
        return self._one(Repository, _repo(repo))

    def get_branch(self, repo: str, branch: str) -> Branch:
        return self._one(Branch, f"{_repo(repo)}/branches/{quote(branch, safe='/')}")

    def get_commit(self, repo: str, ref: str) -> Commit:
        return self._one(Commit, f"{_repo(repo)}/commits/{quote(ref, safe='/')}")

    def pulls_for_commit(self, repo: str, sha: str) -> list[PullRequest]:
        return list(self._many(PullRequest, f"{_repo(repo)}/commits/{_seg(sha)}/pulls", {"per_page": 100}, None))

    def get_pull(self, repo: str, number: int) -> PullRequest:
        return self._one(PullRequest, f"{_repo(repo)}/pulls/{int(number)}")

    def list_check_runs(self, repo: str, ref: str) -> list[CheckRun]:
        path = f"{_repo(repo)}/commits/{quote(ref, safe='/')}/check-runs"
        return list(self._many(CheckRun, path, {"per_page": 100}, "check_runs"))

    def get_meta(self) -> Meta:
        return self._one(Meta, "meta")

    def get_user_login(self) -> str:
        """The login of the token's user (``GET /user``); GitHub refuses it (403) for an Actions or app token."""
        response = self._get("user")
        login = response.body.get("login") if isinstance(response.body, Mapping) else None
        if not isinstance(login, str) or not login:
            raise GitHubAPIError("unexpected response: no login", method="GET", url=response.url,
                                 status_code=response.status_code)
        return login

    def job_log(self, repo: str, job_id: int, *, limit: int,
                timeout_s: float) -> AbstractContextManager[Iterator[bytes]]:
        """The job's log as it downloads (``GET .../actions/jobs/{id}/logs``, whose redirect to storage is followed
        without the token), refused past ``limit`` decoded bytes or ``timeout_s``."""
        return self._session.stream_redirected(f"{_repo(repo)}/actions/jobs/{int(job_id)}/logs", limit=limit,
                                               timeout_s=timeout_s)

    def list_annotations(self, repo: str, check_run_id: int, *, limit: int = 50) -> list[Annotation]:
        """The first ``limit`` annotations of a check run (a job's id is its check run's id)."""
        path = f"{_repo(repo)}/check-runs/{int(check_run_id)}/annotations"
        return list(islice(self._many(Annotation, path, {"per_page": min(limit, 100)}, None), limit))

    def get_rate_limit(self) -> RateLimit:
        return self._one(RateLimit, "rate_limit")

    # -- workflows and runs --------------------------------------------------------------------------------------

    def list_workflows(self, repo: str) -> list[Workflow]:
        return list(self._many(Workflow, f"{_repo(repo)}/actions/workflows", {"per_page": 100}, "workflows"))

    def get_workflow(self, repo: str, workflow: str | int) -> Workflow:
        """``workflow`` is the numeric id or the file name (``build-images.yml``)."""
        return self._one(Workflow, f"{_repo(repo)}/actions/workflows/{_seg(workflow)}")

    def list_workflow_runs(self, repo: str, runs: RunFilter = ALL_RUNS, *, exclude_pull_requests: bool = True,
                           per_page: int = 100) -> Iterator[WorkflowRun]:
        """The ``runs`` of ``repo`` newest first, across pages (lazy: stop iterating to stop paying)."""
        workflow = runs.workflow
        base = f"{_repo(repo)}/actions/" + (f"workflows/{_seg(workflow)}/runs" if workflow is not None else "runs")
        params = runs.params()
        params["per_page"] = per_page
        if exclude_pull_requests:
            params["exclude_pull_requests"] = "true"
        return self._many(WorkflowRun, base, params, "workflow_runs")

    def get_run(self, repo: str, run_id: int) -> WorkflowRun:
        return self._one(WorkflowRun, f"{_repo(repo)}/actions/runs/{int(run_id)}",
                         {"exclude_pull_requests": "true"})

    def get_run_attempt(self, repo: str, run_id: int, attempt: int) -> WorkflowRun:
        return self._one(WorkflowRun, f"{_repo(repo)}/actions/runs/{int(run_id)}/attempts/{int(attempt)}")

    def list_jobs(self, repo: str, run_id: int, *, filter: str = "latest") -> list[Job]:
        path = f"{_repo(repo)}/actions/runs/{int(run_id)}/jobs"
        return list(self._many(Job, path, {"filter": filter, "per_page": 100}, "jobs"))

    def dispatch_workflow(self, repo: str, workflow: str | int, ref: str, inputs: Mapping[str, str] | None = None,
                          *, return_run_details: bool = True) -> DispatchResponse:
        """Dispatch once. Accepts 200 (with run details) and 204. Never retried on 5xx/network errors: the
        caller must look for the run before thinking of dispatching again."""
        body: dict[str, object] = {"ref": ref}
        if inputs:
            body["inputs"] = dict(inputs)
        if return_run_details:
            body["return_run_details"] = True
        path = f"{_repo(repo)}/actions/workflows/{_seg(workflow)}/dispatches"
        response = self._session.request("POST", path, body=body)
        payload = response.body if isinstance(response.body, Mapping) else {}
        try:
            return DispatchResponse.from_api(payload, status_code=response.status_code, server_date=response.date)
        except PayloadError as exc:
            raise GitHubAPIError(f"unexpected response: {exc.reason}", method="POST", url=response.url,
                                 status_code=response.status_code) from None
