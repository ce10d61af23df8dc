"""The live plugin in live mode ``github``: settings used as resolved, clients on the injected transports.

A child pytest (pytester) accepts the bundled sample with ``GITHUB_TOKEN`` set, so the live mode is ``github`` with
``https://api.github.com`` and ``ghcr.io``; its conftest overrides the ``live_transports`` fixture with an
in-process emulator (no network), and reports how many runs the emulator created for dispatches.
"""

from __future__ import annotations

import json
import shutil
import tomllib

import pytest

from tests.live.acceptance_emulated import ROOT, SAMPLE, TOKEN

pytest_plugins = ["pytester"]

# The project's own markers, so a new Gherkin tag in features/ cannot pass here unregistered or fail here only.
_MARKERS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"][
    "markers"]
PYPROJECT = f"""
[tool.pytest.ini_options]
bdd_features_base_dir = "features/"
addopts = ["--strict-markers"]
filterwarnings = ["error"]
markers = {_MARKERS!r}
"""

CONFTEST = f"""
import os
from pathlib import Path

import pytest

from cicd_acceptance.emulator import EmulatorConfig, EmulatorState, EmulatorTransport, make_app
from cicd_acceptance.emulator.github.runs import Timings
from cicd_acceptance.live.emulated import LiveTransports

pytest_plugins = ["cicd_acceptance.testing.plugin", "cicd_acceptance.testing.live_plugin",
                  "cicd_acceptance.testing.evidence_plugin", "steps.live_steps"]

STATE = EmulatorState(Path({str(SAMPLE)!r}), EmulatorConfig(token={TOKEN!r}, speed=60,
                      timings=Timings(visibility_delay=0, queued=5, job=40)))


def github_like(app):
    # The emulator's GitHub API and registry without its control API: a GitHub-like server that does not say
    # it is the emulator (what any other server, GitHub included, answers on /_emulator/ is a 404).
    def serve(environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/_emulator"):
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b'{{"message": "Not Found"}}']
        return app(environ, start_response)
    return serve


@pytest.fixture(scope="session")
def live_transports():
    app = make_app(STATE)
    if os.environ.get("HIDE_EMULATOR") == "1":
        app = github_like(app)
    return LiveTransports(github=EmulatorTransport(app), registry=EmulatorTransport(app))


def pytest_sessionfinish(session):
    runs = [run for run in STATE.github.runs if run.event == "workflow_dispatch"]
    print(f"\\nDISPATCHED_RUNS={{len(runs)}}")
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.makefile(".toml", pyproject=PYPROJECT)
    pytester.makeconftest(CONFTEST)
    shutil.copytree(ROOT / "features" / "live", pytester.path / "features" / "live")
    shutil.copy(ROOT / "features" / "test_features.py", pytester.path / "features" / "test_features.py")
    monkeypatch.setenv("PYTHONPATH", f"{ROOT}:{ROOT / 'src'}")
    return pytester


def test_github_mode_uses_the_settings_and_the_injected_transports(project: pytest.Pytester,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    result = project.runpytest_subprocess("features/", "-p", "no:cacheprovider", "--repo-dir", str(SAMPLE), "-rfEs")
    output = result.stdout.str()
    assert "live: https://api.github.com [default], registry ghcr.io" in output
    result.assert_outcomes(passed=7)
    assert "DISPATCHED_RUNS=1" in output
    # The API answers the emulator's control endpoint, so this is a rehearsal, whatever the settings say.
    assert output.splitlines()[-1] == "REHEARSAL MET"
    assert result.ret == 0
    assert TOKEN not in output + result.stderr.str()


def test_a_github_like_server_that_is_not_the_emulator_gives_acceptance(project: pytest.Pytester,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("HIDE_EMULATOR", "1")
    result = project.runpytest_subprocess("features/", "-p", "no:cacheprovider", "--repo-dir", str(SAMPLE), "-rfEs",
                                          "--evidence-dir", "ev")
    output = result.stdout.str()
    result.assert_outcomes(passed=7)
    assert output.splitlines()[-1] == "ACCEPTANCE MET", output
    assert result.ret == 0
    doc = json.loads((project.path / "ev" / "evidence.json").read_text())
    assert (doc["verdict"]["status"], doc["verdict"]["rehearsal"], doc["verdict"]["accepted"]) == (
        "met", False, True)
    servers = [e["data"] for s in doc["scenarios"] for e in s["evidence"] if e["kind"] == "server"]
    assert {server["kind"] for server in servers} == {"github"}
    # The token is a user's: correlation knows whose dispatch is ours from GET /user.
    assert {(server["actor"], server["actor_source"]) for server in servers} == {("example", "GET /user")}
    assert TOKEN not in output + result.stderr.str()


def test_a_wrong_token_fails_every_live_scenario_with_one_line(project: pytest.Pytester,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "not-the-emulator-token-0000")
    result = project.runpytest_subprocess("features/", "-p", "no:cacheprovider", "--repo-dir", str(SAMPLE), "-rfEs")
    output = result.stdout.str()
    result.assert_outcomes(failed=7)
    assert "cannot open the live session: GET https://api.github.com/repos/example/stream-monitor/branches/main" \
        " -> 401" in output
    assert "DISPATCHED_RUNS=0" in output
    assert "Traceback" not in output
    assert "not-the-emulator-token-0000" not in output
