"""A repository's ``.git/config`` as a step may see it: without the credentials a checkout may have left there.

actions/checkout keeps the job's token in ``http.<url>.extraheader`` (``AUTHORIZATION: basic ...``) unless told
``persist-credentials: false``, and remote URLs may carry ``user:password@``. When the harness itself runs in such a
checkout, that token is the harness's: the step gets a copy of the file without those lines, read-only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

__all__ = ["git_config_covers"]

_MAX_CONFIG_BYTES = 1 << 20
_SECRET_LINE = re.compile(r"^\s*extraheader\s*=|AUTHORIZATION", re.IGNORECASE)
_URL_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s]+@", re.IGNORECASE)


def _git_dirs(workspace: Path) -> list[Path]:
    """The ``.git`` folders of the workspace and of the repositories above it (a target inside a repository)."""
    found = []
    for folder in (workspace, *workspace.parents):
        candidate = folder / ".git"
        if candidate.is_dir() and not candidate.is_symlink():
            found.append(candidate)
            break
    return found


def git_config_covers(workspace: Path, scratch: Path, git_dirs: Sequence[Path] = ()) -> dict[Path, Path]:
    """``{config file: cleaned copy in scratch}`` for each git config near ``workspace``, or in ``git_dirs`` (the
    caller's, never a path the target names), that holds a credential."""
    covers: dict[Path, Path] = {}
    for index, git_dir in enumerate(dict.fromkeys([*_git_dirs(workspace), *git_dirs])):
        config = git_dir / "config"
        try:
            if config.is_symlink() or not config.is_file():
                continue
            with config.open("rb") as handle:
                data = handle.read(_MAX_CONFIG_BYTES + 1)
        except OSError:
            continue
        text = data[:_MAX_CONFIG_BYTES].decode("utf-8", errors="replace")
        cleaned = "".join(_URL_USERINFO.sub(r"\g<scheme>", line) for line in text.splitlines(keepends=True)
                          if not _SECRET_LINE.search(line))
        if cleaned != text or len(data) > _MAX_CONFIG_BYTES:
            copy = scratch / f"git-config-{index}"
            copy.write_text(cleaned, encoding="utf-8")
            covers[config] = copy
    return covers
