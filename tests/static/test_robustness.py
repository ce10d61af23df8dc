"""Robustness: mutated real-shaped workflows never crash the static pipeline nor garble a value.

Hypothesis draws a seed workflow (the corpus, the valid variants, the sample) and one to four mutations of the kinds
real workflows have (:mod:`tests.static.fuzzing`); each mutant is committed into a copy of the sample as its CI and
build workflow and goes through the model, the publication plan for the plan's three events and every tool-free
rule. Only a :class:`~cicd_acceptance.errors.HarnessError` naming ``path:line`` may come out, and nothing shown may
carry a garble marker that the files do not already hold. Generation is derandomized and keeps no example database,
so every run draws the same mutants; ``ACCEPTANCE_FUZZ_EXAMPLES`` raises the count for a longer hunt.

Below the property test: the focused regression test of each defect it found.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings

from cicd_acceptance.criteria import CheckContext, check_criterion
from cicd_acceptance.workflows.event import BuildEvent
from cicd_acceptance.workflows.model import load_workflow
from cicd_acceptance.workflows.publication import publication_plan
from cicd_acceptance.workflows.schema import validate_workflow_schema
from tests.static.fuzzing import (
    MUTATIONS,
    Mutant,
    Rewritten,
    exercise,
    garbled,
    judge_in_place,
    mutants,
    rewritten,
    seeds,
)
from tests.static.repos import REPOSITORY, SAMPLE, Edit, default_plan, seed, target_of

EXAMPLES = int(os.environ.get("ACCEPTANCE_FUZZ_EXAMPLES", "40"))


def _settings(examples: int) -> settings:
    # Built when a test runs, not at import (see tests/workflows/expr_oracle.py on hypothesis and import time).
    return settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                    phases=[Phase.explicit, Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))


def test_mutated_workflows_never_crash_nor_garble(sample_repo: Path) -> None:
    drawn: list[Mutant] = []

    @_settings(EXAMPLES)
    @given(mutants())
    def survives(mutant: Mutant) -> None:
        outcome = exercise(sample_repo, mutant.seed, mutant.text())
        problems = outcome.problems()
        assert not problems, f"{mutant}:\n" + "\n".join(problems)
        drawn.append(mutant)

    survives()
    assert len(drawn) >= EXAMPLES
    kinds = {m.kind for mutant in drawn for m in mutant.mutations}
    assert len(kinds) >= len(MUTATIONS) // 2, f"only {sorted(kinds)} were drawn"


def test_rewriting_a_passing_workflow_without_changing_its_meaning_keeps_it_passing(sample_repo: Path) -> None:
    # No false error: the valid variants and the sample, written with anchors and aliases, in flow style, with
    # runs-on and needs as lists, on: as a mapping, if: inside ${{ }}, emoji names, a summary step, still pass.
    drawn: list[Rewritten] = []

    @_settings(max(EXAMPLES // 3, 8))
    @given(rewritten())
    def still_passes(rewriting: Rewritten) -> None:
        assert judge_in_place(sample_repo, rewriting.seed, rewriting.text()) == {}, str(rewriting)
        drawn.append(rewriting)

    still_passes()
    assert len(drawn) >= 8


def test_every_seed_survives_unchanged(sample_repo: Path) -> None:
    # The seeds as they are, written back by the mutator's dumper: the baseline every mutation starts from.
    for chosen in seeds()[::12]:
        outcome = exercise(sample_repo, chosen, Mutant(chosen, (), flow=False).text())
        assert not outcome.problems(), f"{chosen.name}: {outcome.problems()}"


def test_the_garble_markers_find_what_they_are_for() -> None:
    source = "tags: ${{ steps.meta.outputs.version }}\nimages: ghcr.io/${{ github.repository }}"
    assert garbled("found $${{ steps.meta.outputs.version }}", source)
    assert garbled("found ${{ ${{ steps.meta.outputs.version }} }}", source)
    assert garbled("image ghcr.io//api", source)
    assert garbled("tags ${{ steps.meta.outputs.version }}-{{sha}}", source)
    assert garbled("found None is not of type 'object'", source)
    assert garbled("value <cicd_acceptance.workflows.expr_values.Unknown object at 0x7f>", source)
    assert garbled("found Unknown(text='x', truthy=None)", source)
    assert garbled("expected a value, found ${{ }}", source)
    # What the files hold is shown as written: not a garble.
    assert not garbled("found ${{ steps.meta.outputs.version }} at build.yml:3", source)
    assert not garbled("found $${{ x }}", "run: echo $${{ x }}")


# ------------------------------------------------------------------------------- regressions found by the fuzzer
def test_schema_findings_show_values_as_yaml_says_them_not_as_python_reprs(tmp_path: Path) -> None:
    workflow = tmp_path / "w.yml"
    workflow.write_text("on:\n  push:\n  🚀: {branches: [main]}\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
                        "    env:\n    continue-on-error: true\n    steps: [{run: 'true'}]\n", encoding="utf-8")
    messages = [f.message for f in validate_workflow_schema([workflow], display_root=tmp_path)]
    assert any(m.startswith("$.jobs.a.env: null is not of type 'object'") for m in messages), messages
    assert not [m for m in messages if "None" in m or "{'" in m], messages


def test_unknown_metadata_labels_read_as_written_words() -> None:
    # An apostrophe in the text of an unknown value became a double quote ("the repository"s license").
    workflow = load_workflow(SAMPLE, ".github/workflows/build-images.yml")
    plan = publication_plan(workflow, BuildEvent("push", "refs/heads/main", "0" * 40, "main", REPOSITORY))
    shown = {str(entry.labels.get("org.opencontainers.image.licenses")) for entry in plan.entries}
    assert shown == {"${{ the license of the repository (SPDX id) }}"}


def test_a_shape_error_is_the_finding_as_it_stands(sample_repo: Path) -> None:
    # Wrapped, it read "expected a readable workflow, found expected a mapping for 'on', found a null".
    seed(sample_repo, (Edit(".github/workflows/build-images.yml", "on:\n  push:", "on:\nx:\n  push:"),), commit=True)
    findings = check_criterion("build-workflow", CheckContext(target_of(sample_repo), default_plan()))
    assert findings
    assert {f.message for f in findings} == {"expected a mapping for 'on', found a null"}, findings
