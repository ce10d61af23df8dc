"""Scenario Outlines whose Examples come from the plan: one row per service of ``acceptance.toml``.

A feature file cannot know the target's services, so a per-service outline ends with an Examples table that has a
header and no rows::

    Scenario Outline: The <service> image is published for the pinned commit
      ...
      Examples: the services of the plan
        | service |

pytest-bdd leaves such an outline unparametrized; :func:`plan_examples` gives the rows from the plan, and the
plugin's ``pytest_generate_tests`` hands them to pytest as pytest-bdd's own ``_pytest_bdd_example`` parameter, so the
scenario names, the steps, the verdict and the evidence all say ``api`` and ``worker`` when the plan says so. A table
with rows of its own is left to pytest-bdd; a header-only table naming a column the plan does not provide is an
error, not a silently empty criterion.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from cicd_acceptance.plan import Plan

if TYPE_CHECKING:
    from pytest_bdd.parser import ScenarioTemplate

__all__ = ["EXAMPLE_PARAMETER", "PLAN_COLUMNS", "plan_examples"]

EXAMPLE_PARAMETER = "_pytest_bdd_example"  # the parameter pytest-bdd renders an outline's steps from
PLAN_COLUMNS: Mapping[str, Callable[[Plan], tuple[str, ...]]] = {"service": lambda plan: plan.services}


def plan_examples(template: ScenarioTemplate, plan: Plan) -> list[dict[str, str]] | None:
    """The Examples rows of ``template`` filled from ``plan``, or None when it has no header-only table."""
    tables = list(template.examples)
    if not tables or any(table.examples for table in tables):
        return None
    rows: list[dict[str, str]] = []
    for table in tables:
        columns = list(table.example_params)
        unknown = [c for c in columns if c not in PLAN_COLUMNS]
        if len(columns) != 1 or unknown:
            raise ValueError(f"{template.feature.rel_filename}:{table.line_number}: an Examples table without rows "
                             f"is filled from the plan and needs exactly one of the columns "
                             f"{', '.join(PLAN_COLUMNS)}; found {', '.join(columns) or 'none'}")
        rows += [{columns[0]: value} for value in PLAN_COLUMNS[columns[0]](plan)]
    return rows
