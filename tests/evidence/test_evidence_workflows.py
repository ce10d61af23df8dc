"""This repository's own workflows and the acceptance template: lint-clean and shaped as promised."""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from cicd_acceptance.testing.tooling import require_tool
from cicd_acceptance.tools import run_actionlint, run_zizmor

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = [".github/workflows/ci.yml", ".github/workflows/acceptance.yml", "docs/acceptance-template.yml"]
_PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def _load(rel: str) -> dict[Any, Any]:
    doc = yaml.safe_load((ROOT / rel).read_text())
    assert isinstance(doc, dict), f"{rel}: not a mapping"
    return doc


def _steps(doc: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in doc["jobs"].values() for step in job.get("steps", [])]


def test_actionlint_reports_nothing() -> None:
    require_tool("actionlint")
    assert run_actionlint(WORKFLOWS, cwd=ROOT) == []


def test_zizmor_default_persona_reports_nothing() -> None:
    require_tool("zizmor")
    # config=None: zizmor's own defaults, not our tag-pin allowance; "unknown": every finding counts.
    result = run_zizmor(WORKFLOWS, config=None, min_severity="unknown", cwd=ROOT)
    assert result.findings == ()


@pytest.mark.parametrize("rel", WORKFLOWS)
def test_every_action_is_pinned_by_commit_with_its_version_beside_it(rel: str) -> None:
    text = (ROOT / rel).read_text()
    uses = [step["uses"] for step in _steps(_load(rel)) if "uses" in step]
    assert uses, f"{rel}: no actions used"
    assert [u for u in uses if not _PINNED.match(str(u))] == []
    for line in text.splitlines():
        if "uses:" in line:
            assert re.search(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), f"{rel}: version comment missing: {line}"


@pytest.mark.parametrize("rel", WORKFLOWS)
def test_checkouts_do_not_persist_credentials(rel: str) -> None:
    checkouts = [s for s in _steps(_load(rel)) if str(s.get("uses", "")).startswith("actions/checkout@")]
    assert checkouts
    assert all(s.get("with", {}).get("persist-credentials") is False for s in checkouts)


@pytest.mark.parametrize("rel", [".github/workflows/acceptance.yml", "docs/acceptance-template.yml"])
def test_acceptance_jobs_are_manual_least_privilege_and_upload_the_bundle(rel: str) -> None:
    doc = _load(rel)
    triggers = doc[True]  # PyYAML reads the key `on` as True (YAML 1.1)
    assert isinstance(triggers, dict)
    assert list(triggers) == ["workflow_dispatch"]
    assert doc["permissions"] == {}
    (job,) = doc["jobs"].values()
    assert job["permissions"] == {"contents": "read", "actions": "write", "packages": "read"}
    runs = [str(s["run"]) for s in job["steps"] if "run" in s]
    assert runs[0] == "bash .ci/install-tools.sh"
    accept = next(s for s in job["steps"] if "python3 tasks.py accept" in s.get("run", ""))
    assert "--evidence-dir" in accept["run"]
    assert accept["env"]["ACCEPTANCE_REQUIRE_TOOLS"] == "1"
    upload = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact@"))
    assert upload["if"] == "${{ always() }}"


def test_acceptance_inputs_are_target_ref_and_dispatch_switch() -> None:
    inputs = _load(".github/workflows/acceptance.yml")[True]["workflow_dispatch"]["inputs"]
    assert set(inputs) == {"repository", "ref", "dispatch-build"}
    assert inputs["dispatch-build"]["type"] == "boolean"


def test_ci_runs_the_ci_script_on_push_and_pull_request() -> None:
    doc = _load(".github/workflows/ci.yml")
    assert set(doc[True]) == {"push", "pull_request"}
    assert doc["permissions"] == {"contents": "read"}
    assert any(s.get("run") == "bash .ci/run" for s in _steps(doc))


def _dispatching_scenarios() -> set[str]:
    """Test names of the scenarios whose steps start the build (or need the build this session started)."""
    from pytest_bdd.scenario import make_python_name

    names = set()
    for feature in (ROOT / "features").rglob("*.feature"):
        scenario = None
        for line in feature.read_text().splitlines():
            text = line.strip()
            if text.startswith(("Scenario:", "Scenario Outline:")):
                scenario = text.split(":", 1)[1].strip()
            elif scenario and re.search(r"\b(start the build workflow|the build I started)\b", text):
                names.add("test_" + make_python_name(scenario))
    return names


@functools.cache
def _collected(expression: str) -> frozenset[str]:
    """Test names (without row ids) that ``pytest features/ -m expression`` would run ("" = no -m)."""
    argv = [sys.executable, "-m", "pytest", "features/", "--co", "-q", "-p", "no:cacheprovider"]
    proc = subprocess.run([*argv, *(["-m", expression] if expression else [])], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return frozenset(line.split("::")[-1].split("[")[0] for line in proc.stdout.splitlines() if "::" in line)


@pytest.mark.parametrize("rel", [".github/workflows/acceptance.yml", "docs/acceptance-template.yml"])
def test_without_dispatch_leaves_out_exactly_the_criteria_that_start_the_build(rel: str) -> None:
    job = next(iter(_load(rel)["jobs"].values()))
    expression = next(s["env"]["WITHOUT_DISPATCH"] for s in job["steps"] if "WITHOUT_DISPATCH" in s.get("env", {}))
    wanted = _dispatching_scenarios()
    assert wanted, "no scenario starts the build any more: drop the dispatch-build input or fix this test"
    kept = _collected(expression)
    assert kept
    assert _collected("") - kept == wanted


_GATE_CASES = [
    # exit status, verdict status, accepted, rehearsal, dispatch-build input -> the step passes?
    (0, "met", True, False, "true", True),
    (6, "partial", False, False, "false", True),     # no-dispatch mode: a clean partial passes, with a warning
    (6, "partial", False, False, "true", False),     # asked to dispatch, yet partial
    (0, "met", False, True, "true", False),          # a rehearsal never accepts
    (6, "partial", False, True, "false", False),
    (1, "not met", False, False, "true", False),
    (1, "not met", False, False, "false", False),
    (0, None, False, False, "true", False),          # no bundle written
]


@pytest.mark.parametrize("rel", [".github/workflows/acceptance.yml", "docs/acceptance-template.yml"])
@pytest.mark.parametrize(("code", "status", "accepted", "rehearsal", "dispatch", "passes"), _GATE_CASES)
def test_the_acceptance_step_passes_only_acceptance_or_a_clean_partial_without_dispatch(
        rel: str, code: int, status: str | None, accepted: bool, rehearsal: bool, dispatch: str, passes: bool,
        tmp_path: Path) -> None:
    job = next(iter(_load(rel)["jobs"].values()))
    script = next(str(s["run"]) for s in job["steps"] if "python3 tasks.py accept" in s.get("run", ""))
    # The harness is replaced by its exit status; the evidence bundle by a verdict of the given shape.
    script = script.replace('python3 tasks.py accept "${args[@]}"', f"(exit {code})")
    work = tmp_path / "harness"
    work.mkdir()
    evidence_dir = tmp_path / "evidence" if "../evidence" in script else work / "evidence"
    evidence_dir.mkdir()
    if status is not None:
        verdict = {"status": status, "accepted": accepted, "rehearsal": rehearsal}
        (evidence_dir / "evidence.json").write_text(json.dumps({"verdict": verdict}))
    env = {"PATH": os.environ["PATH"], "DISPATCH_BUILD": dispatch, "WITHOUT_DISPATCH": "not dispatch",
           "TARGET_REPOSITORY": "acme/shop", "GITHUB_REPOSITORY": "acme/shop"}
    proc = subprocess.run(["bash", "-e", "-c", script], cwd=work, env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert (proc.returncode == 0) is passes, proc.stdout + proc.stderr
    if not passes:
        assert "::error title=Acceptance not met::" in proc.stdout
    elif status == "partial":
        assert "::warning title=Partial acceptance::" in proc.stdout
