"""Fixtures for the runner tests: each sandbox this machine offers, and a job workspace in a temporary folder."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cicd_acceptance.runner import BwrapSandbox, JobWorkspace, Limits, Sandbox, UnshareSandbox
from cicd_acceptance.runner.sandbox import _works
from cicd_acceptance.testing.tooling import require_tool, tools_required


def _sandbox(kind: str) -> Sandbox:
    if kind == "bwrap":
        return BwrapSandbox(require_tool("bwrap", why="the runner's isolation (Debian bubblewrap)"))
    sandbox = UnshareSandbox(require_tool("unshare", why="util-linux"), require_tool("bash"))
    reason = _works(sandbox)
    if reason is not None:
        if tools_required():
            pytest.fail(f"{reason} (ACCEPTANCE_REQUIRE_TOOLS=1 makes a missing tool a failure)", pytrace=False)
        pytest.skip(reason)
    return sandbox


@pytest.fixture(params=["bwrap", "unshare"])
def sandbox(request: pytest.FixtureRequest) -> Sandbox:
    return _sandbox(str(request.param))


@pytest.fixture
def bwrap_sandbox() -> Sandbox:
    return _sandbox("bwrap")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "workspace"
    folder.mkdir()
    return folder


@pytest.fixture
def job(workspace: Path, sandbox: Sandbox) -> Iterator[JobWorkspace]:
    """A job in each sandbox this machine offers."""
    with JobWorkspace(workspace, runner_env={"PATH": os.environ.get("PATH", "")}, limits=Limits(timeout_s=30),
                      sandbox=sandbox) as job:
        yield job


def python3() -> str:
    found = shutil.which("python3")
    assert found is not None
    return found
