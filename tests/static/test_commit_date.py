"""Tags made from the commit's date (metadata-action's ``{{commit_date}}``) are decided from the checkout's HEAD."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cicd_acceptance.criteria import CheckContext
from cicd_acceptance.workflows.expressions import Unknown
from tests.static.repos import Edit, default_plan, git, seed, target_of

BUILD = ".github/workflows/build-images.yml"


def _tags(repo: Path) -> list[object]:
    context = CheckContext(target_of(repo), default_plan())
    return [tag for entry in context.publication("push").entries for tag in entry.tags
            if entry.matrix.get("service") == "gateway"]


def test_a_commit_date_tag_is_rendered_from_the_head_commit(sample_repo: Path) -> None:
    # repos.py commits with the committer date 2026-02-02T00:10:00Z; Tokyo is 9 hours ahead.
    seed(sample_repo, (Edit(BUILD, "            type=sha\n",
                            "            type=sha\n"
                            "            type=raw,value=nightly-{{commit_date 'YYYYMMDD-HHmm' tz='Asia/Tokyo'}}\n"),),
         commit=True)
    assert "nightly-20260202-0910" in _tags(sample_repo)


def test_the_build_time_stays_unknown(sample_repo: Path) -> None:
    """``{{date}}`` is when the build runs, which no checkout knows: still undecided, not the commit's date."""
    seed(sample_repo, (Edit(BUILD, "            type=sha\n",
                            "            type=sha\n            type=raw,value=built-{{date 'YYYYMMDD'}}\n"),),
         commit=True)
    built = [tag for tag in _tags(sample_repo) if "built-" in str(tag)]
    assert len(built) == 1
    assert isinstance(built[0], Unknown), built


def test_a_commit_date_python_cannot_read_leaves_the_tag_undecided(sample_repo: Path) -> None:
    """A hand-made commit object can carry an offset of +99:59, which git prints and no datetime holds."""
    seed(sample_repo, (Edit(BUILD, "            type=sha\n",
                            "            type=sha\n            type=raw,value=c-{{commit_date 'YYYYMMDD'}}\n"),),
         commit=True)
    tree = git(sample_repo, "rev-parse", "HEAD^{tree}").strip()
    body = f"tree {tree}\nauthor a <a@example.invalid> 1770000000 +0000\ncommitter a <a@example.invalid> " \
           f"1770000000 +9959\n\nodd offset\n"
    odd = subprocess.run(["git", "hash-object", "-w", "-t", "commit", "--literally", "--stdin"], cwd=sample_repo,
                         input=body, capture_output=True, text=True, check=True).stdout.strip()
    git(sample_repo, "update-ref", "HEAD", odd)
    target = target_of(sample_repo)
    assert (target.head_sha, target.commit_date) == (odd, None)
    dated = [tag for tag in _tags(sample_repo) if "c-" in str(tag)]
    assert len(dated) == 1
    assert isinstance(dated[0], Unknown), dated
