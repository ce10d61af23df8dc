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
import re
import subprocess
import sys
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
    Mutation,
    Rewritten,
    exercise,
    garbled,
    judge_in_place,
    mutants,
    rewritten,
    seeds,
)
from tests.static.repos import REPO_ROOT, REPOSITORY, SAMPLE, Edit, default_plan, seed, target_of

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
    assert not garbled("ghcr.io/o/r-${{ matrix.a }}:${{ needs.p.outputs.t }}",
                       "${{ matrix.a }} ${{ needs.p.outputs.t }}")


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


def test_the_static_suite_reports_a_nasty_mutant_in_one_clear_message_each(sample_repo: Path) -> None:
    # The sample's build with `on:` null, an extra job, a matrix from an expression and an env: that is an
    # expression: each scenario that reads it says what is wrong at file:line, once, with no traceback (the
    # build's findings read "expected a readable workflow, found expected a mapping for 'on' ..." before).
    build = next(s for s in seeds() if s.name == "sample/build-images.yml")
    mutant = Mutant(build, (Mutation("on", 0, None), Mutation("add-job", 0, "ubuntu-latest"),
                            Mutation("matrix", 0, "${{ fromJSON(needs.prep.outputs.matrix) }}"),
                            Mutation("env", 0, "${{ fromJSON(steps.meta.outputs.json) }}")), flow=False)
    seed(sample_repo, (Edit(build.rel, None, mutant.text()),), commit=True)
    argv = [sys.executable, "-m", "pytest", "features/", "-m", "static", "-p", "no:cacheprovider", "-rfs",
            "--repo-dir", str(sample_repo), "--github-repo", REPOSITORY]
    result = subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output, output
    assert "found expected" not in output, output
    assert re.search(r"^\.github/workflows/build-images\.yml:\d+: expected a mapping for 'on', found a null "
                     r"\[build-triggers\]$", result.stdout, re.MULTILINE), output
    assert not garbled(output, mutant.text()), garbled(output, mutant.text())


def test_a_reference_without_an_image_name_is_shown_as_written(tmp_path: Path) -> None:
    # `-t :sha-x` made an entry with an empty image: "expected  tagged sha-<sha> ..., found  tags: sha-x".
    text = (SAMPLE / ".github/workflows/build-images.yml").read_text(encoding="utf-8")
    old = "          tags: ${{ steps.meta.outputs.tags }}\n"
    assert text.count(old) == 1
    rel = ".github/workflows/build-images.yml"
    (tmp_path / ".github/workflows").mkdir(parents=True)
    (tmp_path / rel).write_text(text.replace(old, "          tags: |\n            ${{ steps.meta.outputs.tags }}\n"
                                                  "            :sha-x\n"), encoding="utf-8")
    plan = publication_plan(load_workflow(tmp_path, rel),
                            BuildEvent("push", "refs/heads/main", "0" * 40, "main", REPOSITORY))
    images = {str(entry.image) for entry in plan.entries}
    assert ":sha-x" in images, images
    assert "" not in images, images
    assert any("':sha-x' names no image" in note for note in plan.notes), plan.notes
