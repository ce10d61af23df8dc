"""Golden tests of the ``acceptance-job`` criterion (the harness's own manual acceptance workflow).

Cases that must fail are edits of our own ``.github/workflows/acceptance.yml``: each names the rules it must fail,
every other rule of the criterion must report nothing, and the findings must equal ``golden/acceptance-job/<case>.out``
(``UPDATE_GOLDEN=1`` rewrites them; review the diff). Cases that must pass are our workflow itself and the files
under ``testdata/acceptance-valid/``, written differently (the first line of each says how).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from cicd_acceptance.criteria import CheckContext, criterion, harness_context
from cicd_acceptance.errors import TargetError
from cicd_acceptance.plan import Plan
from cicd_acceptance.target import Target
from cicd_acceptance.workflows.checks.common import ACCEPTANCE_WORKFLOW
from cicd_acceptance.workflows.checks.finding import format_findings
from tests.static.repos import GOLDEN_DIR, REPO_ROOT, Edit, compare_golden

OURS = (REPO_ROOT / ACCEPTANCE_WORKFLOW).read_text(encoding="utf-8")
VALID_DIR = Path(__file__).parent / "testdata" / "acceptance-valid"
CASES_DIR = GOLDEN_DIR / "acceptance-job"
RULES = criterion("acceptance-job").rules
A = ACCEPTANCE_WORKFLOW
_JOB_PERMISSIONS = """    permissions:
      contents: read   # check out the harness and the target
      actions: write   # dispatch the build workflow and read workflow runs and jobs
      packages: read   # read image tags, manifests and labels from GHCR
"""
_UPLOAD_STEP = """      - name: Upload the evidence bundle
        if: ${{ always() }}
        uses: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2
"""


@dataclass(frozen=True)
class Case:
    name: str
    fails: tuple[str, ...]  # the rule ids that must report it
    edits: tuple[Edit, ...]


CASES = (
    Case("on-push", ("acceptance-manual-only",),
         (Edit(A, "on:\n  workflow_dispatch:\n", "on:\n  push:\n    branches: [main]\n  workflow_dispatch:\n"),)),
    Case("called-not-dispatched", ("acceptance-manual-only",),
         (Edit(A, "on:\n  workflow_dispatch:\n", "on:\n  workflow_call:\n"),)),
    Case("schedule", ("acceptance-manual-only", "acceptance-no-schedule"),
         (Edit(A, "on:\n  workflow_dispatch:\n",
               "on:\n  schedule:\n    - cron: '0 3 * * *'\n  workflow_dispatch:\n"),)),
    Case("one-scope-more", ("acceptance-permissions",),
         (Edit(A, "      actions: write   #", "      pull-requests: write\n      actions: write   #"),)),
    Case("packages-missing", ("acceptance-permissions",),
         (Edit(A, "      packages: read   # read image tags, manifests and labels from GHCR\n", ""),)),
    Case("write-all", ("acceptance-permissions",), (Edit(A, _JOB_PERMISSIONS, "    permissions: write-all\n"),)),
    Case("only-the-empty-workflow-block", ("acceptance-permissions",), (Edit(A, _JOB_PERMISSIONS, ""),)),
    Case("no-permissions-block", ("acceptance-permissions",),
         (Edit(A, _JOB_PERMISSIONS, ""), Edit(A, "permissions: {}\n", ""))),
    Case("action-on-a-tag", ("acceptance-pinned-actions",),
         (Edit(A, "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065", "actions/setup-python@v5"),)),
    Case("action-on-a-short-sha", ("acceptance-pinned-actions",),
         (Edit(A, "upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02", "upload-artifact@ea165f8"),)),
    Case("checkout-keeps-credentials", ("acceptance-checkout-credentials",),
         (Edit(A, "          path: target\n          persist-credentials: false\n", "          path: target\n"),)),
    Case("checkout-persists-credentials", ("acceptance-checkout-credentials",),
         (Edit(A, "        with:\n          persist-credentials: false\n",
               "        with:\n          persist-credentials: true\n"),)),
    Case("upload-on-success-only", ("acceptance-evidence-upload",),
         (Edit(A, _UPLOAD_STEP, _UPLOAD_STEP.replace("always()", "success()")),)),
    Case("upload-of-another-folder", ("acceptance-evidence-upload",),
         (Edit(A, "          path: evidence/\n", "          path: target/\n"),)),
    Case("no-upload", ("acceptance-evidence-upload",), (Edit(A, OURS[OURS.index(_UPLOAD_STEP):], ""),)),
    Case("no-workflow", tuple(r.id for r in RULES), (Edit(A, None, None),)),
)


def _context(repo: Path) -> CheckContext:
    # The rules read files only, never git: a bare folder with made-up git facts is enough (and fast).
    return CheckContext(Target(repo, repo, "", "0" * 40, "main"), Plan())


def _findings_by_rule(repo: Path) -> dict[str, list[str]]:
    ctx = _context(repo)
    return {rule.id: [str(f) for f in rule(ctx)] for rule in RULES}


def _write(repo: Path, text: str) -> Path:
    (repo / A).parent.mkdir(parents=True)
    (repo / A).write_text(text, encoding="utf-8")
    return repo


def test_there_is_a_failing_case_for_every_rule_and_a_golden_file_for_every_case() -> None:
    assert {rule for case in CASES for rule in case.fails} == {r.id for r in RULES}
    assert sorted(p.stem for p in CASES_DIR.glob("*.out")) == sorted(case.name for case in CASES)


def test_our_own_acceptance_workflow_passes_every_rule(tmp_path: Path) -> None:
    assert _findings_by_rule(_write(tmp_path, OURS)) == {r.id: [] for r in RULES}


@pytest.mark.parametrize("variant", sorted(p.name for p in VALID_DIR.glob("*.yml")))
def test_workflow_written_differently_passes_every_rule(variant: str, tmp_path: Path) -> None:
    repo = _write(tmp_path, (VALID_DIR / variant).read_text(encoding="utf-8"))
    assert _findings_by_rule(repo) == {r.id: [] for r in RULES}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_fails_its_rules_and_no_other(case: Case, tmp_path: Path) -> None:
    repo = _write(tmp_path, OURS)
    for edit in case.edits:
        edit.apply(repo)
    by_rule = _findings_by_rule(repo)
    assert sorted(rule for rule, found in by_rule.items() if found) == sorted(case.fails)
    findings = [f for rule in RULES for f in rule(_context(repo))]
    assert all(f.path == A and f.line > 0 and f.message.startswith("expected ") for f in findings
               if case.name != "no-workflow"), findings
    compare_golden(CASES_DIR / f"{case.name}.out", format_findings(sorted(findings)) + "\n")


def test_the_harness_context_is_our_checkout_and_refuses_a_folder_outside_git(tmp_path: Path) -> None:
    assert harness_context(REPO_ROOT).repo_dir == REPO_ROOT.resolve()
    with pytest.raises(TargetError, match="not a git checkout"):
        harness_context(tmp_path)
