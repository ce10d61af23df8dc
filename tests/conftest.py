"""Shared test fixtures: hermetic environment for the tests of the harness itself."""

from __future__ import annotations

import os

import pytest

_LEAKY = ("GITHUB_TOKEN", "GH_TOKEN", "GITHUB_REPOSITORY", "GITHUB_API_URL", "GITHUB_ACTOR", "GITHUB_STEP_SUMMARY",
          "GITHUB_ACTIONS")


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never see the developer's or CI's GitHub credentials or ACCEPTANCE_* settings.

    That includes a logged-in GitHub CLI: config falls back to ``gh auth token``, so gh is pointed at an empty
    configuration folder, and a child ``pytest features/`` cannot turn into a run against real GitHub.
    """
    monkeypatch.setenv("GH_CONFIG_DIR", str(tmp_path_factory.getbasetemp() / "empty-gh-config"))
    for name in list(os.environ):
        if name in _LEAKY or (name.startswith("ACCEPTANCE_") and name != "ACCEPTANCE_REQUIRE_TOOLS"):
            monkeypatch.delenv(name)


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytester, whose child runs leave hypothesis's pytest plugin out, as the project's own runs do (addopts).

    An in-process child shares this interpreter: when it loads that plugin after an earlier test imported hypothesis
    and generated examples, hypothesis reports the generation as a start-up side effect, and under
    ``filterwarnings = error`` that warning stops the child.
    """
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:hypothesispytest")  # after pytester cleared the outer options
    return pytester
