"""Routes about commits and the checks on them: the commit list, commit statuses and a ref's combined status, and a
check run with its annotations (every Actions job is a check run with the job's id; its annotations are those its
execution made, else those its log's error and warning lines make)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from werkzeug.wrappers import Response

from cicd_acceptance.emulator.clock import iso
from cicd_acceptance.emulator.errors import Unprocessable
from cicd_acceptance.emulator.github.filters import paginate
from cicd_acceptance.emulator.github.payloads_actions import (
    JsonDict,
    annotation_body,
    check_run_body,
    combined_status_body,
)
from cicd_acceptance.emulator.github.payloads_repo import commit_body, node_id
from cicd_acceptance.emulator.github.run_logs import job_annotations
from cicd_acceptance.emulator.github.state import CommitStatus
from cicd_acceptance.emulator.responses import Ctx, error, json_response, refusal, validation_error

__all__ = ["COMMIT_ROUTES"]

_CHECKS_DOCS = "https://docs.github.com/rest/checks/runs"


def _paged(ctx: Ctx, items: list[JsonDict]) -> Response:
    try:
        chosen, link = paginate(items, page=ctx.arg("page"), per_page=ctx.arg("per_page"),
                                base_url=ctx.request.base_url, query=list(ctx.request.args.items(multi=True)))
    except Unprocessable as exc:
        return refusal(exc)
    return json_response(chosen, headers={"Link": link} if link else None)


def _moment(ctx: Ctx, name: str) -> datetime | Response | None:
    value = ctx.arg(name)
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return validation_error(f"{name} must be an ISO 8601 timestamp, got {value!r}", field=name)


def list_commits(ctx: Ctx, owner: str, repo: str) -> Response:
    for unsupported in ("path", "author", "committer"):
        if ctx.arg(unsupported) is not None:
            return validation_error(f"the emulator does not filter commits by {unsupported}", field=unsupported)
    since, until = _moment(ctx, "since"), _moment(ctx, "until")
    if isinstance(since, Response):
        return since
    if isinstance(until, Response):
        return until
    start = ctx.arg("sha") or ctx.state.identity.default_branch
    commits = ctx.state.github.history(start)
    if not commits:
        return error(404, "Not Found", docs="https://docs.github.com/rest/commits/commits#list-commits")
    chosen = [c for c in commits if (since is None or c.committer_date >= since)
              and (until is None or c.committer_date <= until)]
    return _paged(ctx, [commit_body(ctx.urls, ctx.state.identity, commit) for commit in chosen])


def _status_body(ctx: Ctx, status: CommitStatus) -> JsonDict:
    return {"id": status.status_id, "node_id": node_id("SC", status.status_id), "state": status.state,
            "description": status.description, "target_url": status.target_url, "context": status.context,
            "avatar_url": f"{ctx.urls.html}/avatars/u/{ctx.state.identity.owner_id}",
            "url": f"{ctx.urls.api}/repos/{ctx.state.repository}/statuses/{status.sha}",
            "created_at": iso(status.created_at), "updated_at": iso(status.created_at)}


def combined_status(ctx: Ctx, owner: str, repo: str, ref: str) -> Response:
    commit = ctx.state.github.commit(ref)
    if commit is None:
        return error(404, "Not Found", docs="https://docs.github.com/rest/commits/statuses")
    statuses = [_status_body(ctx, status) for status in ctx.state.github.latest_statuses(commit.sha)]
    return json_response(combined_status_body(ctx.urls, ctx.state.identity, commit.sha, statuses))


def create_status(ctx: Ctx, owner: str, repo: str, sha: str) -> Response:
    docs = "https://docs.github.com/rest/commits/statuses#create-a-commit-status"
    if not ctx.token.write:
        return error(403, "Resource not accessible by personal access token", docs=docs)
    commit = ctx.state.github.commit(sha)
    if commit is None:
        return validation_error(f"No commit found for SHA: {sha}", field="sha")
    body = ctx.json_body()
    if not isinstance(body, dict):
        return error(400, "Problems parsing JSON", docs=docs)
    fields = {name: body.get(name) for name in ("target_url", "description", "context")}
    if any(value is not None and not isinstance(value, str) for value in fields.values()):
        return validation_error("target_url, description and context must be strings", field="context")
    try:
        status = ctx.state.github.add_status(commit.sha, str(body.get("state")), context=fields["context"] or "default",
                                             description=fields["description"], target_url=fields["target_url"])
    except Unprocessable as exc:
        return refusal(exc)
    return json_response(_status_body(ctx, status), 201)


def get_check_run(ctx: Ctx, owner: str, repo: str, check_run_id: int) -> Response:
    github = ctx.state.github
    found = github.job(check_run_id, ctx.now)
    if found is None:
        return error(404, "Not Found", docs=f"{_CHECKS_DOCS}#get-a-check-run")
    run, attempt, job = found
    pulls = [pull for number in run.pull_requests if (pull := github.pull(number))]
    count = len(job_annotations(run, attempt, job, ctx.now))
    body = check_run_body(ctx.urls, ctx.state.identity, run, job, ctx.now, pulls, annotations=count)
    return json_response(body)


def check_run_annotations(ctx: Ctx, owner: str, repo: str, check_run_id: int) -> Response:
    found = ctx.state.github.job(check_run_id, ctx.now)
    if found is None:
        return error(404, "Not Found", docs=f"{_CHECKS_DOCS}#list-check-run-annotations")
    run, attempt, job = found
    return _paged(ctx, [annotation_body(ctx.urls, ctx.state.identity, run, note.level, note.message, path=note.path,
                                        line=note.line, title=note.title)
                        for note in job_annotations(run, attempt, job, ctx.now)])


COMMIT_ROUTES: dict[str, tuple[str, Callable[..., Response]]] = {
    "/repos/<owner>/<repo>/commits": ("GET", list_commits),
    "/repos/<owner>/<repo>/commits/<path:ref>/status": ("GET", combined_status),
    "/repos/<owner>/<repo>/statuses/<sha>": ("POST", create_status),
    "/repos/<owner>/<repo>/check-runs/<int:check_run_id>": ("GET", get_check_run),
    "/repos/<owner>/<repo>/check-runs/<int:check_run_id>/annotations": ("GET", check_run_annotations),
}
