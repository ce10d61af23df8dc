"""Which matrix entries the local test run runs (``checks/runentries.py``): one run for entries whose run: steps are
the same, one per distinct entry otherwise, Linux runners only, bounded."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_acceptance.workflows.checks.runentries import entries_to_run
from cicd_acceptance.workflows.model import load_workflow

_STEPS = "    steps:\n      - uses: actions/setup-go@v5\n        with:\n          go-version: ${{ matrix.go }}\n"


def _entries(tmp_path: Path, job: str) -> tuple[list[dict[str, object] | None], int]:
    (tmp_path / "ci.yml").write_text(f"on: push\njobs:\n  test:\n{job}", encoding="utf-8")
    workflow = load_workflow(tmp_path, "ci.yml")
    return entries_to_run(workflow, workflow.jobs["test"])


@pytest.mark.parametrize(("job", "expected"), [
    # the steps never read the matrix: one run stands for every entry
    ("    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n        go: ['1.21', '1.22']\n"
     + _STEPS + "      - run: go test ./...\n", ([{"go": "1.21"}], 0)),
    # the steps read it: one run per distinct entry
    ("    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n        module: [., tools]\n"
     "    steps:\n      - run: go test ./...\n        working-directory: ${{ matrix.module }}\n",
     ([{"module": "."}, {"module": "tools"}], 0)),
    ("    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n        tags: [a, b, c, d, e, f]\n"
     "    steps:\n      - run: go test -tags ${{ matrix.tags }} ./...\n",
     ([{"tags": t} for t in "abcd"], 2)),
    # Windows and macOS entries are the live check's
    ("    runs-on: ${{ matrix.os }}\n    strategy:\n      matrix:\n        os: [ubuntu-latest, windows-latest]\n"
     "    steps:\n      - run: echo ${{ matrix.os }}\n", ([{"os": "ubuntu-latest"}], 0)),
    ("    runs-on: ${{ matrix.os }}\n    strategy:\n      matrix:\n        os: [windows-latest, macos-latest]\n"
     "    steps:\n      - run: go test ./...\n", ([], 0)),
    # no matrix, or one only a run knows
    ("    runs-on: ubuntu-latest\n    steps:\n      - run: go test ./...\n", ([None], 0)),
    ("    runs-on: ubuntu-latest\n    strategy:\n      matrix: ${{ fromJSON(vars.MATRIX) }}\n"
     "    steps:\n      - run: go test ./...\n", ([None], 0)),
])
def test_the_entries_run(tmp_path: Path, job: str, expected: tuple[list[dict[str, object] | None], int]) -> None:
    assert _entries(tmp_path, job) == expected

