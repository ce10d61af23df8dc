#!/usr/bin/env python3
"""The two set-up commands of the README, with nothing but the standard library.

    python3 tasks.py accept [pytest args...]   # set up .venv, then `pytest features/` (the main job)
    python3 tasks.py test   [pytest args...]   # set up .venv, then ruff, mypy --strict and the whole test suite

Each creates `.venv` and installs the project (editable, with the dev extra) when that has not been done for the
current pyproject.toml, and runs `.ci/install-tools.sh` (Go, skopeo, the distribution registry, actionlint; quiet and
quick when they are present), so a fresh machine with Python 3.11+ needs nothing else. Set
ACCEPTANCE_SKIP_TOOL_INSTALL=1 to leave the tools alone: what needs a missing tool then skips, with the reason.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
STAMP = VENV / ".cicd-acceptance-installed"
LINT_PATHS = ["src", "steps", "tests", "features", "benchmarks", "conftest.py", "tasks.py"]


def _run(*argv: str | Path) -> int:
    print("+", " ".join(str(a) for a in argv), flush=True)
    return subprocess.call([str(a) for a in argv], cwd=ROOT)


def ensure_venv() -> None:
    """Create .venv and install the project once per version of pyproject.toml."""
    if sys.version_info < (3, 11):  # noqa: UP036 - tasks.py runs before any check of the interpreter
        sys.exit(f"cicd-acceptance needs Python 3.11 or newer, this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.is_file() and STAMP.read_text().strip() == wanted and PY.exists():
        return
    if not PY.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if _run(PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", ".[dev]") != 0:
        sys.exit("installing the project into .venv failed (see pip's message above)")
    STAMP.write_text(wanted)


def ensure_tools() -> None:
    """Install the real tools the checks use; a failure is reported, not fatal (those checks skip, and say why)."""
    if os.environ.get("ACCEPTANCE_SKIP_TOOL_INSTALL", "").strip() in {"1", "true", "yes"}:
        return
    if _run("bash", ROOT / ".ci" / "install-tools.sh") != 0:
        print("tasks.py: the tools could not all be installed (see above); checks that need them will skip, "
              "and a skipped criterion is never counted as met", flush=True)


def accept(args: list[str]) -> int:
    return _run(PY, "-m", "pytest", "features/", *args)


def _workers(args: list[str]) -> list[str]:
    """pytest-xdist on every core, unless the arguments choose: most tests wait on child processes (go, git,
    bubblewrap, the emulator), so one process per core halves the suite on two cores."""
    chosen = any(a in ("-n", "--numprocesses", "no:xdist") or a.startswith(("-n", "--numprocesses=")) for a in args)
    return [] if chosen or (os.cpu_count() or 1) < 2 else ["-n", "auto"]


def test(args: list[str]) -> int:
    checks: list[list[str | Path]] = [
        [BIN / "ruff", "check", *LINT_PATHS],
        [BIN / "mypy", "--strict", "src", "steps", "tests", "benchmarks", "conftest.py"],
    ]
    failed = [Path(c[0]).name for c in checks if _run(*c) != 0]
    code = _run(PY, "-m", "pytest", *_workers(args), *args)
    if failed:
        print(f"tasks.py test: {', '.join(failed)} reported problems (see above)", flush=True)
        return code or 1
    return code


def main(argv: list[str]) -> int:
    commands = {"accept": accept, "test": test}
    if not argv or argv[0] not in commands:
        print(__doc__)
        return 2
    ensure_venv()
    ensure_tools()
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
