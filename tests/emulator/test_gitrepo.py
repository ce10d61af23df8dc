"""The checkout's ``.git`` for each kind of ref, made from the checked-out files only."""

from __future__ import annotations

import dataclasses
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cicd_acceptance.emulator.github.repo import Commit
from cicd_acceptance.emulator.runtime.gitrepo import make_repository
from cicd_acceptance.errors import TargetError

SHA = "0123456789abcdef0123456789abcdef01234567"
WHEN = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
HEAD = Commit(sha=SHA, tree="", parents=(), message="Merge pull request #12 from example/ci-cd\n\nBody",
              author_name="Octo Cat", author_email="octo@example.com", author_date=WHEN, committer_name="GitHub",
              committer_email="noreply@github.com", committer_date=WHEN)


def git(path: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=path, capture_output=True, text=True, check=True,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(path), "GIT_CONFIG_NOSYSTEM": "1"}).stdout.strip()


def files(tmp_path: Path) -> Path:
    folder = tmp_path / "workspace"
    (folder / "cmd").mkdir(parents=True)
    (folder / "cmd" / "main.go").write_text("package main\n", encoding="utf-8")
    # A filter driver named by the target is never started: git runs without the harness's config.
    (folder / ".gitattributes").write_text("*.go filter=evil\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize(("ref", "branch", "remote"), [
    ("refs/heads/feature/x", "feature/x", "refs/remotes/origin/feature/x"),
    ("refs/pull/12/merge", "HEAD", "refs/remotes/pull/12/merge"),
    ("refs/tags/v1.2.0", "HEAD", "refs/tags/v1.2.0"),
])
def test_head_is_the_runs_commit_on_the_ref_actions_checkout_makes(tmp_path: Path, ref: str, branch: str,
                                                                   remote: str) -> None:
    folder = files(tmp_path)
    make_repository(folder, HEAD, ref=ref, origin="https://github.com/example/stream-monitor")
    assert git(folder, "rev-parse", "HEAD") == SHA
    assert git(folder, "rev-parse", remote) == SHA
    assert git(folder, "rev-parse", "--abbrev-ref", "HEAD") == branch
    assert git(folder, "log", "-1", "--format=%an <%ae> %cn %ct %s") == \
        f"Octo Cat <octo@example.com> GitHub {int(WHEN.timestamp())} Merge pull request #12 from example/ci-cd"
    assert git(folder, "status", "--porcelain") == ""
    assert git(folder, "ls-files") == ".gitattributes\ncmd/main.go"
    assert git(folder, "rev-list", "--count", "HEAD") == "1"


def test_a_sha_or_branch_git_refuses_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="not a commit sha"):
        make_repository(files(tmp_path), dataclasses.replace(HEAD, sha="HEAD"), ref="refs/heads/main",
                        origin="https://github.com/example/stream-monitor")
    with pytest.raises(TargetError, match="check-ref-format failed"):
        make_repository(files(tmp_path / "again"), HEAD, ref="refs/heads/bad..name",
                        origin="https://github.com/example/stream-monitor")
