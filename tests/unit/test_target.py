"""Target git facts: tracked at HEAD, committed vs working tree, subfolder targets."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cicd_acceptance.errors import TargetError
from cicd_acceptance.target import open_target


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd, check=True,
                   capture_output=True)


def test_subfolder_target_tracks_and_compares(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q", "-b", "main")
    sub = tmp_path / "examples" / "app"
    sub.mkdir(parents=True)
    (sub / "a.yml").write_text("a\n")
    (sub / "b.yml").write_text("b\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "init")
    target = open_target(sub)
    assert target.prefix == "examples/app/"
    assert target.branch == "main"
    assert len(target.head_sha) == 40
    assert target.is_tracked_at_head("a.yml")
    assert not target.is_tracked_at_head("c.yml")
    assert target.matches_head("a.yml")
    (sub / "a.yml").write_text("changed\n")
    (sub / "c.yml").write_text("new\n")
    assert not target.matches_head("a.yml")
    assert target.uncommitted(["a.yml", "b.yml", "c.yml"]) == {"a.yml": "M", "c.yml": "??"}


def test_repo_without_commits(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    with pytest.raises(TargetError, match="no commit yet"):
        open_target(tmp_path)


def test_file_is_not_a_directory(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_text("")
    with pytest.raises(TargetError, match="not a directory"):
        open_target(f)
