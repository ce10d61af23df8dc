"""build-permissions: the build workflow's jobs get ``contents: read`` and ``packages: write``, nothing broader.

Checked on the effective block of every job (a job's own block replaces the workflow's). A missing block is too
broad for the same reason as in ``ci-permissions``; the job that pushes must also *have* ``packages: write``
(an explicit block leaves every unnamed scope at ``none``) and ``contents: read`` (to check out the code).
A job may also hold what one of its own steps cannot work without: the attestation actions sign with the job's
OIDC token and store the attestation (``id-token: write``, ``attestations: write``), and cosign's keyless
signing needs the OIDC token (``id-token: write``). Another job, or a job without such a step, may not.
"""

from __future__ import annotations

from cicd_acceptance.errors import HarnessError
from cicd_acceptance.workflows.checks.common import describe_grants, grant_findings
from cicd_acceptance.workflows.checks.context import CheckContext, build_jobs
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected
from cicd_acceptance.workflows.model import ALL_SCOPES, Job

__all__ = ["RULE"]

ID = "build-permissions"
ALLOWED = {"contents": "read", "packages": "write"}
_WANTED = "contents: read and packages: write"
# Actions whose own work needs more than the plan's grant, and the scopes they need (from their documentation).
_STEP_NEEDS: dict[str, dict[str, str]] = {
    "actions/attest-build-provenance": {"id-token": "write", "attestations": "write"},
    "actions/attest": {"id-token": "write", "attestations": "write"},
    "actions/attest-sbom": {"id-token": "write", "attestations": "write"},
    "sigstore/cosign-installer": {"id-token": "write"},
}


def _allowed(job: Job) -> tuple[dict[str, str], str]:
    """What ``job`` may hold: the plan's grant plus what its own steps need; and how to say it."""
    allowed = dict(ALLOWED)
    needing: list[str] = []
    for step in job.steps:
        for action, scopes in _STEP_NEEDS.items():
            if step.uses_action(action):
                allowed.update(scopes)
                needing.append(action)
    if not needing:
        return allowed, _WANTED
    extra = describe_grants({scope: level for scope, level in allowed.items() if scope not in ALLOWED})
    return allowed, f"{_WANTED}, and {extra} for {', '.join(dict.fromkeys(needing))}"


def _callee_findings(ctx: CheckContext) -> list[Finding]:
    """A reusable workflow's jobs get no more than their caller grants, and GitHub refuses to start a run whose
    callee asks for more: so a block the callee writes must fit the plan and the calling job's grant."""
    findings: list[Finding] = []
    callers = _caller_grants(ctx)
    for workflow in ctx.build_workflows()[1:]:
        for job in workflow.jobs.values():
            permissions = workflow.effective_permissions(job)
            if permissions is None:
                continue
            allowed, limit = _allowed(job)
            findings += grant_findings(workflow, job, ID, allowed, limit=limit, block=f"with {_WANTED}")
            granted = callers.get(workflow.path)
            if granted is None or permissions.broader_than(allowed):
                continue  # no explicit grant to compare with, or already reported above
            caller, levels = granted
            broader = permissions.broader_than(levels)
            if broader:
                findings.append(Finding(workflow.path, permissions.line, 0, ID, expected(
                    f"permissions no broader than its caller's ({caller})", describe_grants(broader))))
    return findings


def _caller_grants(ctx: CheckContext) -> dict[str, tuple[str, dict[str, str]]]:
    """callee path -> (the calling job, what its permissions grant per scope), for explicit grants only."""
    grants: dict[str, tuple[str, dict[str, str]]] = {}
    for workflow in ctx.build_workflows():
        for job in workflow.jobs.values():
            permissions = workflow.effective_permissions(job)
            if job.uses is None or permissions is None:
                continue
            try:
                callee = ctx.files.workflow(job.uses)
            except HarnessError:
                continue
            levels = {scope: permissions.level(scope) for scope in ALL_SCOPES}
            grants[callee.path] = (f"{workflow.path} job '{job.id}'", levels)
    return grants


def _check(ctx: CheckContext) -> list[Finding]:
    workflow = ctx.build()
    pushing = {job.id for job in build_jobs(workflow)}
    findings: list[Finding] = []
    for job in workflow.jobs.values():
        allowed, limit = _allowed(job)
        too_broad = grant_findings(workflow, job, ID, allowed, limit=limit, block=f"with {_WANTED}")
        findings += too_broad
        permissions = workflow.effective_permissions(job)
        if too_broad or permissions is None or job.id not in pushing:
            continue
        # An explicit block leaves unnamed scopes at none, so the pushing job must name both scopes it needs.
        missing = {scope: permissions.level(scope) for scope, level in ALLOWED.items()
                   if permissions.level(scope) != level}
        if missing:
            findings.append(Finding(workflow.path, permissions.line, 0, ID,
                                    expected(f"{_WANTED} for job '{job.id}'", describe_grants(missing))))
    return findings + _callee_findings(ctx)


RULE = Rule(ID, "its permissions are contents: read and packages: write, nothing broader", _check)
