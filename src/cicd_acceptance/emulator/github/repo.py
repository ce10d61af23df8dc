"""Repository facts read from a checkout with ``git``: default branch, HEAD and history, files, workflows.

The checkout may be a subfolder of a larger repository (the bundled sample lives in ``examples/stream-monitor/``):
file paths are relative to the given directory, while commits are the enclosing repository's. Everything is read
once at start-up into a frozen :class:`RepoSnapshot`; file contents are read on demand (and cached) so a large
checkout does not cost memory until the contents API asks for a file.
"""

from __future__ import annotations

import subprocess
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cicd_acceptance.errors import TargetError
from cicd_acceptance.target import SAFE_GIT_OPTIONS, parse_github_remote

__all__ = ["Commit", "RepoFile", "RepoSnapshot", "load_snapshot", "parse_remote"]

_LOG_FORMAT = "%H%x1f%T%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%cn%x1f%ce%x1f%cI%x1f%B%x1e"
_HISTORY_LIMIT = 200


@dataclass(frozen=True)
class Commit:
    """One commit as the commits API reports it."""

    sha: str
    tree: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    author_date: datetime
    committer_name: str
    committer_email: str
    committer_date: datetime
    message: str


@dataclass(frozen=True)
class RepoFile:
    """A tracked file at HEAD: path relative to the checkout dir, git blob sha and size in bytes."""

    path: str
    blob: str
    size: int


@dataclass(frozen=True)
class RepoSnapshot:
    """What the emulator knows about the checkout (commits newest first, ``head`` = default branch tip)."""

    root: Path
    default_branch: str
    head: str
    commits: tuple[Commit, ...]
    branches: dict[str, str]
    files: dict[str, RepoFile]
    remote: tuple[str, str] | None
    _contents: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def commit(self, sha_or_ref: str) -> Commit | None:
        """A commit by full sha, unique prefix (>= 7 chars) or branch name."""
        sha = self.branches.get(sha_or_ref, sha_or_ref)
        for commit in self.commits:
            if commit.sha == sha or (len(sha) >= 7 and commit.sha.startswith(sha)):
                return commit
        return None

    def read(self, path: str) -> bytes:
        """The bytes of a tracked file at HEAD (``path`` relative to the checkout dir)."""
        with self._lock:
            cached = self._contents.get(path)
        if cached is not None:
            return cached
        data = _git_bytes(self.root, "cat-file", "blob", self.files[path].blob)
        with self._lock:
            self._contents[path] = data
        return data

    def directory(self, path: str) -> list[tuple[str, str]]:
        """Direct children of directory ``path`` ("" = the checkout's root) as (name, "file"|"dir"), sorted."""
        prefix = f"{path.strip('/')}/" if path.strip("/") else ""
        children: dict[str, str] = {}
        for file_path in self.files:
            if file_path.startswith(prefix):
                head, sep, _ = file_path[len(prefix):].partition("/")
                children[head] = "dir" if sep else "file"
        return sorted(children.items())

    def tree_sha(self, path: str) -> str:
        """The git tree id of directory ``path`` at HEAD (relative to the checkout dir)."""
        return _git(self.root, "rev-parse", f"HEAD:./{path.strip('/')}").strip()

    def workflow_paths(self) -> list[str]:
        """Tracked ``.github/workflows/*.yml|yaml`` paths, sorted."""
        return sorted(path for path in self.files
                      if path.startswith(".github/workflows/") and path.count("/") == 2
                      and path.endswith((".yml", ".yaml")))


def _git(root: Path, *args: str) -> str:
    return _git_bytes(root, *args).decode("utf-8", errors="replace")


def _git_bytes(root: Path, *args: str) -> bytes:
    try:
        # No command the target's configuration names (a signature program for `git log`) runs here.
        done = subprocess.run(["git", *SAFE_GIT_OPTIONS, *args], cwd=root, capture_output=True, check=False,
                              timeout=60)
    except FileNotFoundError as exc:
        raise TargetError("git is not installed, so the checkout cannot be read", path=str(root)) from exc
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise TargetError(f"git {args[0]} failed: {detail[-1] if detail else 'no output'}", path=str(root))
    return done.stdout


def parse_remote(url: str) -> tuple[str, str] | None:
    """``(owner, name)`` from a GitHub-style remote URL (https or ssh), else None (a local path, say).

    The same rule as the harness's own (:func:`cicd_acceptance.target.parse_github_remote`), so the emulator and
    the harness name a checkout alike.
    """
    repository = parse_github_remote(url)
    if repository is None:
        return None
    owner, _, name = repository.partition("/")
    return owner, name


def _read_commits(root: Path) -> tuple[Commit, ...]:
    raw = _git(root, "log", f"--max-count={_HISTORY_LIMIT}", f"--format={_LOG_FORMAT}", "HEAD")
    commits = []
    for record in raw.split("\x1e"):
        fields = record.strip("\n").split("\x1f")
        if len(fields) != 10:
            continue
        sha, tree, parents, an, ae, ad, cn, ce, cd, message = fields
        commits.append(Commit(sha=sha, tree=tree, parents=tuple(parents.split()), author_name=an, author_email=ae,
                              author_date=datetime.fromisoformat(ad), committer_name=cn, committer_email=ce,
                              committer_date=datetime.fromisoformat(cd), message=message.strip()))
    return tuple(commits)


def _read_files(root: Path) -> dict[str, RepoFile]:
    files = {}
    # Run in the checkout dir: ls-tree then lists only that folder, with paths relative to it.
    for line in _git(root, "ls-tree", "-r", "-l", "-z", "HEAD", "--", ".").split("\0"):
        meta, _, path = line.partition("\t")
        parts = meta.split()
        if len(parts) == 4 and parts[1] == "blob":
            files[path] = RepoFile(path=path, blob=parts[2], size=int(parts[3]) if parts[3].isdigit() else 0)
    return files


def _default_branch(root: Path) -> str:
    try:
        ref = _git(root, "symbolic-ref", "--quiet", "refs/remotes/origin/HEAD").strip()
    except TargetError:
        return "main"  # no origin/HEAD: the plan's default
    return ref.removeprefix("refs/remotes/origin/") or "main"


def _branches(root: Path, default_branch: str, head: str) -> dict[str, str]:
    branches = {}
    for line in _git(root, "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads").splitlines():
        name, _, sha = line.partition(" ")
        branches[name] = sha
    # The checkout being accepted stands for the default branch's tip, whatever is checked out locally.
    branches[default_branch] = head
    return branches


def _remote(root: Path) -> tuple[str, str] | None:
    try:
        return parse_remote(_git(root, "remote", "get-url", "origin"))
    except TargetError:
        return None


def load_snapshot(repo_dir: Path) -> RepoSnapshot:
    """Read the checkout at ``repo_dir``; a missing dir or a non-checkout raises TargetError naming it."""
    root = repo_dir.resolve()
    if not root.is_dir():
        raise TargetError("repository directory not found", path=str(repo_dir))
    try:
        head = _git(root, "rev-parse", "HEAD").strip()
    except TargetError as exc:
        raise TargetError("not a git checkout with at least one commit", path=str(repo_dir)) from exc
    default_branch = _default_branch(root)
    return RepoSnapshot(root=root, default_branch=default_branch, head=head, commits=_read_commits(root),
                        branches=_branches(root, default_branch, head), files=_read_files(root),
                        remote=_remote(root))
