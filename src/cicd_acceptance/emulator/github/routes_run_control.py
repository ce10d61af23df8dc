"""Actions routes that change runs and workflows: re-run (all jobs, failed jobs, one job), cancel, and
enabling or disabling a workflow. Re-runs and cancels go through :class:`GitHubState`, so a re-run attempt starts
exactly as a dispatched run's first attempt does (and the executor sees it the same way)."""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.wrappers import Response

from cicd_acceptance.emulator.errors import EmulatorError
from cicd_acceptance.emulator.responses import Ctx, error, json_response, refusal

__all__ = ["RUN_CONTROL_ROUTES"]

_RUNS_DOCS = "https://docs.github.com/rest/actions/workflow-runs"
_JOBS_DOCS = "https://docs.github.com/rest/actions/workflow-jobs"
_WORKFLOWS_DOCS = "https://docs.github.com/rest/actions/workflows"


def _forbidden(docs: str) -> Response:
    return error(403, "Resource not accessible by personal access token", docs=docs,
                 headers={"X-Accepted-GitHub-Permissions": "actions=write"})


def _debug_flag_problem(ctx: Ctx) -> Response | None:
    body = ctx.json_body()
    if body is None:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("enable_debug_logging", False), bool):
        return error(422, "Invalid request.\n\nFor 'properties/enable_debug_logging', is not a boolean.",
                     docs=_RUNS_DOCS)
    return None


def _rerun(ctx: Ctx, run_id: int, *, failed_only: bool) -> Response:
    if not ctx.token.write:
        return _forbidden(_RUNS_DOCS)
    if ctx.state.github.run(run_id, now=ctx.now) is None:
        return error(404, "Not Found", docs=_RUNS_DOCS)
    problem = _debug_flag_problem(ctx)
    if problem is not None:
        return problem
    try:
        ctx.state.github.rerun(run_id, failed_only=failed_only)
    except EmulatorError as exc:  # GitHub's 403 for a run still in progress, or one without failed jobs
        return refusal(exc, docs=_RUNS_DOCS)
    return json_response({}, 201)


def rerun_run(ctx: Ctx, owner: str, repo: str, run_id: int) -> Response:
    return _rerun(ctx, run_id, failed_only=False)


def rerun_failed_jobs(ctx: Ctx, owner: str, repo: str, run_id: int) -> Response:
    return _rerun(ctx, run_id, failed_only=True)


def rerun_job(ctx: Ctx, owner: str, repo: str, job_id: int) -> Response:
    if not ctx.token.write:
        return _forbidden(_JOBS_DOCS)
    found = ctx.state.github.job(job_id, ctx.now)
    if found is None:
        return error(404, "Not Found", docs=_JOBS_DOCS)
    problem = _debug_flag_problem(ctx)
    if problem is not None:
        return problem
    run, _attempt, _job = found
    try:
        ctx.state.github.rerun(run.id, job_id=job_id)
    except EmulatorError as exc:
        return refusal(exc, docs=_JOBS_DOCS)
    return json_response({}, 201)


def cancel_run(ctx: Ctx, owner: str, repo: str, run_id: int) -> Response:
    if not ctx.token.write:
        return _forbidden(_RUNS_DOCS)
    if ctx.state.github.run(run_id, now=ctx.now) is None:
        return error(404, "Not Found", docs=_RUNS_DOCS)
    try:
        ctx.state.github.cancel(run_id)
    except EmulatorError as exc:
        return refusal(exc, docs=_RUNS_DOCS)
    return json_response({}, 202)


def _set_enabled(ctx: Ctx, workflow_id: str, enabled: bool) -> Response:
    if not ctx.token.write:
        return _forbidden(_WORKFLOWS_DOCS)
    info = ctx.state.github.workflow(workflow_id)
    if info is None:
        return error(404, "Not Found", docs=_WORKFLOWS_DOCS)
    ctx.state.github.set_enabled(info, enabled)
    return Response(status=204)


def enable_workflow(ctx: Ctx, owner: str, repo: str, workflow_id: str) -> Response:
    return _set_enabled(ctx, workflow_id, True)


def disable_workflow(ctx: Ctx, owner: str, repo: str, workflow_id: str) -> Response:
    return _set_enabled(ctx, workflow_id, False)


RUN_CONTROL_ROUTES: dict[str, tuple[str, Callable[..., Response]]] = {
    "/repos/<owner>/<repo>/actions/runs/<int:run_id>/rerun": ("POST", rerun_run),
    "/repos/<owner>/<repo>/actions/runs/<int:run_id>/rerun-failed-jobs": ("POST", rerun_failed_jobs),
    "/repos/<owner>/<repo>/actions/jobs/<int:job_id>/rerun": ("POST", rerun_job),
    "/repos/<owner>/<repo>/actions/runs/<int:run_id>/cancel": ("POST", cancel_run),
    "/repos/<owner>/<repo>/actions/workflows/<workflow_id>/enable": ("PUT", enable_workflow),
    "/repos/<owner>/<repo>/actions/workflows/<workflow_id>/disable": ("PUT", disable_workflow),
}
