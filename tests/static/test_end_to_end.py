"""End to end: ``pytest features/ -m static --repo-dir <defective copy>`` fails exactly the owning scenario.

These run the real command line in a child process, so they also prove the wiring: the root conftest registers
the steps, the feature files bind, the options resolve, and a failure names the file and line.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from cicd_acceptance.evidence.verdict import EXIT_PARTIAL
from cicd_acceptance.testing.tooling import require_tool
from tests.static.defects import DEFECTS
from tests.static.repos import REPO_ROOT, REPOSITORY, Edit, seed

SCENARIOS = {
    "workflows-committed": "test_both_workflow_files_are_committed_exactly_as_they_are_on_disk",
    "ci-workflow": "test_the_ci_workflow_does_what_the_plan_promised",
    "build-workflow": "test_the_build_workflow_does_what_the_plan_promised",
    "workflow-validity": "test_both_workflow_files_pass_the_schema_and_actionlint",
    "workflow-security": "test_zizmor_finds_no_blocking_weakness",
    "local-test-run": "test_the_ci_test_jobs_commands_succeed_in_the_repository",
}


def _run_static_suite(repo: Path) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "pytest", "features/", "-m", "static", "-p", "no:cacheprovider", "-rfs", "-v",
            "--repo-dir", str(repo), "--github-repo", REPOSITORY]
    return subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize(("name", "where"), [
    ("build-drop-webhook-demo", ".github/workflows/build-images.yml:18: expected an entry for webhook-demo"),
    ("uncommitted-edit", ".github/workflows/ci.yml:26: expected the working-tree copy to equal HEAD"),
])
def test_the_owning_scenario_alone_fails(name: str, where: str, sample_repo: Path) -> None:
    defect = next(d for d in DEFECTS if d.name == name)
    seed(sample_repo, defect.edits, commit=defect.commit, git_args=defect.git_args)
    result = _run_static_suite(sample_repo)
    output = result.stdout + result.stderr
    failed = re.findall(r"^FAILED features/test_features\.py::(\w+)", result.stdout, re.MULTILINE)
    assert result.returncode == 1, output
    assert failed == [SCENARIOS[defect.owner]], output
    assert where in result.stdout, output
    assert "Traceback" not in output


def test_the_sample_passes_every_static_scenario(sample_repo: Path) -> None:
    result = _run_static_suite(sample_repo)
    assert result.returncode == EXIT_PARTIAL, result.stdout + result.stderr  # -m static leaves the live ones out
    outcomes = dict(re.findall(r"^features/test_features\.py::(\w+) (PASSED|SKIPPED|FAILED)", result.stdout,
                               re.MULTILINE))
    mine = {name: outcomes.get(name) for name in SCENARIOS.values()}
    # A scenario may skip only for a missing tool (and not under ACCEPTANCE_REQUIRE_TOOLS=1, where it fails).
    assert all(outcome in {"PASSED", "SKIPPED"} for outcome in mine.values()), result.stdout
    assert mine["test_the_build_workflow_does_what_the_plan_promised"] == "PASSED", result.stdout


def test_findings_below_the_severity_pass_but_are_listed_in_the_report(sample_repo: Path) -> None:
    require_tool("zizmor")
    # zizmor's artipacked audit (medium): a checkout that keeps its credentials on disk.
    seed(sample_repo, (Edit(".github/workflows/ci.yml", "          persist-credentials: false\n",
                            "          fetch-depth: 1\n"),), commit=True)
    result = _run_static_suite(sample_repo)
    output = result.stdout + result.stderr
    assert result.returncode == EXIT_PARTIAL, output
    summary = result.stdout.split("static checks: findings below the blocking severity", 1)
    assert len(summary) == 2, output
    assert re.search(r"^\.github/workflows/ci\.yml:\d+: expected no zizmor finding at or above 'high', found .*"
                     r"\[artipacked\] \[zizmor\] \(not blocking\)$", summary[1], re.MULTILINE), output
