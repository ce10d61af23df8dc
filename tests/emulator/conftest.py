"""Fixtures for the emulator's tests: a sample checkout, a state on a stopped clock, an in-process client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cicd_acceptance.emulator import EmulatorConfig, EmulatorState, EmulatorTransport, make_app
from cicd_acceptance.emulator.github.graphql_schema import DEFAULT_SCHEMA_PATH
from cicd_acceptance.testing.tooling import tools_required
from tests.emulator.sample_repo import make_sample_repo

TOKEN = "ghp_emulatortesttoken0000000000000000"
READ_ONLY = "ghp_readonlytoken000000000000000000000"


@pytest.fixture(scope="session")
def sample_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sample_repo(tmp_path_factory.mktemp("emulator-repo"))


@pytest.fixture
def state(sample_repo: Path) -> Iterator[EmulatorState]:
    emulator = EmulatorState(sample_repo, EmulatorConfig(speed=0, token=TOKEN, read_only_token=READ_ONLY),
                             sleep=lambda _s: None)
    yield emulator
    # Handler bugs are answered with a 500 and executor problems are only recorded: surface both here.
    assert emulator.internal_errors == []
    assert emulator.executor.errors == []


@pytest.fixture
def client(state: EmulatorState) -> Iterator[httpx.Client]:
    with httpx.Client(transport=EmulatorTransport(make_app(state)), base_url="https://api.github.com",
                      headers={"Authorization": f"Bearer {TOKEN}", "Accept": "application/vnd.github+json"}) as c:
        yield c


@pytest.fixture
def graphql_schema() -> Path:
    """GitHub's GraphQL schema as .ci/install-tools.sh installs it; skips (fails under
    ACCEPTANCE_REQUIRE_TOOLS=1) when it is absent."""
    if not DEFAULT_SCHEMA_PATH.is_file():
        reason = f"GitHub's GraphQL schema is not installed at {DEFAULT_SCHEMA_PATH} (run .ci/install-tools.sh)"
        if tools_required():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return DEFAULT_SCHEMA_PATH
