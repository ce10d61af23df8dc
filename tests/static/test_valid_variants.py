"""Equivalent but differently written workflows pass every criterion: a false red is a defect too.

Each folder under ``testdata/valid/`` holds a ``ci.yml`` and/or a ``build-images.yml`` that replace the sample's,
and may hold a bake file (``docker-bake.hcl``...) that goes to the repository's root; the first line of each file
says what is different about it. A ``repo/`` folder beside them holds files the workflow relies on (a Makefile, a
script, a second module), added to the sample at the same paths; a file that starts with ``#!`` is made
executable, as it would be committed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_acceptance.criteria import CRITERIA, CheckContext, run_criteria
from cicd_acceptance.testing.tooling import require_tool
from tests.static.repos import VALID_DIR, Edit, default_plan, seed, target_of

VARIANTS = sorted(p.name for p in VALID_DIR.iterdir() if p.is_dir())
_WORKFLOWS = {"ci.yml": ".github/workflows/ci.yml", "build-images.yml": ".github/workflows/build-images.yml"}
_ROOT_FILES = ("docker-bake.hcl", "docker-bake.json", "docker-bake.override.hcl", "docker-bake.override.json")


def _install(variant: str, repo: Path) -> None:
    files = sorted(f for f in (VALID_DIR / variant).iterdir() if f.name != "repo")
    assert files, f"{variant} is empty"
    assert all(f.name in _WORKFLOWS or f.name in _ROOT_FILES for f in files), f"unexpected files in {variant}: {files}"
    extra = VALID_DIR / variant / "repo"
    added = sorted(f for f in extra.rglob("*") if f.is_file()) if extra.is_dir() else []
    edits = [Edit(_WORKFLOWS.get(f.name, f.name), None, f.read_text(encoding="utf-8")) for f in files]
    edits += [Edit(f.relative_to(extra).as_posix(), None, f.read_text(encoding="utf-8")) for f in added]
    for edit in edits:
        edit.apply(repo)
        if edit.new is not None and edit.new.startswith("#!"):
            (repo / edit.path).chmod(0o755)
    seed(repo, (), commit=True)


def test_there_are_enough_variants() -> None:
    assert len(VARIANTS) >= 10


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_passes_the_pure_criteria(variant: str, sample_repo: Path) -> None:
    _install(variant, sample_repo)
    results = run_criteria(CheckContext(target_of(sample_repo), default_plan()), include_tools=False)
    assert {cid: [str(f) for f in fs] for cid, fs in results.items()} == {c.id: [] for c in CRITERIA}


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_passes_the_tool_criteria(variant: str, sample_repo: Path) -> None:
    # The local test run depends only on the CI workflow's test job: a build-only variant cannot change it.
    replaces_ci = (VALID_DIR / variant / "ci.yml").is_file()
    tool_criteria = [c.id for c in CRITERIA if c.tools and (replaces_ci or c.id != "local-test-run")]
    for tool in sorted({t for c in CRITERIA if c.id in tool_criteria for t in c.tools}):
        require_tool(tool)
    _install(variant, sample_repo)
    results = run_criteria(CheckContext(target_of(sample_repo), default_plan()), only=tool_criteria)
    assert {cid: [str(f) for f in fs if f.blocking] for cid, fs in results.items()} == {c: [] for c in tool_criteria}
