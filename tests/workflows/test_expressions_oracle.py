"""The ``${{ }}`` evaluator against GitHub's own (npm ``@actions/expressions``, installed by .ci/install-tools.sh).

Thousands of expressions generated from the grammar (literals of every kind with edge numbers and strings, contexts
with nested arrays and objects, every operator and function, nesting past GitHub's limit, token soup) are evaluated
by both; the results must be identical (same value and kind, or both an error) unless a difference is one of the
written, reasoned deviations in ``expr_oracle.ACCEPTED_DEVIATIONS``. Generation is derandomized and writes no
example database, so a run is the same everywhere; the oracle runs once, in one node process, for the whole batch.
"""

from __future__ import annotations

import functools
import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from cicd_acceptance.testing.tooling import require_tool, tools_required
from tests.workflows.expr_oracle import PACKAGE, Case, batches, compare, guesses, ours, run_oracle

# Generated contexts per run, each with 8 to 16 expressions (ACCEPTANCE_ORACLE_EXAMPLES raises it for a longer hunt).
EXAMPLES = int(os.environ.get("ACCEPTANCE_ORACLE_EXAMPLES", "250"))


@functools.cache
def _generated_cases() -> list[Case]:
    collected: list[Case] = []

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))
    @given(batches())
    def never_escapes(batch: list[Case]) -> None:
        # Whatever the input, the evaluator answers with a value or the project's own error, never anything else.
        # With part of the context unknown, nothing known is ever a guess.
        for case in batch:
            outcome = ours(case)
            assert "crash" not in outcome, f"{case.expr!r}: {outcome['crash']}"
            wrong = guesses(case, outcome)
            assert wrong is None, f"{case.expr!r}: {wrong}"
        collected.extend(batch)

    never_escapes()
    return collected


def test_generated_expressions_never_escape_and_never_guess() -> None:
    assert len(_generated_cases()) >= EXAMPLES * 8


def test_evaluator_agrees_with_githubs_evaluator() -> None:
    node = require_tool("node", why="it runs GitHub's own expression evaluator (npm @actions/expressions)")
    if not (PACKAGE / "package.json").is_file():
        reason = f"@actions/expressions is not installed in {PACKAGE.parent.parent} (run .ci/install-tools.sh)"
        if tools_required():
            pytest.fail(f"{reason} (ACCEPTANCE_REQUIRE_TOOLS=1 makes a missing tool a failure)", pytrace=False)
        pytest.skip(reason)
    cases = list({(case.expr, repr(case.context)): case for case in _generated_cases()}.values())  # distinct pairs
    assert len(cases) >= EXAMPLES * 6
    result = compare(cases, [ours(case) for case in cases], run_oracle(node, cases))
    shown = "\n".join(f"  {case.expr!r}\n    ours:   {mine}\n    GitHub: {theirs}"
                      for case, mine, theirs in result.differences[:15])
    assert not result.differences, f"{len(result.differences)} of {result.compared} differ:\n{shown}"
