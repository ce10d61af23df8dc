"""The commit tag as projects spell it: metadata-action's other lengths, formats, prefixes and suffixes all carry
the commit SHA, so the build criterion passes; what carries no commit stays red (tests/static/defects.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_acceptance.criteria import CheckContext, check_criterion
from cicd_acceptance.live.tagforms import workflow_commit_forms
from tests.static.defects import BUILD
from tests.static.repos import Edit, default_plan, seed, target_of

_TAGS = "            type=sha\n"
_META = "        id: meta\n"
_LENGTH_12 = "        id: meta\n        env:\n          DOCKER_METADATA_SHORT_SHA_LENGTH: 12\n"

# name -> (edits of the sample's build workflow, the spelling the live check should look up first)
SPELLINGS: dict[str, tuple[tuple[Edit, ...], str]] = {
    "short sha length 12": ((Edit(BUILD, _META, _LENGTH_12),), "sha-<12>"),
    "short sha length quoted at the workflow": (
        (Edit(BUILD, "permissions:\n", 'env:\n  DOCKER_METADATA_SHORT_SHA_LENGTH: "10"\npermissions:\n'),), "sha-<10>"),
    "format long": ((Edit(BUILD, _TAGS, "            type=sha,format=long\n"),), "sha-<40>"),
    "bare sha": ((Edit(BUILD, _TAGS, "            type=sha,prefix=\n"),), "<7>"),
    "raw sha template": ((Edit(BUILD, _TAGS, "            type=raw,value={{sha}}\n"),), "<7>"),
    "raw github sha": ((Edit(BUILD, _TAGS, "            type=raw,value=${{ github.sha }}\n"),), "<40>"),
    "other prefix and a suffix": ((Edit(BUILD, _TAGS, "            type=sha,prefix=git-,suffix=-linux\n"),),
                                  "git-<7>-linux"),
    "raw template of length 12": ((Edit(BUILD, _TAGS, "            type=raw,value=commit-{{sha}}\n"),
                                   Edit(BUILD, _META, _LENGTH_12)), "commit-<12>"),
}


def _spelt(pattern: str, sha: str) -> str:
    for length in (40, 12, 10, 7):
        pattern = pattern.replace(f"<{length}>", sha[:length])
    return pattern


@pytest.mark.parametrize("name", SPELLINGS)
def test_a_tag_carrying_the_commit_passes_and_the_live_check_looks_it_up(name: str, sample_repo: Path) -> None:
    edits, spelling = SPELLINGS[name]
    seed(sample_repo, edits, commit=True)
    target = target_of(sample_repo)
    findings = check_criterion("build-workflow", CheckContext(target, default_plan()))
    assert [str(f) for f in findings if f.blocking] == []
    forms = workflow_commit_forms(target, default_plan())
    assert [form.tag(target.head_sha) for form in forms] == [_spelt(spelling, target.head_sha)]
    assert default_plan().sha_tags(target.head_sha, forms)[0] == _spelt(spelling, target.head_sha)


def test_a_tag_only_a_run_knows_is_undecided_when_it_could_be_a_spelling_the_live_check_tries(
        sample_repo: Path) -> None:
    seed(sample_repo, (Edit(BUILD, _TAGS, "            type=raw,value=${{ steps.rev.outputs.short }}\n"),),
         commit=True)
    target = target_of(sample_repo)
    findings = check_criterion("build-workflow", CheckContext(target, default_plan()))
    assert findings
    assert all(f.undecided for f in findings), [str(f) for f in findings]
    assert workflow_commit_forms(target, default_plan()) == ()


def test_a_tag_only_a_run_knows_that_cannot_be_a_looked_up_spelling_is_red(sample_repo: Path) -> None:
    seed(sample_repo, (Edit(BUILD, _TAGS, "            type=raw,value=v${{ steps.version.outputs.number }}\n"),),
         commit=True)
    findings = check_criterion("build-workflow", CheckContext(target_of(sample_repo), default_plan()))
    assert [f.undecided for f in findings if "leading hex digits" in f.message] == [False, False, False]
