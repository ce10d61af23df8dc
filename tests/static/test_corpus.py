"""Golden publication plans of the corpus: every shape, every event of the plan, no crash and no garbled value.

``UPDATE_GOLDEN=1`` rewrites ``tests/corpus/<case>/plans.golden`` after a deliberate change (review the diff).
"""

from __future__ import annotations

import os

import pytest

from tests.static.corpus import CASES, CORPUS_DIR, entry_workflows, render_case


def test_the_corpus_is_big_enough() -> None:
    workflows = sum(len(list((CORPUS_DIR / case / ".github" / "workflows").glob("*.yml"))) for case in CASES)
    assert len(CASES) >= 40
    assert workflows >= 40


@pytest.mark.parametrize("case", CASES)
def test_publication_plans_match_the_golden_file(case: str) -> None:
    case_dir = CORPUS_DIR / case
    assert entry_workflows(case_dir), f"{case} has no workflow that a user starts"
    actual = render_case(case_dir)
    assert "$${{" not in actual
    assert "Traceback" not in actual
    assert "ghcr.io//" not in actual
    golden = case_dir / "plans.golden"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(actual, encoding="utf-8")
        return
    assert golden.is_file(), f"no golden file {golden}; run with UPDATE_GOLDEN=1 and review it"
    assert actual == golden.read_text(encoding="utf-8")
