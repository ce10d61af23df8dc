"""The criteria registry, the feature files and the findings agree with each other."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cicd_acceptance.criteria import (
    CRITERIA,
    HARNESS_CRITERIA,
    CheckContext,
    check_criterion,
    criterion,
    rule,
    run_criteria,
)
from cicd_acceptance.errors import ToolError
from cicd_acceptance.testing.tooling import require_tool
from cicd_acceptance.workflows.checks.finding import Finding
from tests.static.repos import REPO_ROOT, Edit, default_plan, seed, target_of

FEATURES = REPO_ROOT / "features" / "static"
_STEP = re.compile(r"^\s*(Given|When|Then|And|But)\s+(.*\S)\s*$")


def _scenarios(folder: Path = FEATURES) -> list[tuple[list[str], list[str]]]:
    """(tags, step texts) of every scenario in ``folder`` (features/static by default)."""
    found: list[tuple[list[str], list[str]]] = []
    for feature in sorted(folder.glob("*.feature")):
        tags: list[str] = []
        for line in feature.read_text(encoding="utf-8").splitlines():
            text = line.strip()
            if text.startswith("@"):
                tags += text.split()
            elif text.startswith("Scenario"):
                found.append((tags, []))
                tags = []
            elif (match := _STEP.match(line)) and found:
                found[-1][1].append(match[2])
    return found


def test_every_scenario_is_tagged_static_and_checks_one_whole_criterion() -> None:
    scenarios = _scenarios()
    assert len(scenarios) == len(CRITERIA)
    checked = []
    for tags, steps in scenarios:
        assert "@static" in tags
        whens = [s.removeprefix("I check ") for s in steps if s.startswith("I check ")]
        assert len(whens) == 1, steps
        crit = next(c for c in CRITERIA if c.subject == whens[0])
        checked.append(crit.id)
        thens = steps[steps.index("I check " + whens[0]) + 1:]
        assert thens == [r.description for r in crit.rules], f"{crit.id}: the Then steps must list its rules in order"
    assert sorted(checked) == sorted(c.id for c in CRITERIA)


def test_the_project_scenarios_check_the_harness_criteria_whole() -> None:
    scenarios = _scenarios(REPO_ROOT / "features" / "project")
    assert len(scenarios) == len(HARNESS_CRITERIA)
    for (tags, steps), crit in zip(scenarios, HARNESS_CRITERIA, strict=True):
        assert "@static" in tags
        assert steps == [crit.subject, *(r.description for r in crit.rules)], "Given <subject>, then its rules in order"


def test_rule_ids_are_kebab_case_and_unique() -> None:
    every = CRITERIA + HARNESS_CRITERIA
    ids = [r.id for c in every for r in c.rules]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", i) for i in ids), ids
    assert all("\n" not in r.description for c in every for r in c.rules)


def test_unknown_names_are_programming_errors_that_list_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown criterion 'nope' \(known: workflows-committed, ci-workflow"):
        criterion("nope")
    with pytest.raises(ValueError, match=r"unknown rule 'nope' \(known: workflow-files-exist"):
        rule("nope")


def test_a_finding_prints_like_a_compiler_error() -> None:
    assert str(Finding("a.yml", 3, 5, "r", "expected x, found y")) == "a.yml:3: expected x, found y [r]"
    assert str(Finding("a.yml", 0, 0, "r", "m", blocking=False)) == "a.yml: m [r] (not blocking)"


def test_an_unreadable_workflow_is_a_finding_of_each_rule_that_needs_it(sample_repo: Path) -> None:
    seed(sample_repo, (Edit(".github/workflows/ci.yml", "jobs:\n", "jobs: [\n"),), commit=True)
    findings = check_criterion("ci-workflow", CheckContext(target_of(sample_repo), default_plan()))
    assert findings, "a malformed CI workflow must not pass"
    assert {f.path for f in findings} == {".github/workflows/ci.yml"}
    assert all(f.line > 0 and f.message.startswith("expected a readable workflow, found invalid YAML")
               for f in findings), findings


def test_a_deleted_workflow_fails_the_criteria_that_need_it_and_no_other(sample_repo: Path) -> None:
    seed(sample_repo, (Edit(".github/workflows/build-images.yml", None, None),), commit=True)
    target = target_of(sample_repo)
    results = run_criteria(CheckContext(target, default_plan()), include_tools=False)
    assert [str(f) for f in results["workflows-committed"]] == [
        ".github/workflows/build-images.yml: expected the workflow file, found no such file [workflow-files-exist]",
        f".github/workflows/build-images.yml: expected the file in the HEAD commit ({target.head_sha[:12]}), "
        "found it is not committed [workflow-files-tracked]",
    ]
    build = results["build-workflow"]
    assert len(build) == len(criterion("build-workflow").rules)
    assert all(f.message == "expected a readable workflow, found file not found" for f in build), build
    assert results["ci-workflow"] == []
    assert results["local-test-run"] == []


def test_a_tool_that_cannot_run_raises_instead_of_passing(sample_repo: Path) -> None:
    require_tool("zizmor")
    # A configuration zizmor cannot use: the files pass the harness's own reading, so zizmor runs, and fails.
    seed(sample_repo, (Edit(".github/zizmor.yml", None, "rules: 5\n"),), commit=True)
    with pytest.raises(ToolError, match="zizmor"):
        check_criterion("workflow-security", CheckContext(target_of(sample_repo), default_plan()))


def test_a_file_the_harness_refuses_fails_the_tool_criterion_without_running_the_tool(sample_repo: Path) -> None:
    seed(sample_repo, (Edit(".github/workflows/ci.yml", "jobs:\n", "jobs: [\n"),), commit=True)
    findings = check_criterion("workflow-security", CheckContext(target_of(sample_repo), default_plan()))
    assert findings
    assert all("expected a readable workflow" in str(f) for f in findings)
