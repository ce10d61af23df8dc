"""The evidence plugin end to end with pytester: collector, verdict line, bundle, xdist, reports, Actions, ExecPlan."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from typing import Any

import pytest

pytest_plugins = ["pytester"]

PLUGINS = ("-p", "cicd_acceptance.testing.plugin", "-p", "cicd_acceptance.testing.evidence_plugin",
           "-p", "no:cacheprovider")

FEATURE = """\
Feature: Demo criteria

  @static
  Scenario: Workflow is manual only
    Given a clean workflow

  @live
  Scenario: Images were pushed
    Given live checks that cannot run

  @static
  Scenario Outline: Service <service> builds
    Given service "<service>"

    Examples:
      | service |
      | gateway |
      | worker  |
"""

STEPS = """\
import pytest
from pytest_bdd import given, parsers, scenarios

scenarios(".")


@given("a clean workflow")
def _(record_evidence):
    record_evidence("note", {"text": "read .github/workflows/acceptance.yml"})
    record_evidence("api_budget", {"requests": 4, "counted": 3, "not_modified": 1, "rate_limit_remaining": 996})


@given("live checks that cannot run")
def _():
    pass


@given(parsers.parse('service "{service}"'))
def _(service, record_evidence):
    record_evidence("findings", {"findings": [{"path": "Dockerfile." + service, "line": 2, "column": 1,
                                               "rule": "dockerfile", "message": "expected FROM, found RUN",
                                               "blocking": True}]})
    assert service != "{failing}", "expected FROM, found RUN"
"""

# Like a live plugin would: @live items skip in setup, before any step runs.
GATE = """\
import pytest


@pytest.fixture(autouse=True)
def live_gate(request):
    if request.node.get_closest_marker("live"):
        pytest.{action}("live checks are off: no token and no emulator")
"""

PYPROJECT = """\
[tool.pytest.ini_options]
bdd_features_base_dir = "features/"
markers = ["static: static", "live: live"]
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    # A token makes the live mode "github" (no live plugin is loaded, so nothing is sent): ACCEPTANCE lines.
    monkeypatch.setenv("GITHUB_TOKEN", "evidence-plugin-test-token")
    pytester.makefile(".toml", pyproject=PYPROJECT)
    (pytester.path / "features").mkdir()
    (pytester.path / "features" / "demo.feature").write_text(FEATURE)
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_harness.py").write_text("def test_own():\n    assert False, 'harness bug'\n")
    return pytester


def _steps(p: pytest.Pytester, failing: str = "worker", live: str = "skip") -> None:
    (p.path / "features" / "test_h8_demo_criteria.py").write_text(STEPS.replace("{failing}", failing))
    if live:
        (p.path / "conftest.py").write_text(GATE.replace("{action}", live))


def _evidence(p: pytest.Pytester) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((p.path / "ev" / "evidence.json").read_text())
    return doc


def _summary(doc: dict[str, Any]) -> list[tuple[str, str, str, list[str]]]:
    return [(s["title"], s["outcome"], s["reason"], sorted(e["kind"] for e in s["evidence"]))
            for s in doc["scenarios"]]


NOT_MET = ("ACCEPTANCE NOT MET: 1 failed (Service worker builds), "
           "1 skipped (Images were pushed)")
EXPECTED = [
    ("Workflow is manual only", "passed", "", ["api_budget", "note"]),
    ("Images were pushed", "skipped", "live checks are off: no token and no emulator", []),
    ("Service gateway builds", "passed", "", ["findings"]),
    ("Service worker builds", "failed", "AssertionError: expected FROM, found RUN (+1 more lines)",
     ["findings"]),
]


def test_failed_and_skipped_criteria_make_the_last_line_not_met(project: pytest.Pytester) -> None:
    _steps(project)
    result = project.runpytest("features", *PLUGINS, "--evidence-dir", "ev")
    result.assert_outcomes(passed=2, failed=1, skipped=1)
    assert result.outlines[-1] == NOT_MET
    doc = _evidence(project)
    assert _summary(doc) == EXPECTED
    assert doc["verdict"] == {"met": False, "line": NOT_MET, "status": "not met", "rehearsal": False,
                              "accepted": False, "exit_code": 1,
                              "counts": {"passed": 2, "failed": 1, "skipped": 1, "not_run": 0, "unfinished": 0}}
    assert doc["scenarios"][0]["markers"] == ["static"]
    assert doc["scenarios"][0]["feature"] == "Demo criteria"
    assert doc["api_budget"] == {"requests": 4, "counted": 3, "not_modified": 1, "rate_limit_remaining": 996,
                                 "processes": 1}
    md = (project.path / "ev" / "evidence.md").read_text()
    assert md.startswith(f"# {NOT_MET}\n")
    assert "| ⏭️ skipped | Demo criteria | Images were pushed | live | live checks are off" in md


def test_all_passed_is_met_and_harness_tests_do_not_count(project: pytest.Pytester) -> None:
    _steps(project, failing="none", live="")
    result = project.runpytest("features", "tests", *PLUGINS, "-q")
    result.assert_outcomes(passed=4, failed=1)  # the failure is tests/test_harness.py, not a criterion
    assert result.outlines[-1] == "ACCEPTANCE MET"
    assert sum("ACCEPTANCE" in line for line in result.outlines) == 1


def test_no_criterion_ran_prints_no_verdict(project: pytest.Pytester) -> None:
    _steps(project)
    result = project.runpytest("tests", *PLUGINS)
    result.assert_outcomes(failed=1)
    assert not any("ACCEPTANCE" in line for line in result.outlines)


def test_deselected_criteria_are_not_run(project: pytest.Pytester) -> None:
    _steps(project, failing="none")
    result = project.runpytest("features", *PLUGINS, "-m", "static")
    assert result.outlines[-1] == "PARTIAL: 3 of 4 criteria met, 1 not run (Images were pushed)"
    assert result.ret == 6


def test_without_a_token_the_bundled_sample_is_a_rehearsal(project: pytest.Pytester,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    _steps(project, failing="none", live="")
    result = project.runpytest("features", *PLUGINS, "--evidence-dir", "ev")
    assert result.outlines[-1] == "REHEARSAL MET"
    assert result.ret == 0
    doc = _evidence(project)
    assert doc["verdict"]["rehearsal"] is True
    assert doc["verdict"]["accepted"] is False
    md = (project.path / "ev" / "evidence.md").read_text()
    assert md.startswith("# REHEARSAL MET\n")
    assert "a rehearsal, nothing is proven about GitHub and GHCR" in md
    static_only = project.runpytest("features", *PLUGINS, "-m", "static")
    assert static_only.outlines[-1] == "PARTIAL: 3 of 4 criteria met, 1 not run (Images were pushed)"


def test_a_skipped_criterion_fails_the_exit_status(project: pytest.Pytester) -> None:
    _steps(project, failing="none")
    result = project.runpytest("features", *PLUGINS)
    assert result.outlines[-1] == "ACCEPTANCE NOT MET: 0 failed, 1 skipped (Images were pushed)"
    assert result.ret == 1


def test_expected_failure_is_not_met(project: pytest.Pytester) -> None:
    _steps(project, failing="none", live="xfail")
    result = project.runpytest("features", *PLUGINS)
    assert result.outlines[-1] == "ACCEPTANCE NOT MET: 1 failed (Images were pushed), 0 skipped"


def test_xdist_gives_the_same_evidence(project: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    _steps(project)
    result = project.runpytest_subprocess("features", *PLUGINS, "-n", "2", "--evidence-dir", "ev")
    result.assert_outcomes(passed=2, failed=1, skipped=1)
    assert result.outlines[-1] == NOT_MET
    assert _summary(_evidence(project)) == EXPECTED
    deselected = project.runpytest_subprocess("features", *PLUGINS, "-n", "2", "-k", "not gateway")
    assert deselected.outlines[-1] == NOT_MET + ", 1 not run (Service gateway builds)"


def test_junitxml_and_cucumberjson_keep_working_with_their_limits(project: pytest.Pytester) -> None:
    _steps(project)
    result = project.runpytest("features", *PLUGINS, "--junitxml=junit.xml", "--cucumberjson=cucumber.json")
    assert result.outlines[-1] == NOT_MET
    cases = ET.parse(project.path / "junit.xml").getroot().iter("testcase")  # noqa: S314 - our own output
    props = {c.get("name"): [p.get("name") for p in c.iter("property")] for c in cases}
    assert props["test_workflow_is_manual_only"] == ["cicd_scenario", "cicd_evidence", "cicd_evidence"]
    assert len(props) == 4
    cucumber = json.loads((project.path / "cucumber.json").read_text())
    names = [e["name"] for f in cucumber for e in f["elements"]]
    assert "Images were pushed" not in names  # documented limit: scenarios skipped in setup are dropped
    assert "Workflow is manual only" in names
    xdist = project.runpytest_subprocess("features", *PLUGINS, "-n", "2", "--cucumberjson=cucumber-n2.json")
    assert xdist.outlines[-1] == NOT_MET
    assert json.loads((project.path / "cucumber-n2.json").read_text()) == []  # documented limit: empty under xdist


def test_github_actions_annotations_groups_and_summary(project: pytest.Pytester,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _steps(project)
    summary = project.path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_WORKSPACE", str(project.path.parent))
    result = project.runpytest("features", *PLUGINS, "--repo-dir", _fixed_target(project),
                               "--github-repo", "acme/target")
    out = result.outlines
    assert out[-1] == NOT_MET
    assert "::group::Acceptance criteria (4)" in out
    assert "::endgroup::" in out
    assert (f"::error file={project.path.name}/target/Dockerfile.worker,line=2,col=1,"
            "title=dockerfile (Service worker builds)"
            "::expected FROM%2C found RUN".replace("%2C", ",")) in out
    assert not any("Dockerfile.gateway" in line for line in out if line.startswith("::error"))  # passed: no error
    assert ("::warning title=Acceptance criterion skipped::Images were pushed: live checks are off: no token and "
            "no emulator") in out
    assert summary.read_text().startswith(f"# {NOT_MET}\n")


def _fixed_target(p: pytest.Pytester) -> str:
    """A one-commit git checkout, so the accepted commit does not move between two runs."""
    target = p.path / "target"
    target.mkdir()
    (target / "README.md").write_text("target\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(target)]
    for args in (["init", "-q"], ["add", "README.md"], ["commit", "-q", "-m", "init"]):
        subprocess.run([*git, *args], check=True)
    return str(target)


def test_execplan_gets_one_entry_per_run(project: pytest.Pytester) -> None:
    _steps(project)
    target = _fixed_target(project)
    plan = project.path / "plan.md"
    plan.write_text("# Plan\n\n## Progress\n\n- [x] (2026-01-01 00:00Z) Start.\n\n"
                    "## Outcomes & Retrospective\n\n## Decision Log\n\nKeep.\n")
    for _ in range(2):
        result = project.runpytest("features", *PLUGINS, "--execplan", str(plan), "--repo-dir", target,
                                       "--github-repo", "acme/target")
        assert result.outlines[-1] == NOT_MET
    text = plan.read_text()
    assert text.count("- [ ] (") == 1
    assert text.count("- Outcome (") == 1
    assert "Acceptance not met at " in text
    assert ": 1 failed (Service worker builds), 1 skipped (Images were pushed)." in text
    assert text.endswith("## Decision Log\n\nKeep.\n")


def test_bad_execplan_stops_before_running_and_changes_nothing(project: pytest.Pytester) -> None:
    _steps(project)
    plan = project.path / "plan.md"
    bad = "# Plan\n\n## Progress\n\nProse, not a checklist.\n\n## Outcomes & Retrospective\n"
    plan.write_text(bad)
    result = project.runpytest("features", *PLUGINS, "--execplan", str(plan))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"cicd-acceptance: {plan}:5: expected only '- [x]' / '- [ ]' checklist items" in result.stderr.str()
    assert "Traceback" not in result.stderr.str()
    assert plan.read_text() == bad


def test_unwritable_evidence_dir_fails_the_run_but_still_ends_with_the_verdict(project: pytest.Pytester) -> None:
    _steps(project, failing="none", live="")
    (project.path / "blocker").write_text("")
    result = project.runpytest("features", *PLUGINS, "--evidence-dir", "blocker/ev")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert result.outlines[-1] == "ACCEPTANCE MET"
    assert any(line.startswith("cicd-acceptance: --evidence-dir blocker/ev: cannot write the evidence bundle")
               for line in result.outlines)


def test_a_run_stopped_early_is_not_met(project: pytest.Pytester) -> None:
    _steps(project, failing="gateway", live="")
    result = project.runpytest("features", *PLUGINS, "-x")
    assert result.outlines[-1] == ("ACCEPTANCE NOT MET: 1 failed (Service gateway builds), 0 skipped, "
                                   "1 not finished (Service worker builds)")


def test_a_run_stopped_early_under_xdist_is_not_met(project: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    _steps(project, failing="gateway", live="")
    result = project.runpytest_subprocess("features", *PLUGINS, "-n", "2", "--maxfail", "1")
    assert result.outlines[-1].startswith("ACCEPTANCE NOT MET: 1 failed (Service gateway builds), 0 skipped")
