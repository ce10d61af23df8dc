"""build-login: every job that pushes images logs in to the plan's registry (ghcr.io) with the Actions token.

The login (docker/login-action, or ``docker login`` in a ``run:`` script) must come before the first build step
that can push (a ``load: true`` test build before it needs none); ``registry`` is evaluated statically
(``${{ env.REGISTRY }}`` works), and the password must be the workflow's own token (``secrets.GITHUB_TOKEN`` or
``github.token``): the plan says "authenticate to GHCR using the GitHub Actions token", not a personal access
token.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cicd_acceptance.workflows.checks.context import CheckContext, first_pushes
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected
from cicd_acceptance.workflows.checks.undecided import could_be_in, images_scenario
from cicd_acceptance.workflows.event import BuildEvent, github_context
from cicd_acceptance.workflows.expressions import ExprContext, Unknown, resolve, to_text
from cicd_acceptance.workflows.model import Job, Step, Workflow

if TYPE_CHECKING:
    from cicd_acceptance.workflows.publication import ImagePublication, LoginRecord, PublicationPlan

__all__ = ["RULE"]

ID = "build-login"
LOGIN_ACTION = "docker/login-action"
_TOKEN = re.compile(r"^\$\{\{\s*(secrets\.GITHUB_TOKEN|github\.token)\s*\}\}$", re.IGNORECASE)
_TOKEN_IN = re.compile(r"\$\{\{\s*(secrets\.GITHUB_TOKEN|github\.token)\s*\}\}", re.IGNORECASE)


def _registry(workflow: Workflow, job: Job, step: Step, event: BuildEvent) -> str:
    node = step.with_.get("registry")
    if node is None:
        return "docker.io (the default)"
    combos = job.matrix.combinations() if job.matrix is not None else None
    ctx = ExprContext(github=github_context(event), path=workflow.path, line=node.line).with_env_nodes(workflow.env)
    ctx = ctx.with_env_nodes(job.env).with_matrix((combos or [None])[0], known=combos is not None)
    value = resolve(node, ctx.with_env_nodes(step.env))
    return str(value) if isinstance(value, Unknown) else to_text(value)


def _check_login(ctx: CheckContext, workflow: Workflow, job: Job, login: Step) -> list[Finding]:
    findings: list[Finding] = []
    registry = _registry(workflow, job, login, ctx.event("push"))
    if registry.lower() != ctx.plan.registry.lower():
        line = login.with_["registry"].line if "registry" in login.with_ else login.line
        findings.append(Finding(workflow.path, line, 0, ID, expected(f"registry: {ctx.plan.registry}", registry)))
    password = (login.with_text("password") or "").strip()
    if not _TOKEN.match(password):
        line = login.with_["password"].line if "password" in login.with_ else login.line
        found = password or "no password"
        findings.append(Finding(workflow.path, line, 0, ID,
                                expected("password: ${{ secrets.GITHUB_TOKEN }} (the Actions token)", found)))
    if not (login.with_text("username") or "").strip():
        findings.append(Finding(workflow.path, login.line, 0, ID, expected("a username", "none")))
    return findings


def _record_problems(ctx: CheckContext, login: LoginRecord) -> list[Finding]:
    findings: list[Finding] = []
    if isinstance(login.registry, Unknown):
        findings.append(Finding(login.path, login.line, 0, ID, expected(
            f"registry: {ctx.plan.registry}", str(login.registry)), undecided=True, settled_by=images_scenario(ctx)))
    elif login.registry.lower() != ctx.plan.registry.lower():
        findings.append(Finding(login.path, login.line, 0, ID, expected(f"registry: {ctx.plan.registry}",
                                                                       login.registry)))
    if not _TOKEN_IN.search(login.password):
        findings.append(Finding(login.path, login.line, 0, ID, expected(
            "the password from ${{ secrets.GITHUB_TOKEN }} or ${{ github.token }} (the Actions token)",
            login.password or "no password")))
    return findings


def _plan_checks(ctx: CheckContext, covered: set[str]) -> list[Finding]:
    """Pushes the step-based check does not see (run: docker push, imagetools, reusable workflows, composite
    actions): each pushing job needs a good login before its first push."""
    plan: PublicationPlan = ctx.publication("push")
    if not plan.runs:
        plan = ctx.publication("workflow_dispatch")
    first: dict[str, ImagePublication] = {}
    for entry in plan.entries:
        if entry.push is False or (entry.path == ctx.build().path and entry.via == "docker/build-push-action"
                                   and entry.job_id in covered) or not could_be_in(entry.image, ctx.plan.registry):
            continue  # a push to another registry (a Docker Hub mirror job) needs no login to the plan's
        caller = ctx.build().jobs.get(entry.job_id)
        if entry.uncomputed and caller is not None and caller.uses is not None:
            continue  # a reusable workflow of another repository logs in (or not) where this plan cannot see
        if entry.job_id not in first or entry.order < first[entry.job_id].order:
            first[entry.job_id] = entry
    findings: list[Finding] = []
    for job_id, entry in first.items():
        logins = [login for login in plan.logins if login.job_id == job_id and login.order < entry.order]
        if not logins:
            findings.append(Finding(entry.path or ctx.build().path, entry.line, 0, ID, expected(
                f"a login to {ctx.plan.registry} before the push (docker/login-action or docker login)",
                f"none in job '{job_id}'")))
            continue
        results = [_record_problems(ctx, login) for login in logins]
        if all(results):
            findings += results[0]
    return findings


def _scripted_logins(ctx: CheckContext, workflow: Workflow, job: Job, build: Step) -> list[LoginRecord]:
    """The logins of ``job`` that steps other than docker/login-action make before ``build`` (``docker login`` in
    a ``run:`` script, as the publication plan reads it)."""
    plan: PublicationPlan = ctx.publication("push")
    if not plan.runs:
        plan = ctx.publication("workflow_dispatch")
    return [login for login in plan.logins if login.job_id == job.id and login.path == workflow.path
            and login.via != LOGIN_ACTION and login.line < build.line]


def _check(ctx: CheckContext) -> list[Finding]:
    workflow = ctx.build()
    # The login must precede the first build that can push; a local test build (load: true) needs none.
    pushes = first_pushes(workflow)
    findings: list[Finding] = _plan_checks(ctx, {job.id for job, _ in pushes})
    for job, build in pushes:
        logins = [s for s in job.steps_using(LOGIN_ACTION) if s.index < build.index]
        scripted = _scripted_logins(ctx, workflow, job, build) if not logins else []
        if scripted:  # `docker login ... --password-stdin` in a run: step logs the job in just as well
            results = [_record_problems(ctx, login) for login in scripted]
            if all(results):
                findings += results[0]
            continue
        if not logins:
            findings.append(Finding(workflow.path, build.line, 0, ID, expected(
                f"a {LOGIN_ACTION} step before the build", f"none in job '{job.id}'")))
            continue
        # One good login is enough; report the first one's problems only when none is good.
        results = [_check_login(ctx, workflow, job, login) for login in logins]
        if all(results):
            findings += results[0]
    return findings


RULE = Rule(ID, "it logs in to ghcr.io with the GitHub Actions token", _check)
