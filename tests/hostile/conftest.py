"""Fixtures of the hostile-input tests: a private committed copy of the bundled sample per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.static.repos import copy_repo, make_template


@pytest.fixture(scope="session")
def hostile_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("hostile-template") / "stream-monitor")


@pytest.fixture
def sample_repo(hostile_template: Path, tmp_path: Path) -> Path:
    return copy_repo(hostile_template, tmp_path / "stream-monitor")
