"""GitHub REST routes outside Actions: meta, rate limit, repository, branches, commits, check runs, contents,
pull requests and GitHub Packages versions."""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.wrappers import Response

from cicd_acceptance.emulator.errors import Unprocessable
from cicd_acceptance.emulator.github.filters import paginate
from cicd_acceptance.emulator.github.payloads_actions import (
    check_run_body,
    package_version_body,
    pull_body,
    pull_simple_body,
)
from cicd_acceptance.emulator.github.payloads_repo import (
    branch_body,
    commit_body,
    content_entry_body,
    content_file_body,
    full_repository_body,
    meta_body,
    rate_limit_body,
)
from cicd_acceptance.emulator.responses import Ctx, error, json_response, refusal, validation_error

__all__ = ["REPO_ROUTES"]

_OLD_GHES_VERSION = "3.20.0"


def _paged(ctx: Ctx, items: list[object], wrap: Callable[[list[object]], object] = lambda items: items) -> Response:
    try:
        chosen, link = paginate(items, page=ctx.arg("page"), per_page=ctx.arg("per_page"),
                                base_url=ctx.request.base_url, query=list(ctx.request.args.items(multi=True)))
    except Unprocessable as exc:
        return refusal(exc)
    return json_response(wrap(chosen), headers={"Link": link} if link else None)


def get_meta(ctx: Ctx) -> Response:
    version = _OLD_GHES_VERSION if ctx.state.config.old_ghes else None
    return json_response(meta_body(installed_version=version))


def get_rate_limit(ctx: Ctx) -> Response:
    status = ctx.state.rate.peek(ctx.token)
    core = {"limit": status.limit, "remaining": status.remaining, "reset": status.reset, "used": status.used}
    search = {"limit": 30, "remaining": 30, "reset": status.reset, "used": 0}
    return json_response(rate_limit_body(core, search))


def get_repo(ctx: Ctx, owner: str, repo: str) -> Response:
    return json_response(full_repository_body(ctx.urls, ctx.state.identity))


def get_branch(ctx: Ctx, owner: str, repo: str, branch: str) -> Response:
    sha = ctx.state.github.branch_sha(branch)
    commit = ctx.state.github.commit(sha) if sha else None
    if commit is None:
        return error(404, "Branch not found", docs="https://docs.github.com/rest/branches/branches#get-a-branch")
    return json_response(branch_body(ctx.urls, ctx.state.identity, branch, commit))


def get_commit(ctx: Ctx, owner: str, repo: str, ref: str) -> Response:
    commit = ctx.state.github.commit(ref)
    if commit is None:
        return validation_error(f"No commit found for SHA: {ref}", field="sha") if len(ref) >= 7 else error(
            404, "Not Found", docs="https://docs.github.com/rest/commits/commits#get-a-commit")
    if "application/vnd.github.sha" in ctx.request.headers.get("Accept", ""):
        return Response(commit.sha, content_type="application/vnd.github.sha")
    return json_response(commit_body(ctx.urls, ctx.state.identity, commit))


def commit_pulls(ctx: Ctx, owner: str, repo: str, commit_sha: str) -> Response:
    commit = ctx.state.github.commit(commit_sha)
    sha = commit.sha if commit else commit_sha
    pulls = ctx.state.github.pulls_for_commit(sha)
    return _paged(ctx, [pull_simple_body(ctx.urls, ctx.state.identity, pull) for pull in pulls])


def check_runs(ctx: Ctx, owner: str, repo: str, ref: str) -> Response:
    github = ctx.state.github
    commit = github.commit(ref)
    if commit is None:
        return validation_error(f"No commit found for SHA: {ref}", field="sha")
    which = ctx.arg("filter") or "latest"
    bodies: list[object] = []
    for run in github.visible_runs(ctx.now):
        if run.head_sha != commit.sha:
            continue
        pulls = [pull for number in run.pull_requests if (pull := github.pull(number))]
        attempts = run.started_attempts(ctx.now) if which == "all" else [run.latest(ctx.now)]
        for attempt in attempts:
            for job in attempt.jobs:
                body = check_run_body(ctx.urls, ctx.state.identity, run, job, ctx.now, pulls)
                if _check_wanted(ctx, body):
                    bodies.append(body)
    return _paged(ctx, bodies, lambda items: {"total_count": len(bodies), "check_runs": items})


def _check_wanted(ctx: Ctx, body: dict[str, object]) -> bool:
    name, status = ctx.arg("check_name"), ctx.arg("status")
    return (name is None or body["name"] == name) and (status is None or body["status"] == status)


def get_content(ctx: Ctx, owner: str, repo: str, path: str) -> Response:
    snapshot = ctx.state.snapshot
    ref = ctx.arg("ref") or snapshot.default_branch
    docs = "https://docs.github.com/rest/repos/contents#get-repository-content"
    if ctx.state.github.commit(ref) is None:
        return error(404, f"No commit found for the ref {ref}", docs=docs)
    entry = snapshot.files.get(path.strip("/"))
    if entry is None:
        return _directory(ctx, path.strip("/"), ref) or error(404, "Not Found", docs=docs)
    data = snapshot.read(entry.path)
    if "application/vnd.github.raw" in ctx.request.headers.get("Accept", ""):
        return Response(data, content_type="application/vnd.github.raw")
    return json_response(content_file_body(ctx.urls, ctx.state.identity, entry, data, ref))


def _directory(ctx: Ctx, path: str, ref: str) -> Response | None:
    snapshot, identity = ctx.state.snapshot, ctx.state.identity
    children = snapshot.directory(path)
    if not children:
        return None
    items = []
    for name, kind in children:
        child = f"{path}/{name}" if path else name
        entry = snapshot.files.get(child)
        sha, size = (entry.blob, entry.size) if entry else (snapshot.tree_sha(child), 0)
        items.append(content_entry_body(ctx.urls, identity, path=child, kind=kind, sha=sha, size=size, ref=ref))
    return json_response(items)


def get_root_content(ctx: Ctx, owner: str, repo: str) -> Response:
    return get_content(ctx, owner, repo, "")


def list_pulls(ctx: Ctx, owner: str, repo: str) -> Response:
    state = ctx.arg("state") or "open"
    if state not in {"open", "closed", "all"}:
        return validation_error(f"state must be open, closed or all, got {state!r}", field="state")
    head, base = ctx.arg("head"), ctx.arg("base")
    pulls = [pull for pull in reversed(ctx.state.github.pulls)
             if state in {"all", pull.state} and (base is None or pull.base_ref == base)
             and (head is None or head.split(":")[-1] == pull.head_ref)]
    return _paged(ctx, [pull_simple_body(ctx.urls, ctx.state.identity, pull) for pull in pulls])


def get_pull(ctx: Ctx, owner: str, repo: str, pull_number: int) -> Response:
    pull = ctx.state.github.pull(pull_number)
    if pull is None:
        return error(404, "Not Found", docs="https://docs.github.com/rest/pulls/pulls#get-a-pull-request")
    return json_response(pull_body(ctx.urls, ctx.state.identity, pull))


def _versions(ctx: Ctx, owner: str, owner_kind: str, package_type: str, package_name: str) -> Response:
    docs = "https://docs.github.com/rest/packages/packages"
    if ctx.token.kind == "anonymous":
        return error(401, "Requires authentication", docs=docs)
    name = f"{owner}/{package_name}".lower()
    versions = ctx.state.registry.versions(name) if package_type == "container" else []
    if not versions:
        return error(404, "Package not found.", docs=docs)
    bodies: list[object] = [
        package_version_body(ctx.urls, owner=owner, owner_kind=owner_kind, package=package_name,
                             version_id=version.id, digest=version.digest, tags=version.tags,
                             created_at=version.created_at) for version in versions]
    return _paged(ctx, bodies)


def user_versions(ctx: Ctx, username: str, package_type: str, package_name: str) -> Response:
    return _versions(ctx, username, "user", package_type, package_name)


def org_versions(ctx: Ctx, org: str, package_type: str, package_name: str) -> Response:
    return _versions(ctx, org, "org", package_type, package_name)


def my_versions(ctx: Ctx, package_type: str, package_name: str) -> Response:
    return _versions(ctx, ctx.token.login or ctx.state.identity.owner, "user", package_type, package_name)


REPO_ROUTES: dict[str, tuple[str, Callable[..., Response]]] = {
    "/meta": ("GET", get_meta),
    "/rate_limit": ("GET", get_rate_limit),
    "/repos/<owner>/<repo>": ("GET", get_repo),
    "/repos/<owner>/<repo>/branches/<path:branch>": ("GET", get_branch),
    "/repos/<owner>/<repo>/commits/<commit_sha>/pulls": ("GET", commit_pulls),
    "/repos/<owner>/<repo>/commits/<path:ref>/check-runs": ("GET", check_runs),
    "/repos/<owner>/<repo>/commits/<path:ref>": ("GET", get_commit),
    "/repos/<owner>/<repo>/contents": ("GET", get_root_content),
    "/repos/<owner>/<repo>/contents/<path:path>": ("GET", get_content),
    "/repos/<owner>/<repo>/pulls": ("GET", list_pulls),
    "/repos/<owner>/<repo>/pulls/<int:pull_number>": ("GET", get_pull),
    "/users/<username>/packages/<package_type>/<package_name>/versions": ("GET", user_versions),
    "/orgs/<org>/packages/<package_type>/<package_name>/versions": ("GET", org_versions),
    "/user/packages/<package_type>/<package_name>/versions": ("GET", my_versions),
}
