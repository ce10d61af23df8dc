"""Child pytest runs of the tests (pytester) start like the project's own runs: without hypothesis's plugin."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest_plugins = ["pytester"]


def test_an_in_process_child_starts_after_hypothesis_generated_examples(pytester: pytest.Pytester) -> None:
    # Examples generated in this process, then a child pytest in the same interpreter: had the child loaded
    # hypothesis's plugin, the plugin would report the generation as a start-up side effect, an error here.
    @settings(max_examples=3, database=None, derandomize=True)
    @given(st.integers().map(abs))
    def non_negative(number: int) -> None:
        assert number >= 0

    non_negative()
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    pytester.makepyfile("def test_child():\n    assert True\n")
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
