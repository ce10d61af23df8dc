"""GitHub Actions routes: workflows, dispatch, runs (with every list filter), attempts, jobs and job logs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from werkzeug.wrappers import Response

from cicd_acceptance.emulator.errors import Unprocessable
from cicd_acceptance.emulator.faults import RUN_KINDS
from cicd_acceptance.emulator.github.downloads import signed_url
from cicd_acceptance.emulator.github.filters import created_predicate, paginate
from cicd_acceptance.emulator.github.payloads_actions import job_body, run_body, workflow_body
from cicd_acceptance.emulator.github.runs import Attempt, RunOrigin, RunRecord
from cicd_acceptance.emulator.github.workflow_view import WorkflowInfo
from cicd_acceptance.emulator.responses import Ctx, error, json_response, refusal, split_api_prefix, validation_error
from cicd_acceptance.workflows.model import Workflow

__all__ = ["ACTIONS_ROUTES"]

_STATUSES = frozenset({"requested", "queued", "pending", "waiting", "in_progress", "completed"})
_SEARCH_CAP = 1_000  # GitHub returns at most 1,000 results for a filtered search


def list_workflows(ctx: Ctx, owner: str, repo: str) -> Response:
    items, link = paginate(ctx.state.github.workflows, page=ctx.arg("page"), per_page=ctx.arg("per_page"),
                           base_url=ctx.request.base_url, query=list(ctx.request.args.items(multi=True)))
    body = {"total_count": len(ctx.state.github.workflows),
            "workflows": [_workflow(ctx, info) for info in items]}
    return json_response(body, headers={"Link": link} if link else None)


def get_workflow(ctx: Ctx, owner: str, repo: str, workflow_id: str) -> Response:
    info = ctx.state.github.workflow(workflow_id)
    if info is None:
        return error(404, "Not Found", docs="https://docs.github.com/rest/actions/workflows#get-a-workflow")
    return json_response(_workflow(ctx, info))


def _workflow(ctx: Ctx, info: WorkflowInfo) -> dict[str, object]:
    return workflow_body(ctx.urls, ctx.state.identity, info, state=ctx.state.github.workflow_state(info))


def dispatch(ctx: Ctx, owner: str, repo: str, workflow_id: str) -> Response:
    docs = "https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event"
    if not ctx.token.write:
        return error(403, "Resource not accessible by personal access token", docs=docs,
                     headers={"X-Accepted-GitHub-Permissions": "actions=write"})
    info = ctx.state.github.workflow(workflow_id)
    if info is None:
        return error(404, "Not Found", docs=docs)
    body = ctx.json_body()
    if not isinstance(body, dict) or not isinstance(body.get("ref"), str):
        return error(422, "Invalid request.\n\n\"ref\" wasn't supplied.", docs=docs)
    details = body.get("return_run_details")
    if details is not None and ctx.state.config.old_ghes:
        return error(400, "return_run_details is not a permitted key.", docs=docs)
    if not info.dispatchable:
        return error(422, "Workflow does not have 'workflow_dispatch' trigger", docs=docs)
    if ctx.state.github.workflow_state(info) != "active":
        return error(422, "Cannot trigger a 'workflow_dispatch' on a disabled workflow", docs=docs)
    problem = _inputs_problem(info.workflow, body.get("inputs"))
    if problem:
        return error(422, problem, docs=docs)
    ref = str(body["ref"]).removeprefix("refs/heads/")
    sha = ctx.state.github.branch_sha(ref)
    if sha is None:
        return error(422, f"No ref found for: {body['ref']}", docs=docs)
    run = _create_dispatched_runs(ctx, info, ref, sha)
    # API version 2026-03-10 always answers 200 with the run's details (GitHub changelog 2026-02-19).
    if details is True or ctx.request.headers.get("X-GitHub-Api-Version", "") >= "2026-03-10":
        api = f"{ctx.urls.api}/repos/{ctx.state.repository}/actions/runs/{run.id}"
        html = f"{ctx.urls.html}/{ctx.state.repository}/actions/runs/{run.id}"
        return json_response({"workflow_run_id": run.id, "run_url": api, "html_url": html})
    return Response(status=204)


def _inputs_problem(workflow: Workflow | None, inputs: object) -> str | None:
    """GitHub's 422 messages for dispatch inputs: unknown keys, missing required ones, too many."""
    if inputs is None:
        inputs = {}
    if not isinstance(inputs, dict):
        return "Invalid request.\n\nFor 'properties/inputs', is not an object."
    trigger = workflow.triggers.get("workflow_dispatch") if workflow else None
    declared = trigger.inputs if trigger else {}
    unexpected = sorted(set(inputs) - set(declared))
    if unexpected:
        return f"Unexpected inputs provided: {unexpected}"
    for name, node in declared.items():
        spec = node.plain() if node is not None else None
        required = isinstance(spec, dict) and spec.get("required") is True and "default" not in spec
        if required and name not in inputs:
            return f"Required input '{name}' not provided"
    return None


def _create_dispatched_runs(ctx: Ctx, info: WorkflowInfo, ref: str, sha: str) -> RunRecord:
    state = ctx.state
    faults = state.faults.take_all(ctx.request.method, split_api_prefix(ctx.request.path)[1], kinds=RUN_KINDS)
    delay = next((f.value for f in faults if f.kind == "visibility-delay" and f.value is not None),
                 state.config.timings.visibility_delay)
    origin = RunOrigin("workflow_dispatch", ref, sha, ctx.token.login or state.identity.owner)
    run = state.github.add_run(info, origin, created_at=ctx.now, visibility_delay=delay)
    if any(f.kind == "foreign-dispatch" for f in faults):
        # Another actor dispatches the same workflow at the same moment: the case that breaks "newest run" logic.
        # It gets the normal delay, so with a delayed-visibility fault it is listed before ours.
        state.github.add_run(info, replace(origin, actor="another-actor"), created_at=ctx.now,
                             visibility_delay=state.config.timings.visibility_delay)
    if any(f.kind == "reattempt" for f in faults):
        state.github.request_reattempt(run.id)
    return run


def _run_filters(ctx: Ctx) -> list[Callable[[RunRecord], bool]]:
    now = ctx.now
    checks: list[Callable[[RunRecord], bool]] = []
    simple: dict[str, Callable[[RunRecord], str]] = {
        "event": lambda r: r.event, "branch": lambda r: r.head_branch, "head_sha": lambda r: r.head_sha,
        "actor": lambda r: r.actor, "check_suite_id": lambda r: str(r.check_suite_id)}
    for name, get in simple.items():
        wanted = ctx.arg(name)
        if wanted is not None:
            checks.append(lambda r, get=get, wanted=wanted: get(r) == wanted)  # type: ignore[misc]
    status = ctx.arg("status")
    if status is not None:
        if status in _STATUSES:
            checks.append(lambda r: r.status(now) == status)
        else:
            checks.append(lambda r: r.conclusion(now) == status)
    created = ctx.arg("created")
    if created is not None:
        matches = created_predicate(created)
        checks.append(lambda r: matches(r.created_at))
    return checks


def _list_runs(ctx: Ctx, workflow_id: int | None) -> Response:
    try:
        checks = _run_filters(ctx)
    except Unprocessable as exc:
        return refusal(exc)
    runs = [run for run in ctx.state.github.visible_runs(ctx.now)
            if (workflow_id is None or run.workflow.workflow_id == workflow_id) and all(c(run) for c in checks)]
    if checks:
        runs = runs[:_SEARCH_CAP]
    try:
        items, link = paginate(runs, page=ctx.arg("page"), per_page=ctx.arg("per_page"),
                               base_url=ctx.request.base_url, query=list(ctx.request.args.items(multi=True)))
    except Unprocessable as exc:
        return refusal(exc)
    exclude = (ctx.arg("exclude_pull_requests") or "").lower() == "true"
    body = {"total_count": len(runs), "workflow_runs": [_run(ctx, run, exclude=exclude) for run in items]}
    return json_response(body, headers={"Link": link} if link else None)


def _run(ctx: Ctx, run: RunRecord, *, exclude: bool = False, attempt_number: int | None = None) -> dict[str, object]:
    github = ctx.state.github
    pulls = [] if exclude else [pull for number in run.pull_requests if (pull := github.pull(number))]
    attempt = run.attempts[attempt_number - 1] if attempt_number else None
    return run_body(ctx.urls, ctx.state.identity, run, ctx.now, attempt=attempt, commit=github.commit(run.head_sha),
                    pulls=pulls, repository=ctx.repository)


def list_repo_runs(ctx: Ctx, owner: str, repo: str) -> Response:
    return _list_runs(ctx, None)


def list_workflow_runs(ctx: Ctx, owner: str, repo: str, workflow_id: str) -> Response:
    info = ctx.state.github.workflow(workflow_id)
    if info is None:
        return error(404, "Not Found", docs="https://docs.github.com/rest/actions/workflow-runs")
    return _list_runs(ctx, info.workflow_id)


def _visible_run(ctx: Ctx, run_id: int) -> RunRecord | None:
    return ctx.state.github.run(run_id, now=ctx.now)


def get_run(ctx: Ctx, owner: str, repo: str, run_id: int) -> Response:
    run = _visible_run(ctx, run_id)
    if run is None:
        return error(404, "Not Found", docs="https://docs.github.com/rest/actions/workflow-runs#get-a-workflow-run")
    exclude = (ctx.arg("exclude_pull_requests") or "").lower() == "true"
    return json_response(_run(ctx, run, exclude=exclude))


def get_attempt(ctx: Ctx, owner: str, repo: str, run_id: int, attempt_number: int) -> Response:
    run = _visible_run(ctx, run_id)
    if run is None or not 1 <= attempt_number <= len(run.started_attempts(ctx.now)):
        return error(404, "Not Found", docs="https://docs.github.com/rest/actions/workflow-runs#get-a-workflow-run-attempt")
    exclude = (ctx.arg("exclude_pull_requests") or "").lower() == "true"
    return json_response(_run(ctx, run, exclude=exclude, attempt_number=attempt_number))


def list_jobs(ctx: Ctx, owner: str, repo: str, run_id: int) -> Response:
    run = _visible_run(ctx, run_id)
    if run is None:
        return error(404, "Not Found", docs="https://docs.github.com/rest/actions/workflow-jobs")
    which = ctx.arg("filter") or "latest"
    if which not in {"latest", "all"}:
        return validation_error(f"filter must be 'latest' or 'all', got {which!r}", field="filter")
    attempts = run.started_attempts(ctx.now) if which == "all" else [run.latest(ctx.now)]
    return _jobs(ctx, run, attempts)


def list_attempt_jobs(ctx: Ctx, owner: str, repo: str, run_id: int, attempt_number: int) -> Response:
    run = _visible_run(ctx, run_id)
    if run is None or not 1 <= attempt_number <= len(run.started_attempts(ctx.now)):
        return error(404, "Not Found", docs="https://docs.github.com/rest/actions/workflow-jobs")
    return _jobs(ctx, run, [run.attempts[attempt_number - 1]])


def _jobs(ctx: Ctx, run: RunRecord, attempts: list[Attempt]) -> Response:
    jobs = [job_body(ctx.urls, ctx.state.identity, run, attempt, job, ctx.now)
            for attempt in reversed(attempts) for job in attempt.jobs]
    try:
        items, link = paginate(jobs, page=ctx.arg("page"), per_page=ctx.arg("per_page"),
                               base_url=ctx.request.base_url, query=list(ctx.request.args.items(multi=True)))
    except Unprocessable as exc:
        return refusal(exc)
    return json_response({"total_count": len(jobs), "jobs": items}, headers={"Link": link} if link else None)


def get_job(ctx: Ctx, owner: str, repo: str, job_id: int) -> Response:
    found = ctx.state.github.job(job_id, ctx.now)
    if found is None:
        return error(404, "Not Found", docs="https://docs.github.com/rest/actions/workflow-jobs#get-a-job-for-a-workflow-run")
    run, attempt, job = found
    return json_response(job_body(ctx.urls, ctx.state.identity, run, attempt, job, ctx.now))


def job_logs(ctx: Ctx, owner: str, repo: str, job_id: int) -> Response:
    found = ctx.state.github.job(job_id, ctx.now)
    docs = "https://docs.github.com/rest/actions/workflow-jobs#download-job-logs-for-a-workflow-run"
    if found is None or found[2].status(ctx.now) != "completed":
        return error(404, "Not Found", docs=docs)
    location = signed_url(ctx.urls.html, f"/_logs/jobs/{job_id}", ctx.now)
    return Response(status=302, headers={"Location": location})


ACTIONS_ROUTES: dict[str, tuple[str, Callable[..., Response]]] = {
    "/repos/<owner>/<repo>/actions/workflows": ("GET", list_workflows),
    "/repos/<owner>/<repo>/actions/workflows/<workflow_id>": ("GET", get_workflow),
    "/repos/<owner>/<repo>/actions/workflows/<workflow_id>/dispatches": ("POST", dispatch),
    "/repos/<owner>/<repo>/actions/workflows/<workflow_id>/runs": ("GET", list_workflow_runs),
    "/repos/<owner>/<repo>/actions/runs": ("GET", list_repo_runs),
    "/repos/<owner>/<repo>/actions/runs/<int:run_id>": ("GET", get_run),
    "/repos/<owner>/<repo>/actions/runs/<int:run_id>/attempts/<int:attempt_number>": ("GET", get_attempt),
    "/repos/<owner>/<repo>/actions/runs/<int:run_id>/jobs": ("GET", list_jobs),
    "/repos/<owner>/<repo>/actions/runs/<int:run_id>/attempts/<int:attempt_number>/jobs": ("GET", list_attempt_jobs),
    "/repos/<owner>/<repo>/actions/jobs/<int:job_id>": ("GET", get_job),
    "/repos/<owner>/<repo>/actions/jobs/<int:job_id>/logs": ("GET", job_logs),
}
