"""Step definitions of the ``@static`` scenarios: thin wrappers over :mod:`cicd_acceptance.criteria`.

The ``When`` and ``Then`` steps are generated from the criteria registry: ``When I check <subject>`` names a
criterion and every ``Then`` is the description of one of its rules. So a feature can only say what a rule checks.
The session's rule results and the verdict of each rule live in :mod:`cicd_acceptance.testing.static_plugin`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from pytest_bdd import given, then, when

from cicd_acceptance.criteria import CRITERIA, Criterion, RuleResults
from cicd_acceptance.testing.evidence_plugin import RecordEvidence
from cicd_acceptance.testing.static_plugin import (
    WHEN_PREFIX,
    fail_rule,
    findings_or_fail,
    note_not_blocking,
    settle_undecided,
)
from cicd_acceptance.workflows.checks.finding import Rule


@given("the repository being accepted and the plan's expectations", target_fixture="static_context")
def _(static_results: RuleResults) -> RuleResults:
    return static_results


def _when_step(crit: Criterion) -> Callable[[RuleResults], Criterion]:
    def step(static_context: RuleResults) -> Criterion:
        # Pure rules are cheap: compute them now so a failing Then can also list its neighbours' findings.
        static_context.start(r.id for r in crit.rules if r.tool is None)
        return crit
    return step


def _then_step(rule: Rule) -> Callable[[RuleResults, Criterion, pytest.FixtureRequest, RecordEvidence], None]:
    def step(static_context: RuleResults, static_criterion: Criterion, request: pytest.FixtureRequest,
             record_evidence: RecordEvidence) -> None:
        __tracebackhide__ = True
        if rule not in static_criterion.rules:
            pytest.fail(f"the step '{rule.description}' belongs to another criterion than "
                        f"'{static_criterion.id}'; fix the feature file", pytrace=False)
        findings = findings_or_fail(static_context, rule)
        record_evidence("findings", {"criterion": static_criterion.id, "rule": rule.id,
                                     "findings": [dataclasses.asdict(f) for f in findings]})
        quiet = [f for f in findings if not f.blocking]
        if quiet:
            note_not_blocking(request.config, rule, quiet)
        blocking = [f for f in findings if f.blocking]
        if any(not f.undecided for f in blocking):
            fail_rule(static_context, static_criterion, rule, blocking, record_evidence)
        settle_undecided(request.node, static_criterion, rule, blocking)
    return step


# Step definitions are written into this module's namespace by pytest-bdd, so they are generated at module level.
for _criterion in CRITERIA:
    when(WHEN_PREFIX + _criterion.subject, target_fixture="static_criterion")(_when_step(_criterion))
    for _rule in _criterion.rules:
        then(_rule.description)(_then_step(_rule))
