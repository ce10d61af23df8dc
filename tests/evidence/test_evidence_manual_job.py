"""The checks behind features/project/acceptance_workflow.feature, on good and broken copies of our workflow."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from cicd_acceptance.evidence import manual_job
from cicd_acceptance.workflows.model import Workflow, load_workflow

ROOT = Path(__file__).resolve().parents[2]
GOOD = (ROOT / manual_job.ACCEPTANCE_WORKFLOW).read_text()


def _load(tmp_path: Path, text: str) -> Workflow:
    path = tmp_path / manual_job.ACCEPTANCE_WORKFLOW
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return load_workflow(tmp_path, manual_job.ACCEPTANCE_WORKFLOW)


def _messages(findings: Sequence[object]) -> list[str]:
    return [str(f) for f in findings]


def test_our_acceptance_workflow_passes_every_check(tmp_path: Path) -> None:
    wf = _load(tmp_path, GOOD)
    assert manual_job.manual_only(wf) == []
    assert manual_job.no_schedule(wf) == []
    assert manual_job.permissions_exactly(wf, manual_job.ACCEPTANCE_PERMISSIONS) == []
    assert manual_job.pinned_by_commit(wf) == []
    assert manual_job.checkouts_keep_no_credentials(wf) == []
    assert manual_job.uploads_evidence(wf) == []


def test_push_and_schedule_triggers_are_found(tmp_path: Path) -> None:
    text = GOOD.replace("on:\n  workflow_dispatch:", "on:\n  push:\n  schedule:\n    - cron: '0 3 * * *'\n"
                        "  workflow_dispatch:")
    wf = _load(tmp_path, text)
    assert [f.rule for f in manual_job.manual_only(wf)] == ["manual-only", "manual-only"]
    (schedule,) = manual_job.no_schedule(wf)
    assert schedule.message == "expected no 'schedule' trigger, found schedule: 0 3 * * *"
    assert schedule.line == text.splitlines().index("  schedule:") + 1


@pytest.mark.parametrize(("old", "new", "found"), [
    ("actions: write   #", "actions: write\n      pull-requests: write   #", "found actions: write, contents: read, "
     "packages: read, pull-requests: write"),
    ("      packages: read   # read image tags, manifests and labels from GHCR\n", "", "found actions: write, "
     "contents: read"),
    ("    permissions:\n      contents: read   # check out the harness and the target\n"
     "      actions: write   # dispatch the build workflow and read workflow runs and jobs\n"
     "      packages: read   # read image tags, manifests and labels from GHCR\n", "", "found {}"),
])
def test_permissions_other_than_exactly_the_three(tmp_path: Path, old: str, new: str, found: str) -> None:
    assert old in GOOD
    (finding,) = manual_job.permissions_exactly(_load(tmp_path, GOOD.replace(old, new)),
                                                manual_job.ACCEPTANCE_PERMISSIONS)
    assert finding.message == ("expected exactly contents: read, actions: write, packages: read for job accept, "
                               + found)


def test_tag_pins_credentials_and_missing_upload_are_found(tmp_path: Path) -> None:
    text = (GOOD.replace("actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065", "actions/setup-python@v5")
            .replace("          path: target\n          persist-credentials: false\n", "          path: target\n")
            .replace("if: ${{ always() }}", "if: ${{ success() }}"))
    wf = _load(tmp_path, text)
    assert _messages(manual_job.pinned_by_commit(wf))[0].endswith(
        "expected a full commit SHA, found actions/setup-python@v5 [pinned-actions]")
    assert _messages(manual_job.checkouts_keep_no_credentials(wf))[0].endswith(
        "expected persist-credentials: false, found the default (true) [persist-credentials]")
    assert "found evidence/ (if: ${{ success() }})" in _messages(manual_job.uploads_evidence(wf))[0]
