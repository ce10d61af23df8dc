"""Checks of the manual acceptance job itself (this repository's ``.github/workflows/acceptance.yml``).

The job may dispatch a target's build, which pushes images, so it must start only by hand, hold exactly the rights
it uses, run pinned code and keep no credentials on disk; and it must leave the evidence bundle behind. Each check
returns :class:`~cicd_acceptance.workflows.checks.finding.Finding` records (``path:line: expected ..., found ...``).
"""

from __future__ import annotations

import re

from cicd_acceptance.workflows.checks.ci_no_schedule import schedule_finding
from cicd_acceptance.workflows.checks.ci_permissions import describe_grants
from cicd_acceptance.workflows.checks.finding import Finding, expected, sort_findings
from cicd_acceptance.workflows.model import Workflow

__all__ = [
    "ACCEPTANCE_PERMISSIONS",
    "ACCEPTANCE_WORKFLOW",
    "checkouts_keep_no_credentials",
    "manual_only",
    "no_schedule",
    "permissions_exactly",
    "pinned_by_commit",
    "uploads_evidence",
]

ACCEPTANCE_WORKFLOW = ".github/workflows/acceptance.yml"
ACCEPTANCE_PERMISSIONS = {"contents": "read", "actions": "write", "packages": "read"}
_SHA = re.compile(r"^[0-9a-f]{40}$")


def manual_only(wf: Workflow) -> list[Finding]:
    """Started by ``workflow_dispatch`` and nothing else."""
    findings = [Finding(wf.path, t.line, 0, "manual-only", expected("only workflow_dispatch", f"on: {event}"))
                for event, t in wf.triggers.items() if event != "workflow_dispatch"]
    if "workflow_dispatch" not in wf.triggers:
        findings.append(Finding(wf.path, wf.node.line, 0, "manual-only", expected("on: workflow_dispatch", "none")))
    return sort_findings(findings)


def no_schedule(wf: Workflow) -> list[Finding]:
    trigger = wf.triggers.get("schedule")
    return [] if trigger is None else [schedule_finding(wf.path, trigger, "no-schedule")]


def permissions_exactly(wf: Workflow, wanted: dict[str, str]) -> list[Finding]:
    """Every job holds exactly ``wanted``: nothing broader, and nothing it needs missing."""
    findings = []
    for job in wf.jobs.values():
        perms = wf.effective_permissions(job)
        if perms is None:
            findings.append(Finding(wf.path, job.line, 0, "least-privilege", expected(
                "an explicit permissions block", "none (the repository's default token permissions apply)")))
            continue
        granted = perms.preset or describe_grants(dict(sorted(perms.scopes.items()))) or "{}"
        broader = perms.broader_than(wanted)
        missing = {k: v for k, v in wanted.items() if perms.level(k) != v and k not in broader}
        if broader or missing:
            findings.append(Finding(wf.path, perms.line, 0, "least-privilege",
                                    expected(f"exactly {describe_grants(wanted)} for job {job.id}", granted)))
    return sort_findings(findings)


def pinned_by_commit(wf: Workflow) -> list[Finding]:
    """Every remote action is pinned to a full commit SHA (a tag can be moved to other code)."""
    findings = []
    for job in wf.jobs.values():
        for step in job.steps:
            if step.uses is None or step.uses.startswith(("./", "docker://")):
                continue
            if not (step.ref and _SHA.match(step.ref)):
                findings.append(Finding(wf.path, step.line, 0, "pinned-actions",
                                        expected("a full commit SHA", step.uses)))
    return sort_findings(findings)


def checkouts_keep_no_credentials(wf: Workflow) -> list[Finding]:
    findings = []
    for job in wf.jobs.values():
        for step in job.steps_using("actions/checkout"):
            value = step.with_text("persist-credentials")
            if value != "false":
                findings.append(Finding(wf.path, step.line, 0, "persist-credentials",
                                        expected("persist-credentials: false", value or "the default (true)")))
    return sort_findings(findings)


def uploads_evidence(wf: Workflow, directory: str = "evidence") -> list[Finding]:
    """A step uploads ``directory`` as an artifact even when the acceptance step failed."""
    uploads = [s for job in wf.jobs.values() for s in job.steps_using("actions/upload-artifact")]
    for step in uploads:
        path = (step.with_text("path") or "").strip().rstrip("/")
        if path == directory and step.if_ is not None and "always()" in step.if_:
            return []
    found = ", ".join(f"{s.with_text('path')} (if: {s.if_})" for s in uploads) or "no upload step"
    return [Finding(wf.path, wf.node.line, 0, "evidence-artifact",
                    expected(f"actions/upload-artifact of {directory}/ with if: always()", found))]
