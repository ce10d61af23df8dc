"""Fixtures for the tests of cicd_acceptance.tools: the bundled sample, read in place or copied."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

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
