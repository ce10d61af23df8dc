"""Step definitions of ``features/project``: criteria about this repository's own workflows.

They read the harness's repository (pytest's rootdir), never the target being accepted, and call
:mod:`cicd_acceptance.evidence.manual_job`; each finding is recorded as evidence and fails the step.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytest_bdd import given, then

from cicd_acceptance.errors import HarnessError
from cicd_acceptance.evidence import manual_job
from cicd_acceptance.testing.evidence_plugin import RecordEvidence
from cicd_acceptance.workflows.checks.finding import Finding, format_findings
from cicd_acceptance.workflows.model import Workflow, load_workflow

__all__: list[str] = []


@given("the harness repository's own acceptance workflow", target_fixture="own_acceptance_workflow")
def _(pytestconfig: pytest.Config) -> Workflow:
    try:
        return load_workflow(pytestconfig.rootpath, manual_job.ACCEPTANCE_WORKFLOW)
    except HarnessError as exc:
        pytest.fail(str(exc), pytrace=False)


def _holds(findings: list[Finding], record_evidence: RecordEvidence, what: str) -> None:
    __tracebackhide__ = True
    if findings:
        record_evidence("findings", {"findings": findings})
        pytest.fail(f"not met: {what}\n{format_findings(findings)}", pytrace=False)


def _step(what: str, check: Callable[[Workflow], list[Finding]]) -> Callable[[Workflow, RecordEvidence], None]:
    def step(own_acceptance_workflow: Workflow, record_evidence: RecordEvidence) -> None:
        __tracebackhide__ = True
        _holds(check(own_acceptance_workflow), record_evidence, what)
    return step


_CHECKS: list[tuple[str, Callable[[Workflow], list[Finding]]]] = [
    ("the acceptance workflow is started by workflow_dispatch only", manual_job.manual_only),
    ("the acceptance workflow has no schedule", manual_job.no_schedule),
    ("the acceptance job holds exactly contents: read, actions: write and packages: read",
     lambda wf: manual_job.permissions_exactly(wf, manual_job.ACCEPTANCE_PERMISSIONS)),
    ("every action of the acceptance workflow is pinned to a full commit SHA", manual_job.pinned_by_commit),
    ("the acceptance workflow's checkouts keep no credentials", manual_job.checkouts_keep_no_credentials),
    ("the acceptance workflow uploads the evidence bundle even when acceptance fails", manual_job.uploads_evidence),
]

# pytest-bdd writes each step fixture into the calling module's namespace, so they are registered at module level.
for _what, _check in _CHECKS:
    then(_what)(_step(_what, _check))
