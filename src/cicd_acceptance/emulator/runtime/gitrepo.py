"""The ``.git`` that actions/checkout leaves in the workspace: one commit, the run's, as ``fetch-depth: 1`` gives.

The files are the run's checkout (already in the workspace); the repository is made from them, never fetched from
anywhere: ``git add`` and ``git commit-tree`` make a commit of exactly those files with the run's commit's
message, author and dates, and a replace ref (``refs/replace/<run's sha>``) makes the run's sha stand for it. So
``git rev-parse HEAD`` prints ``GITHUB_SHA`` (even when the target is a folder of a larger repository, or the
commit is one the emulator synthesized), ``git status`` is clean, ``git log`` shows the run's commit, and
``git describe --tags`` finds no tag, as after a default checkout on GitHub. ``git fsck`` is the one command that
sees through it. The refs are those actions/checkout makes: for ``refs/heads/<b>`` a local branch ``<b>`` at
``refs/remotes/origin/<b>``; for a pull request a detached HEAD at ``refs/remotes/pull/<n>/merge``; otherwise a
detached HEAD. ``fetch-depth: 0`` still gets one commit (the history is not emulated).

Git runs with an environment of its own (no system or global config, no ``GIT_DIR`` from the harness), so the
target's ``.gitattributes`` cannot start a filter driver and nothing of the harness's git setup leaks in.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from cicd_acceptance.emulator.github.repo import Commit
from cicd_acceptance.errors import TargetError

__all__ = ["make_repository"]

_SHA = re.compile(r"^[0-9a-f]{40}$")
_GIT_TIMEOUT_S = 60.0
_MAX_OUTPUT = 1 << 16


def _environment(path: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(path), "LC_ALL": "C",
            "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0",
            "GIT_CEILING_DIRECTORIES": str(path.parent)}


def _git(path: Path, *args: str, env: dict[str, str] | None = None) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=path, env={**_environment(path), **(env or {})},
                              capture_output=True, timeout=_GIT_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TargetError(f"git {args[0]} failed: {exc}", path=str(path)) from exc
    if done.returncode != 0:
        detail = done.stderr[:_MAX_OUTPUT].decode("utf-8", errors="replace").strip().splitlines()
        raise TargetError(f"git {args[0]} failed: {detail[-1] if detail else 'no output'}", path=str(path))
    return done.stdout[:_MAX_OUTPUT].decode("utf-8", errors="replace").strip()


def _identity(head: Commit) -> dict[str, str]:
    return {"GIT_AUTHOR_NAME": head.author_name or "unknown", "GIT_AUTHOR_EMAIL": head.author_email,
            "GIT_AUTHOR_DATE": head.author_date.isoformat(), "GIT_COMMITTER_NAME": head.committer_name or "unknown",
            "GIT_COMMITTER_EMAIL": head.committer_email, "GIT_COMMITTER_DATE": head.committer_date.isoformat()}


def _point_head(path: Path, sha: str, ref: str) -> None:
    """HEAD and the remote-tracking ref as actions/checkout leaves them for ``ref``."""
    if ref.startswith("refs/heads/"):
        branch = ref.removeprefix("refs/heads/")
        _git(path, "check-ref-format", "--branch", branch)
        _git(path, "update-ref", f"refs/remotes/origin/{branch}", sha)
        _git(path, "update-ref", f"refs/heads/{branch}", sha)
        _git(path, "symbolic-ref", "HEAD", f"refs/heads/{branch}")
        return
    if ref.startswith("refs/pull/"):
        _git(path, "update-ref", f"refs/remotes/pull/{ref.removeprefix('refs/pull/')}", sha)
    elif ref.startswith("refs/tags/"):
        _git(path, "update-ref", ref, sha)
    _git(path, "update-ref", "--no-deref", "HEAD", sha)


def make_repository(path: Path, head: Commit, *, ref: str, origin: str) -> None:
    """Make ``path`` (the checked-out files) a repository whose HEAD is ``head.sha`` (``GITHUB_SHA``) with
    ``head``'s message, author and dates; see the module docstring.
    Raises TargetError when git is missing or refuses."""
    if not _SHA.fullmatch(head.sha):
        raise TargetError(f"not a commit sha: {head.sha!r}", path=str(path))
    _git(path, "init", "-q", "--template=", ".")
    _git(path, "add", "--all", "--force", ".")  # --force: a tracked file may match .gitignore
    tree = _git(path, "write-tree")
    made = _git(path, "commit-tree", tree, "-m", head.message or head.sha, env=_identity(head))
    if made != head.sha:
        _git(path, "update-ref", f"refs/replace/{head.sha}", made)
    (path / ".git" / "shallow").write_text(head.sha + "\n", encoding="ascii")
    _point_head(path, head.sha, ref)
    _git(path, "config", "remote.origin.url", origin)
