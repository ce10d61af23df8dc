"""A throwaway git checkout for the hostile-input tests (the target under attack)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git_repo(path: Path, files: dict[str, str] | None = None, remote: str = "https://github.com/o/r") -> Path:
    """A git checkout at ``path`` with ``files`` committed and an ``origin`` remote."""
    path.mkdir(parents=True, exist_ok=True)

    def run(*args: str) -> None:
        subprocess.run(["git", *args], cwd=path, check=True, capture_output=True, timeout=30)

    run("init", "-q", "-b", "main")
    for rel, text in {"README": "x\n", **(files or {})}.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_text(text, encoding="utf-8")
    run("add", "-A")
    run("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "init")
    run("remote", "add", "origin", remote)
    return path
