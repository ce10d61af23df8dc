"""Actions routes for what a run leaves behind: its log archives (per run and per attempt), its artifacts, and
its timing. Archives and artifact zips are served by short-lived download URLs (:mod:`.downloads`)."""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.wrappers import Response

from cicd_acceptance.emulator.errors import Unprocessable
from cicd_acceptance.emulator.github.artifacts import Artifact
from cicd_acceptance.emulator.github.downloads import signed_url
from cicd_acceptance.emulator.github.filters import paginate
from cicd_acceptance.emulator.github.payloads_actions import artifact_body, usage_body
from cicd_acceptance.emulator.responses import Ctx, error, json_response, refusal

__all__ = ["RUN_FILE_ROUTES"]

_LOGS_DOCS = "https://docs.github.com/rest/actions/workflow-runs#download-workflow-run-logs"
_ARTIFACTS_DOCS = "https://docs.github.com/rest/actions/artifacts"


def _archive(ctx: Ctx, run_id: int, attempt_number: int | None) -> Response:
    run = ctx.state.github.run(run_id, now=ctx.now)
    if run is None:
        return error(404, "Not Found", docs=_LOGS_DOCS)
    attempts = run.started_attempts(ctx.now)
    number = attempt_number or attempts[-1].number
    # GitHub has no archive until the attempt completes (404), and none for an attempt that never was.
    if not 1 <= number <= len(attempts) or run.status(ctx.now, run.attempts[number - 1]) != "completed":
        return error(404, "Not Found", docs=_LOGS_DOCS)
    location = signed_url(ctx.urls.html, f"/_logs/runs/{run_id}/attempts/{number}", ctx.now)
    return Response(status=302, headers={"Location": location})


def run_logs(ctx: Ctx, owner: str, repo: str, run_id: int) -> Response:
    return _archive(ctx, run_id, None)


def attempt_logs(ctx: Ctx, owner: str, repo: str, run_id: int, attempt_number: int) -> Response:
    return _archive(ctx, run_id, attempt_number)


def run_timing(ctx: Ctx, owner: str, repo: str, run_id: int) -> Response:
    run = ctx.state.github.run(run_id, now=ctx.now)
    if run is None:
        return error(404, "Not Found", docs="https://docs.github.com/rest/actions/workflow-runs#get-workflow-run-usage")
    return json_response(usage_body(run, run.latest(ctx.now), ctx.now))


def _artifact_list(ctx: Ctx, artifacts: list[Artifact]) -> Response:
    name = ctx.arg("name")
    chosen = [a for a in artifacts if name is None or a.name == name]
    try:
        items, link = paginate(chosen, page=ctx.arg("page"), per_page=ctx.arg("per_page"),
                               base_url=ctx.request.base_url, query=list(ctx.request.args.items(multi=True)))
    except Unprocessable as exc:
        return refusal(exc)
    github = ctx.state.github
    bodies = [artifact_body(ctx.urls, ctx.state.identity, a, github.run(a.run_id, now=ctx.now)) for a in items]
    return json_response({"total_count": len(chosen), "artifacts": bodies}, headers={"Link": link} if link else None)


def repo_artifacts(ctx: Ctx, owner: str, repo: str) -> Response:
    visible = {run.id for run in ctx.state.github.visible_runs(ctx.now)}
    newest_first = sorted(ctx.state.github.artifacts.all(), key=lambda a: (a.created_at, a.id), reverse=True)
    return _artifact_list(ctx, [a for a in newest_first if a.run_id in visible])


def run_artifacts(ctx: Ctx, owner: str, repo: str, run_id: int) -> Response:
    if ctx.state.github.run(run_id, now=ctx.now) is None:
        return error(404, "Not Found", docs=_ARTIFACTS_DOCS)
    artifacts = ctx.state.github.artifacts.for_run(run_id)
    if ctx.arg("direction") == "desc":
        artifacts.reverse()
    return _artifact_list(ctx, artifacts)


def _known_artifact(ctx: Ctx, artifact_id: int) -> Artifact | None:
    artifact = ctx.state.github.artifacts.get(artifact_id)
    if artifact is None or ctx.state.github.run(artifact.run_id, now=ctx.now) is None:
        return None
    return artifact


def get_artifact(ctx: Ctx, owner: str, repo: str, artifact_id: int) -> Response:
    artifact = _known_artifact(ctx, artifact_id)
    if artifact is None:
        return error(404, "Not Found", docs=_ARTIFACTS_DOCS)
    run = ctx.state.github.run(artifact.run_id, now=ctx.now)
    return json_response(artifact_body(ctx.urls, ctx.state.identity, artifact, run))


def download_artifact(ctx: Ctx, owner: str, repo: str, artifact_id: int, archive_format: str) -> Response:
    artifact = _known_artifact(ctx, artifact_id)
    if artifact is None or archive_format != "zip":
        return error(404, "Not Found", docs=_ARTIFACTS_DOCS)
    if artifact.expired:
        return error(410, "Artifact has expired", docs=_ARTIFACTS_DOCS)
    location = signed_url(ctx.urls.html, f"/_artifacts/{artifact.id}", ctx.now)
    return Response(status=302, headers={"Location": location})


RUN_FILE_ROUTES: dict[str, tuple[str, Callable[..., Response]]] = {
    "/repos/<owner>/<repo>/actions/runs/<int:run_id>/logs": ("GET", run_logs),
    "/repos/<owner>/<repo>/actions/runs/<int:run_id>/attempts/<int:attempt_number>/logs": ("GET", attempt_logs),
    "/repos/<owner>/<repo>/actions/runs/<int:run_id>/timing": ("GET", run_timing),
    "/repos/<owner>/<repo>/actions/runs/<int:run_id>/artifacts": ("GET", run_artifacts),
    "/repos/<owner>/<repo>/actions/artifacts": ("GET", repo_artifacts),
    "/repos/<owner>/<repo>/actions/artifacts/<int:artifact_id>": ("GET", get_artifact),
    "/repos/<owner>/<repo>/actions/artifacts/<int:artifact_id>/<archive_format>": ("GET", download_artifact),
}
