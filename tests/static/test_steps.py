"""The static steps' handling of a missing tool: skip with the reason, or fail under ACCEPTANCE_REQUIRE_TOOLS=1."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_acceptance.criteria import CheckContext, RuleResults
from cicd_acceptance.testing.static_plugin import findings_or_fail
from cicd_acceptance.workflows.checks.finding import Finding, Rule
from tests.static.repos import default_plan, target_of


def _never(ctx: CheckContext) -> list[Finding]:
    raise AssertionError("a rule whose tool is missing must not run")


MISSING = Rule("needs-a-missing-tool", "a missing tool is reported", _never, tool="no-such-tool-for-h3-tests")


def test_a_missing_tool_skips_with_its_name(sample_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACCEPTANCE_REQUIRE_TOOLS", raising=False)
    results = RuleResults(CheckContext(target_of(sample_repo), default_plan()))
    with pytest.raises(pytest.skip.Exception, match="no-such-tool-for-h3-tests is not installed"):
        findings_or_fail(results, MISSING)
    results.close()


def test_a_missing_tool_fails_when_tools_are_required(sample_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCEPTANCE_REQUIRE_TOOLS", "1")
    results = RuleResults(CheckContext(target_of(sample_repo), default_plan()))
    with pytest.raises(pytest.fail.Exception, match="ACCEPTANCE_REQUIRE_TOOLS=1 makes a missing tool a failure"):
        findings_or_fail(results, MISSING)
    results.close()
