"""The checkout being accepted: where it is, which commit it is at, and what git says about its files.

The target may be a whole repository or a folder inside one (the bundled sample lives in
``examples/stream-monitor/`` of this repository), so every git question is asked relative to the target folder.

The target's own git configuration is hostile input: ``git status`` or ``git diff`` would run the command its
``core.fsmonitor`` or a ``filter.<name>.clean`` names, in the harness's process, next to its credentials. So only
plumbing that reads objects, the index and refs is asked (never with hooks or fsmonitor), and a working-tree file
is compared with HEAD by hashing its bytes here (:meth:`Target.uncommitted`).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cicd_acceptance.errors import TargetError, ToolMissing, WorkflowLoadError
from cicd_acceptance.targetfiles import read_regular_file

__all__ = ["SAFE_GIT_OPTIONS", "Target", "git_options_without_filters", "open_target", "parse_github_remote"]

_GIT_TIMEOUT_S = 20
# Whatever the target's .git/config says: no fsmonitor command, no hooks, no signature program, no index write,
# paths taken literally.
SAFE_GIT_OPTIONS = ("-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-c", "log.showSignature=false",
                    "--no-optional-locks", "--literal-pathspecs")
_MAX_FILTERS = 64
_MAX_COMPARED_BYTES = 16 * 1024 * 1024  # a larger working-tree file counts as changed
# https://github.com/o/r(.git), git@github.com:o/r(.git), ssh://git@host/o/r(.git), https://ghes.example/o/r
_REMOTE_RE = re.compile(r"^(?:[a-z+]+://)?(?:[^@/]+@)?[^/:]+[:/](?P<owner>[A-Za-z0-9_.-]+)/(?P<name>[A-Za-z0-9_.-]+?)"
                        r"(?:\.git)?/?$")


def _git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    git = shutil.which("git")
    if git is None:
        raise ToolMissing("git is not installed; the target's git facts cannot be read", tool="git")
    try:
        proc = subprocess.run([git, *SAFE_GIT_OPTIONS, *args], cwd=cwd, capture_output=True, text=True,
                              errors="surrogateescape", timeout=_GIT_TIMEOUT_S, check=False)
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
        """Which of ``rels`` differ from HEAD (staged, modified, deleted or untracked), with the code ``git status
        --porcelain`` would give (``M``, ``A``, ``D``, ``MM``, ``UU``, ``??``; blanks dropped).

        Decided from the HEAD tree, the index and the files' bytes (see the module docstring): a clean filter or
        an end-of-line conversion the target configures is not applied, so such a file counts as changed.
        """
        paths = {self.git_path(r): r for r in rels}
        if not paths:
            return {}
        object_format = _git(self.git_root, "rev-parse", "--show-object-format").stdout.strip() or "sha1"
        head = _entries(_git(self.git_root, "ls-tree", "-z", "HEAD", "--", *paths).stdout, oid_field=2)
        index = _entries(_git(self.git_root, "ls-files", "-z", "--stage", "--", *paths).stdout, oid_field=1)
        changed: dict[str, str] = {}
        for path, rel in paths.items():
            code = _status(head.get(path), index.get(path), _worktree_oid(self.git_root / path, object_format, rel))
            if code:
                changed[rel] = code
        return changed

    def matches_head(self, rel: str) -> bool:
        """True when the working-tree copy of ``rel`` equals HEAD (committed, not just present)."""
        return rel not in self.uncommitted([rel])

    def remote_repository(self) -> str | None:
        """``owner/name`` parsed from the ``origin`` remote, if it names a hosted repository."""
        proc = _git(self.git_root, "remote", "get-url", "origin", check=False)
        return parse_github_remote(proc.stdout) if proc.returncode == 0 else None


def git_options_without_filters(cwd: Path) -> list[str]:
    """:data:`SAFE_GIT_OPTIONS` plus an empty command for every ``filter.<name>`` driver the target configures, for
    git commands that convert file contents (``git archive`` runs smudge filters): the target's attributes may
    name any driver, but only a configured one runs a command. More than a few dozen drivers is refused."""
    listing = _git(cwd, "config", "-z", "--get-regexp", r"^filter\.", check=False).stdout
    drivers = {record.partition("\n")[0].rsplit(".", 1)[0] for record in listing.split("\0") if "\n" in record}
    if len(drivers) > _MAX_FILTERS:
        raise TargetError(f"the git configuration names {len(drivers)} filter drivers; refusing to read the "
                          f"checkout", path=str(cwd))
    options = list(SAFE_GIT_OPTIONS)
    for driver in sorted(drivers):
        options += [part for var in ("clean", "smudge", "process") for part in ("-c", f"{driver}.{var}=")]
    return options


def _entries(listing: str, *, oid_field: int) -> dict[str, str]:
    """``path -> object id`` of ``ls-tree -z`` (oid_field 2) or ``ls-files -z --stage`` (oid_field 1) output; an
    unmerged path (stage 1-3) maps to ``"unmerged"``."""
    found: dict[str, str] = {}
    for record in listing.split("\0"):
        meta, tab, path = record.partition("\t")
        fields = meta.split()
        if not tab or len(fields) < 3:
            continue
        unmerged = oid_field == 1 and fields[2] != "0"
        found[path] = "unmerged" if unmerged else fields[oid_field]
    return found


def _worktree_oid(path: Path, object_format: str, rel: str) -> str | None:
    """The blob id git would store for ``path`` as it is (a symlink: its target), ``""`` when it cannot be one
    (a directory, a FIFO, too large), None when absent. The file is only hashed, never shown."""
    try:
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            data = os.fsencode(os.readlink(path))
        elif stat.S_ISREG(mode):
            data = read_regular_file(path, display_path=rel, max_bytes=_MAX_COMPARED_BYTES)
        else:
            return ""
    except FileNotFoundError:
        return None
    except (OSError, WorkflowLoadError):
        return ""
    digest = hashlib.new("sha256" if object_format == "sha256" else "sha1")
    digest.update(b"blob %d\0" % len(data))
    digest.update(data)
    return digest.hexdigest()


def _status(head: str | None, index: str | None, worktree: str | None) -> str:
    """``git status --porcelain``'s code for one path from its HEAD, index and working-tree object ids."""
    if "unmerged" in (head, index):
        return "UU"
    if index is None:
        if head is None:
            return "??" if worktree is not None else ""
        return "D"  # removed from the index (a copy left in the working tree is untracked)
    staged = "A" if head is None else ("M" if head != index else "")
    unstaged = "D" if worktree is None else ("M" if worktree != index else "")
    return f"{staged or ' '}{unstaged or ' '}".strip()


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
