"""The collector's folding of phase reports, the API budget over processes, and redaction in record_evidence."""

from __future__ import annotations

import json

import pytest

from cicd_acceptance.evidence.collector import EVIDENCE_PROPERTY, SCENARIO_PROPERTY, Collector, PhaseReport

pytest_plugins = ["pytester"]

NODE = "features/test_features.py::test_x"
META = (SCENARIO_PROPERTY, json.dumps({"feature": "F", "feature_file": "f.feature", "scenario": "X", "line": 3}))


def _budget(requests: int, remaining: int) -> tuple[str, object]:
    data = {"requests": requests, "counted": requests - 1, "not_modified": 1, "rate_limit_remaining": remaining}
    return EVIDENCE_PROPERTY, json.dumps({"kind": "api_budget", "data": data})


def _phases(*outcomes: tuple[str, str, str], props: tuple[tuple[str, object], ...] = (META,),
            node: str = NODE, worker: str = "main") -> Collector:
    collector = Collector()
    for when, outcome, message in outcomes:
        collector.add(PhaseReport(node, when, outcome, 0.5, ("static",), props, message, worker=worker))
    return collector


@pytest.mark.parametrize(("phases", "outcome", "reason"), [
    ([("setup", "passed", ""), ("call", "passed", ""), ("teardown", "passed", "")], "passed", ""),
    ([("setup", "skipped", "no token"), ("teardown", "passed", "")], "skipped", "no token"),
    ([("setup", "failed", "fixture broke"), ("teardown", "passed", "")], "failed", "setup: fixture broke"),
    ([("setup", "passed", ""), ("call", "passed", ""), ("teardown", "failed", "cleanup")], "failed",
     "teardown: cleanup"),
    ([("setup", "passed", ""), ("call", "skipped", "later"), ("teardown", "failed", "x")], "failed", "teardown: x"),
])
def test_phases_fold_into_one_verdict(phases: list[tuple[str, str, str]], outcome: str, reason: str) -> None:
    (result,) = _phases(*phases).results()
    assert (result.outcome, result.reason) == (outcome, reason)
    assert (result.scenario, result.feature_file, result.line, result.markers) == ("X", "f.feature", 3, ("static",))
    assert result.duration_s == 0.5 * len(phases)


def test_harness_tests_and_setup_only_reports_are_not_criteria() -> None:
    collector = _phases(("setup", "passed", ""), node="tests/test_own.py::test_x")
    collector.add(PhaseReport(NODE, "setup", "passed"))  # never called: interrupted run
    assert collector.results() == []


def test_expected_failures_do_not_pass() -> None:
    collector = Collector()
    collector.add(PhaseReport(NODE, "call", "skipped", wasxfail="known bug"))
    (result,) = collector.results()
    assert (result.outcome, result.reason) == ("failed", "expected failure: known bug")


def test_api_budget_keeps_each_processes_largest_and_sums_them() -> None:
    collector = Collector()
    for node, worker, budget in (("features/a.py::t1", "gw0", _budget(5, 990)),
                                 ("features/a.py::t2", "gw0", _budget(9, 980)),
                                 ("features/a.py::t3", "gw1", _budget(4, 970))):
        collector.add(PhaseReport(node, "call", "passed", user_properties=(META, budget), worker=worker))
    assert collector.api_budget() == {"requests": 13, "counted": 11, "not_modified": 2,
                                      "rate_limit_remaining": 970, "processes": 2}
    assert Collector().api_budget() is None


def test_foreign_properties_are_ignored() -> None:
    props = (META, (EVIDENCE_PROPERTY, "not json"), (EVIDENCE_PROPERTY, 3), ("other", "x"),
             (EVIDENCE_PROPERTY, json.dumps({"kind": "note", "data": {"text": "kept"}})))
    (result,) = _phases(("call", "passed", ""), props=props).results()
    assert [(e.kind, dict(e.data)) for e in result.evidence] == [("note", {"text": "kept"})]


def test_record_evidence_redacts_the_token_and_refuses_unknown_kinds(pytester: pytest.Pytester,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    token = "ghp_redactme0123456789abcdefghijkl"
    monkeypatch.setenv("GITHUB_TOKEN", token)
    pytester.makefile(".toml", pyproject='[tool.pytest.ini_options]\nbdd_features_base_dir = "features/"\n')
    (pytester.path / "features").mkdir()
    (pytester.path / "features" / "t.feature").write_text(
        "Feature: F\n  Scenario: Leaky step\n    Given a step that leaks\n\n"
        "  Scenario: Odd kind\n    Given a step with an odd kind\n")
    (pytester.path / "features" / "test_h8_redaction_demo.py").write_text(
        "import os\nfrom pytest_bdd import given, scenarios\nscenarios('.')\n\n"
        "@given('a step that leaks')\ndef _(record_evidence):\n"
        "    record_evidence('note', {'text': 'Bearer ' + os.environ['GITHUB_TOKEN']})\n"
        "    raise AssertionError('sent ' + os.environ['GITHUB_TOKEN'])\n\n"
        "@given('a step with an odd kind')\ndef _(record_evidence):\n    record_evidence('secret', {})\n")
    result = pytester.runpytest("features", "-p", "cicd_acceptance.testing.plugin",
                                "-p", "cicd_acceptance.testing.evidence_plugin", "--evidence-dir", "ev",
                                "--emulator", "-p", "no:cacheprovider")
    text = (pytester.path / "ev" / "evidence.json").read_text()
    assert token not in text
    doc = json.loads(text)
    leaky, odd = doc["scenarios"]
    assert leaky["evidence"] == [{"kind": "note", "data": {"text": "Bearer ***"}}]
    assert leaky["reason"] == "AssertionError: sent ***"
    assert odd["reason"].startswith("ValueError: record_evidence: unknown evidence kind "
                                    "'secret'; expected one of findings, run, dispatch")
    assert result.outlines[-1] == "ACCEPTANCE NOT MET: 2 failed (Leaky step, Odd kind), 0 skipped"
