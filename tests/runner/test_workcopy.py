"""The local run's copy of the working tree: refilled at a stable path without following what a run planted there,
never shared by two runs, bounded, and taking only what the harness accepts from a target."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from cicd_acceptance.errors import ToolError
from cicd_acceptance.runner.workcopy import CopyLimits, copy_working_tree, work_copy


def _tree(root: Path) -> dict[str, str]:
    """Every entry under ``root``: a file's text, a link's target, ``<dir>`` for a folder (nothing followed)."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                found[rel] = "-> " + os.readlink(path)
            elif path.is_dir():
                found[rel] = "<dir>"
            else:
                found[rel] = path.read_text(encoding="utf-8")
    return found


@pytest.fixture
def source(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    (root / "pkg").mkdir(parents=True)
    (root / "go.mod").write_text("module example.com/m\n", encoding="utf-8")
    (root / "pkg" / "a.go").write_text("package pkg\n", encoding="utf-8")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    return root


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "keep.txt").write_text("precious", encoding="utf-8")
    return folder


def test_the_copy_is_the_working_tree_without_git(source: Path, tmp_path: Path) -> None:
    script = source / "run.sh"
    script.write_text("#!/bin/sh\n", encoding="utf-8")
    script.chmod(0o755)
    os.utime(source / "go.mod", ns=(1_000_000_000, 1_000_000_000))
    os.mkfifo(source / "pipe")
    (source / "pkg" / "alias.go").symlink_to("a.go")
    (source / "dangling").symlink_to("pkg/missing")
    dest = tmp_path / "copy"
    dest.mkdir()
    copy_working_tree(source, dest)
    assert _tree(dest) == {"go.mod": "module example.com/m\n", "pkg": "<dir>", "pkg/a.go": "package pkg\n",
                           "pkg/alias.go": "-> a.go", "dangling": "-> pkg/missing", "run.sh": "#!/bin/sh\n"}
    assert os.access(dest / "run.sh", os.X_OK)
    assert (dest / "go.mod").stat().st_mtime_ns == 1_000_000_000  # Go's test cache compares modification times


@pytest.mark.parametrize("link", ["../outside", "pkg/../../outside/keep.txt", "ABSOLUTE"])
def test_a_symlink_out_of_the_repository_is_refused_by_name(source: Path, outside: Path, tmp_path: Path,
                                                            link: str) -> None:
    (source / "pkg" / "escape").symlink_to(str(outside / "keep.txt") if link == "ABSOLUTE" else "../" + link)
    dest = tmp_path / "copy"
    dest.mkdir()
    with pytest.raises(ToolError, match=r"pkg/escape is a symlink that leads outside the repository"):
        copy_working_tree(source, dest)


def test_a_link_that_leaves_through_another_link_is_refused(source: Path, tmp_path: Path) -> None:
    (source / "pkg" / "up").symlink_to("..")  # the repository's root: inside
    (source / "pkg" / "out").symlink_to("up/..")  # written as inside, resolves to the parent of the repository
    dest = tmp_path / "copy"
    dest.mkdir()
    with pytest.raises(ToolError, match="pkg/out is a symlink that leads outside"):
        copy_working_tree(source, dest)


def test_the_caps_are_named_when_exceeded(source: Path, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    with pytest.raises(ToolError, match=r"more than 2 files, folders and links \(the local run's copy cap"):
        copy_working_tree(source, tmp_path / "a", CopyLimits(max_entries=2))
    (tmp_path / "b").mkdir()
    with pytest.raises(ToolError, match=r"more than 10 bytes \(the local run's copy cap, reached at go.mod\)"):
        copy_working_tree(source, tmp_path / "b", CopyLimits(max_bytes=10))


def test_what_a_previous_run_planted_in_the_stable_folder_is_removed_not_followed(source: Path, outside: Path,
                                                                                  tmp_path: Path) -> None:
    stable = tmp_path / "cache" / "key-work" / "checkout"
    (stable / "deep" / "locked").mkdir(parents=True)
    (stable / "escape").symlink_to(outside)
    (stable / "deep" / "escape").symlink_to(outside)
    (stable / "file-link").symlink_to(outside / "keep.txt")
    (stable / "deep" / "locked" / "x").write_text("x", encoding="utf-8")
    (stable / "deep" / "locked").chmod(0o500)  # a step may leave a folder it cannot be emptied through
    stable.chmod(0o500)  # or take the write permission off the workspace itself
    with work_copy(source, stable) as work:
        assert work == stable
        assert _tree(work) == {k: v for k, v in _tree(source).items() if not k.startswith(".git")}
    assert _tree(outside) == {"keep.txt": "precious"}


def test_a_stable_folder_replaced_by_a_symlink_is_not_followed(source: Path, outside: Path, tmp_path: Path) -> None:
    stable = tmp_path / "cache" / "key-work" / "checkout"
    stable.parent.mkdir(parents=True)
    stable.symlink_to(outside)
    with work_copy(source, stable) as work:
        assert not work.is_symlink()
        assert (work / "go.mod").is_file()
    assert _tree(outside) == {"keep.txt": "precious"}


def test_a_second_run_while_the_stable_folder_is_held_gets_a_fresh_folder(source: Path, tmp_path: Path) -> None:
    stable = tmp_path / "cache" / "key-work" / "checkout"
    stable.mkdir(parents=True)
    (stable / "in-use").write_text("by the first run", encoding="utf-8")
    fd = os.open(stable.parent / "checkout.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another harness run holds it
        with work_copy(source, stable) as work:
            assert work != stable
            assert not work.is_relative_to(stable.parent)
            assert (work / "go.mod").is_file()
            fresh = work
        assert not fresh.exists()
        assert (stable / "in-use").read_text(encoding="utf-8") == "by the first run"
    finally:
        os.close(fd)
    with work_copy(source, stable) as work:
        assert work == stable  # released: the stable folder again
        assert not (work / "in-use").exists()
