"""Fixtures of the golden tests: one committed template of the sample per session, copied per test."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from cicd_acceptance.testing.tooling import require_tool
from cicd_acceptance.tools import tool_search_path
from tests.static.repos import copy_repo, make_template


@pytest.fixture(autouse=True)
def go_cache_across_copies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test builds a copy of the sample in a new folder; without -trimpath Go's build and test caches key on
    that folder and recompile everything (~2 s per copy), with it the copies share one cache entry."""
    flags = os.environ.get("GOFLAGS", "")
    if "-trimpath" not in flags.split():
        monkeypatch.setenv("GOFLAGS", f"{flags} -trimpath".strip())


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample, committed once on ``main``; tests copy it (cheaper than a git init + commit each)."""
    return make_template(tmp_path_factory.mktemp("template") / "stream-monitor")


@pytest.fixture
def sample_repo(sample_template: Path, tmp_path: Path) -> Path:
    """A private committed copy of the sample for one test."""
    return copy_repo(sample_template, tmp_path / "stream-monitor")


@pytest.fixture
def need_tools() -> Callable[..., None]:
    """``need_tools("actionlint", "go")``: skip (fail under ACCEPTANCE_REQUIRE_TOOLS=1) unless all are found."""

    def need(*names: str) -> None:
        __tracebackhide__ = True
        for name in names:
            require_tool(name, path=tool_search_path())

    return need
