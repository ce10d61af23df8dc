"""Throw-away git copies of the bundled sample, made fast: one committed template per session, copied per test.

Commits are deterministic (fixed author, committer and dates), so the sample's HEAD has the same SHA in every run;
messages are still normalised (:func:`normalise`) so golden files survive edits to the sample.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cicd_acceptance.plan import Plan
from cicd_acceptance.target import Target, open_target
from cicd_acceptance.workflows.checks.finding import Finding

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = REPO_ROOT / "examples" / "stream-monitor"
REPOSITORY = "example/stream-monitor"
GOLDEN_DIR = Path(__file__).parent / "golden"
VALID_DIR = Path(__file__).parent / "testdata" / "valid"
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "Acceptance Test", "GIT_AUTHOR_EMAIL": "acceptance@example.invalid",
    "GIT_COMMITTER_NAME": "Acceptance Test", "GIT_COMMITTER_EMAIL": "acceptance@example.invalid",
    "GIT_AUTHOR_DATE": "2026-02-02T00:10:00Z", "GIT_COMMITTER_DATE": "2026-02-02T00:10:00Z",
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
}


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` with a fixed identity and dates; failures raise with git's own message."""
    proc = subprocess.run(["git", *args], cwd=repo, env={**os.environ, **_GIT_ENV}, capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed in {repo}: {proc.stderr.strip()}")
    return proc.stdout


def make_template(where: Path) -> Path:
    """Copy the sample to ``where`` and commit it on ``main``."""
    shutil.copytree(SAMPLE, where)
    git(where, "init", "-q", "-b", "main")
    git(where, "add", "-A")
    git(where, "commit", "-q", "-m", "sample")
    return where


def copy_repo(template: Path, where: Path) -> Path:
    shutil.copytree(template, where, symlinks=True)
    return where


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` by ``new`` in ``path`` (``old`` must occur exactly once); ``old=None`` writes the file,
    ``new=None`` deletes it."""

    path: str
    old: str | None
    new: str | None

    def apply(self, repo: Path) -> None:
        target = repo / self.path
        if self.new is None:
            target.unlink()
            return
        if self.old is None:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(self.new, encoding="utf-8")
            return
        text = target.read_text(encoding="utf-8")
        count = text.count(self.old)
        if count != 1:
            raise AssertionError(f"{self.path}: the defect's text occurs {count} times (expected once; has the "
                                 f"sample changed?): {self.old!r}")
        target.write_text(text.replace(self.old, self.new), encoding="utf-8")


def seed(repo: Path, edits: tuple[Edit, ...], *, commit: bool, git_args: tuple[tuple[str, ...], ...] = ()) -> None:
    """Apply ``edits``; with ``commit``, stage everything, run ``git_args`` (e.g. ``rm --cached``) and commit."""
    for edit in edits:
        edit.apply(repo)
    if commit:
        git(repo, "add", "-A")
    for args in git_args:
        git(repo, *args)
    if commit:
        git(repo, "commit", "-q", "--allow-empty", "-m", "seeded change")


def target_of(repo: Path) -> Target:
    return open_target(repo, repository=REPOSITORY)


def normalise(findings: list[Finding], target: Target) -> str:
    """Findings as golden text: SHAs, the copy's path and timings replaced by placeholders."""
    text = "\n".join(str(f) for f in findings)
    text = text.replace(str(target.repo_dir), "<repo>")
    for length in (40, 12, 7):
        text = text.replace(target.head_sha[:length], "<sha>")
    text = text.replace(target.head_sha[:6], "<6 of sha>")  # too short to carry the commit: shown as such
    return re.sub(r"\b\d+\.\d+s\b", "<t>s", text) + ("\n" if text else "")


def default_plan() -> Plan:
    return Plan()


def compare_golden(golden: Path, actual: str) -> None:
    """``actual`` equals the golden file; ``UPDATE_GOLDEN=1`` rewrites it instead (review the diff)."""
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
        return
    assert golden.is_file(), f"no golden file {golden}; run with UPDATE_GOLDEN=1 and review it"
    assert actual == golden.read_text(encoding="utf-8")
