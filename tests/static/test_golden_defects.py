"""Golden tests: each seeded defect fails exactly the criterion that owns it, with a message naming file and line.

Expected findings live in ``golden/<defect>.out`` (``UPDATE_GOLDEN=1`` rewrites them after a deliberate change;
review the diff). Every other criterion must report nothing, so a check that fires on unrelated defects (or on
none) is caught here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_acceptance.criteria import CRITERIA, CheckContext, run_criteria
from cicd_acceptance.testing.tooling import require_tool
from tests.static.defects import DEFECTS, Defect
from tests.static.repos import GOLDEN_DIR, compare_golden, default_plan, normalise, seed, target_of

_TOOLS = sorted({tool for c in CRITERIA for tool in c.tools})


def _blocking_by_criterion(repo: Path, *, tools: bool) -> tuple[dict[str, list[str]], CheckContext]:
    ctx = CheckContext(target_of(repo), default_plan())
    results = run_criteria(ctx, include_tools=tools)
    return {cid: [str(f) for f in findings if f.blocking] for cid, findings in results.items()}, ctx


def test_there_are_enough_defects_and_every_criterion_has_one() -> None:
    assert len(DEFECTS) >= 25
    assert len({d.name for d in DEFECTS}) == len(DEFECTS)
    assert {d.owner for d in DEFECTS} == {c.id for c in CRITERIA}


def test_every_golden_file_belongs_to_a_defect() -> None:
    orphans = sorted(p.name for p in GOLDEN_DIR.glob("*.out") if p.stem not in {d.name for d in DEFECTS})
    assert orphans == [], "golden files of defects that no longer exist: delete them"


def test_the_unchanged_sample_passes_every_pure_criterion(sample_repo: Path) -> None:
    blocking, _ = _blocking_by_criterion(sample_repo, tools=False)
    assert blocking == {c.id: [] for c in CRITERIA}


@pytest.mark.parametrize("defect", DEFECTS, ids=[d.name for d in DEFECTS])
def test_defect_fails_only_its_criterion(defect: Defect, sample_repo: Path) -> None:
    if defect.tools:
        for tool in _TOOLS:
            require_tool(tool)
    seed(sample_repo, defect.edits, commit=defect.commit, git_args=defect.git_args)
    ctx = CheckContext(target_of(sample_repo), default_plan())
    results = run_criteria(ctx, include_tools=defect.tools)
    unrelated = {cid: [str(f) for f in fs if f.blocking] for cid, fs in results.items() if cid != defect.owner}
    assert unrelated == {cid: [] for cid in unrelated}, "a defect must not fail unrelated criteria"
    owned = [f for f in results[defect.owner] if f.blocking]
    assert owned, f"{defect.owner} did not notice the defect {defect.name}"
    for finding in owned:
        assert finding.path, finding
        assert finding.message.startswith("expected "), finding
        assert finding.line > 0 or defect.owner == "workflows-committed", f"no line in: {finding}"
    compare_golden(GOLDEN_DIR / f"{defect.name}.out", normalise(owned, ctx.target))
