"""Step definitions of ``features/project``: thin wrappers over the harness criteria of :mod:`cicd_acceptance.criteria`.

They read the harness's repository (pytest's rootdir), never the target being accepted. Every ``Then`` is the
description of one rule of the ``acceptance-job`` criterion, and the ``Given`` is its subject; a rule's findings are
recorded as evidence and fail the step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from pytest_bdd import given, then

from cicd_acceptance.criteria import CheckContext, criterion, harness_context
from cicd_acceptance.errors import HarnessError
from cicd_acceptance.testing.evidence_plugin import RecordEvidence
from cicd_acceptance.workflows.checks.finding import Rule, format_findings

__all__: list[str] = []

_CRITERION = criterion("acceptance-job")


def _given_step(pytestconfig: pytest.Config) -> CheckContext:
    try:
        return harness_context(pytestconfig.rootpath)
    except HarnessError as exc:
        pytest.fail(str(exc), pytrace=False)


def _then_step(rule: Rule) -> Callable[[CheckContext, RecordEvidence], None]:
    def step(harness_checks: CheckContext, record_evidence: RecordEvidence) -> None:
        __tracebackhide__ = True
        findings = rule(harness_checks)
        if findings:
            record_evidence("findings", {"criterion": _CRITERION.id, "rule": rule.id,
                                         "findings": [dataclasses.asdict(f) for f in findings]})
            pytest.fail(f"not met: {rule.description}\n{format_findings(findings)}", pytrace=False)
    return step


# pytest-bdd writes each step fixture into the calling module's namespace, so they are registered at module level.
given(_CRITERION.subject, target_fixture="harness_checks")(_given_step)
for _rule in _CRITERION.rules:
    then(_rule.description)(_then_step(_rule))
