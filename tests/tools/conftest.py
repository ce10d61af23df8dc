"""Fixtures for the tests of cicd_acceptance.tools: the bundled sample and a tool lookup that sees ./.tools/bin."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from cicd_acceptance.testing.tooling import require_tool
from cicd_acceptance.tools import tool_search_path

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = REPO_ROOT / "examples" / "stream-monitor"
SAMPLE_WORKFLOWS = (".github/workflows/ci.yml", ".github/workflows/build-images.yml")


@pytest.fixture
def sample() -> Path:
    """The bundled sample target, read in place (tests that write copy it first)."""
    return SAMPLE


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A private copy of the sample that a test may change."""
    target = tmp_path / "stream-monitor"
    shutil.copytree(SAMPLE, target)
    return target


@pytest.fixture
def need_tool() -> Callable[[str], str]:
    """``need_tool("zizmor")``: skip (or fail under ACCEPTANCE_REQUIRE_TOOLS=1) unless the tool is found where
    :func:`cicd_acceptance.tools.find_tool` looks (PATH, the interpreter's scripts folder, ./.tools/bin)."""

    def need(name: str) -> str:
        __tracebackhide__ = True
        return require_tool(name, path=tool_search_path())

    return need

