"""The checkout being accepted: where it is, which commit it is at, and what git says about its files.

The target may be a whole repository or a folder inside one (the bundled sample lives in
``examples/stream-monitor/`` of this repository), so every git question is asked relative to the target folder.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cicd_acceptance.errors import TargetError, ToolMissing

__all__ = ["Target", "open_target", "parse_github_remote"]

_GIT_TIMEOUT_S = 20
# https://github.com/o/r(.git), git@github.com:o/r(.git), ssh://git@host/o/r(.git), https://ghes.example/o/r
_REMOTE_RE = re.compile(r"^(?:[a-z+]+://)?(?:[^@/]+@)?[^/:]+[:/](?P<owner>[A-Za-z0-9_.-]+)/(?P<name>[A-Za-z0-9_.-]+?)"
                        r"(?:\.git)?/?$")


def _git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    git = shutil.which("git")
    if git is None:
        raise ToolMissing("git is not installed; the target's git facts cannot be read", tool="git")
    try:
        proc = subprocess.run([git, *args], cwd=cwd, capture_output=True, text=True, timeout=_GIT_TIMEOUT_S,
                              check=False)
    except subprocess.TimeoutExpired:
        raise TargetError(f"git {' '.join(args)} did not finish within {_GIT_TIMEOUT_S} s", path=str(cwd)) from None
    if check and proc.returncode != 0:
        raise TargetError(f"git {' '.join(args)} failed: {proc.stderr.strip() or proc.stdout.strip()}", path=str(cwd))
    return proc


def parse_github_remote(url: str) -> str | None:
    """``owner/name`` from a git remote URL, or None when the URL is not of a hosted repository (a local path)."""
    text = url.strip()
    if not text or text.startswith(("/", ".", "file:")):
        return None
    match = _REMOTE_RE.match(text)
    return f"{match['owner']}/{match['name']}" if match else None


@dataclass(frozen=True)
class Target:
    """A checkout to accept. ``prefix`` is the target folder relative to the git top level ('' at the root).

    ``repository`` is ``owner/name`` as resolved by :mod:`cicd_acceptance.config` (option, env, remote, default).
    ``commit_date`` is HEAD's committer date (None: not known, e.g. a date git prints that Python cannot read).
    """

    repo_dir: Path
    git_root: Path
    prefix: str
    head_sha: str
    branch: str | None
    repository: str = ""
    commit_date: datetime | None = None

    def git_path(self, rel: str) -> str:
        """Path of ``rel`` (relative to the target) as git names it (relative to the top level)."""
        return f"{self.prefix}{rel}"

    def is_tracked_at_head(self, rel: str) -> bool:
        """True when ``rel`` exists in the HEAD commit."""
        proc = _git(self.git_root, "cat-file", "-e", f"HEAD:{self.git_path(rel)}", check=False)
        return proc.returncode == 0

    def uncommitted(self, rels: Sequence[str]) -> dict[str, str]:
        """Which of ``rels`` differ from HEAD (staged, modified, deleted or untracked), with git's status code."""
        paths = [self.git_path(r) for r in rels]
        proc = _git(self.git_root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *paths)
        changed: dict[str, str] = {}
        for entry in proc.stdout.split("\0"):
            if len(entry) > 3:
                changed[entry[3:][len(self.prefix):]] = entry[:2].strip()
        return changed

    def matches_head(self, rel: str) -> bool:
        """True when the working-tree copy of ``rel`` equals HEAD (committed, not just present)."""
        return rel not in self.uncommitted([rel])

    def remote_repository(self) -> str | None:
        """``owner/name`` parsed from the ``origin`` remote, if it names a hosted repository."""
        proc = _git(self.git_root, "remote", "get-url", "origin", check=False)
        return parse_github_remote(proc.stdout) if proc.returncode == 0 else None


def open_target(repo_dir: Path, repository: str = "") -> Target:
    """Check that ``repo_dir`` is a readable git checkout with a commit, and read its git facts once."""
    if not repo_dir.exists():
        raise TargetError("no such directory (check --repo-dir / ACCEPTANCE_REPO_DIR)", path=str(repo_dir))
    if not repo_dir.is_dir():
        raise TargetError("not a directory (check --repo-dir / ACCEPTANCE_REPO_DIR)", path=str(repo_dir))
    resolved = repo_dir.resolve()
    probe = _git(resolved, "rev-parse", "--show-toplevel", "--show-prefix", check=False)
    if probe.returncode != 0:
        raise TargetError("not a git checkout (no .git in it or any parent): the acceptance needs the committed "
                          "state", path=str(repo_dir))
    top, _, prefix = probe.stdout.partition("\n")
    head = _git(resolved, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False)
    if head.returncode != 0:
        raise TargetError("the git checkout has no commit yet", path=str(repo_dir))
    branch = _git(resolved, "symbolic-ref", "--quiet", "--short", "HEAD", check=False).stdout.strip() or None
    sha = head.stdout.strip()
    return Target(repo_dir=resolved, git_root=Path(top.strip()), prefix=prefix.strip(), head_sha=sha,
                  branch=branch, repository=repository, commit_date=_commit_date(resolved, sha))


def _commit_date(cwd: Path, sha: str) -> datetime | None:
    """The committer date of ``sha`` (``%cI``: strict ISO 8601 with its offset); None when git's answer is not a
    date Python accepts (a hand-made commit can carry an offset of +99:99)."""
    stamp = _git(cwd, "show", "-s", "--no-show-signature", "--format=%cI", sha, "--").stdout.strip()
    try:
        return datetime.fromisoformat(stamp[:64])
    except ValueError:
        return None
