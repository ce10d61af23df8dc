"""Fixtures of the golden tests: one committed template of the sample per session, copied per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
