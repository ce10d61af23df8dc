"""Fault injection, in-process and on a real socket: server errors, secondary and primary rate limits, connection
resets, slow responses, and the control API that adds them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from cicd_acceptance.emulator import EmulatorConfig, EmulatorState, EmulatorTransport, ThreadedServer, make_app
from cicd_acceptance.emulator.faults import Fault, FaultSet, parse_fault_spec
from cicd_acceptance.errors import ConfigError
from tests.emulator.conftest import TOKEN

REPO = "/repos/example/stream-monitor"


def test_spec_grammar() -> None:
    assert parse_fault_spec("GET /repos/*/actions/runs/*:503x2") == Fault("GET", "/repos/*/actions/runs/*", "503",
                                                                            count=2)
    assert parse_fault_spec("* /v2/*:slow=2.5@3") == Fault("*", "/v2/*", "slow", value=2.5, skip=3)
    assert parse_fault_spec("get /x:429=7").retry_after == 7


@pytest.mark.parametrize(("spec", "message"), [
    ("GET /x:418", "unknown fault kind '418'"),
    ("GET /x:slow", "needs a value"),
    ("FETCH /x:500", "unknown HTTP method 'FETCH'"),
    ("GET x:500", "must start with '/'"),
    ("nonsense", "expected 'METHOD /path/pattern:KIND"),
    ("GET /x:slow=1.2.3", "could not convert string to float: '1.2.3'"),
])
def test_bad_specs_name_the_problem(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match="--fault: bad fault spec") as caught:
        parse_fault_spec(spec)
    assert message in str(caught.value)


def test_a_fault_built_in_code_with_a_bad_field_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown fault kind '418'") as caught:
        Fault("GET", "/x", "418")
    assert not isinstance(caught.value, ConfigError)


def test_count_and_skip_select_calls() -> None:
    faults = FaultSet()
    faults.add("GET /a/*:500x2@1")
    kinds = [fault.kind if (fault := faults.take("GET", "/a/b")) else None for _ in range(5)]
    assert kinds == [None, "500", "500", None, None]
    assert faults.take("POST", "/a/b") is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_then_recovery(state: EmulatorState, client: httpx.Client, status: int) -> None:
    state.add_fault(f"GET /repos/*/actions/runs:{status}x2")
    codes = [client.get(f"{REPO}/actions/runs").status_code for _ in range(3)]
    assert codes == [status, status, 200]
    assert state.requests.snapshot()["by_route"] == {"GET /repos/{owner}/{repo}/actions/runs": 3}
    assert client.get(f"{REPO}/actions/runs").json()["total_count"] == 3


@pytest.mark.parametrize("status", [429, 403])
def test_secondary_rate_limit_with_retry_after(state: EmulatorState, client: httpx.Client, status: int) -> None:
    state.add_fault(f"GET /repos/*:{status}=30x1")
    response = client.get(REPO)
    assert (response.status_code, response.headers["retry-after"]) == (status, "30")
    assert "secondary rate limit" in response.json()["message"]
    assert client.get(REPO).status_code == 200


def test_primary_limit_exhaustion(state: EmulatorState, client: httpx.Client) -> None:
    state.add_fault("GET /repos/*/actions/runs:primaryx1")
    response = client.get(f"{REPO}/actions/runs")
    assert response.status_code == 403
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert int(response.headers["x-ratelimit-reset"]) > int(state.now().timestamp())
    assert "API rate limit exceeded" in response.json()["message"]
    assert client.get("/rate_limit").json()["rate"]["remaining"] == 0
    state.advance(3600)  # the window resets
    assert client.get(REPO).status_code == 200


def test_slow_response_uses_the_injected_sleep(sample_repo: Path) -> None:
    slept: list[float] = []
    state = EmulatorState(sample_repo, EmulatorConfig(speed=0, token=TOKEN), sleep=slept.append)
    state.add_fault("GET /meta:slow=2.5x1")
    with httpx.Client(transport=EmulatorTransport(make_app(state)), base_url="https://api.github.com") as client:
        assert client.get("/meta").status_code == 200
        assert client.get("/meta").status_code == 200
    assert slept == [2.5]


def test_connection_reset_in_process(state: EmulatorState, client: httpx.Client) -> None:
    state.add_fault("GET /repos/*:resetx1")
    with pytest.raises(httpx.ReadError):
        client.get(REPO)
    assert client.get(REPO).status_code == 200


def test_faults_apply_to_the_registry_too(state: EmulatorState, client: httpx.Client) -> None:
    state.add_fault("GET /v2/*:503x1")
    assert client.get("/v2/").status_code == 503
    assert client.get("/v2/").status_code == 401  # the registry's bearer challenge
    assert state.requests.snapshot()["by_route"] == {"GET /v2/": 2}


def test_connection_reset_on_a_real_socket(state: EmulatorState) -> None:
    state.add_fault("GET /repos/*:resetx1")
    with ThreadedServer(make_app(state)) as server, httpx.Client(base_url=server.url) as client:
        with pytest.raises(httpx.TransportError):
            client.get(REPO, headers={"Authorization": f"token {TOKEN}"})
        assert client.get(REPO, headers={"Authorization": f"token {TOKEN}"}).status_code == 200


def test_control_api(state: EmulatorState, client: httpx.Client) -> None:
    assert client.post("/_emulator/faults", json={"spec": "GET /meta:500x1"}).status_code == 200
    assert client.get("/meta").status_code == 500
    bad = client.post("/_emulator/faults", json={"spec": "GET /meta:999"})
    assert bad.status_code == 400
    assert "unknown fault kind '999'" in bad.json()["message"]
    run = client.post("/_emulator/dispatch", json={"workflow": "build-images.yml"}).json()
    assert client.post(f"/_emulator/runs/{run['id']}/outcome",
                       json={"conclusion": "failure", "job": "build (worker)"}).status_code == 200
    assert client.post("/_emulator/clock", json={"advance": 120}).json()["now"] == "2026-03-02T09:02:00Z"
    summary = next(r for r in client.get("/_emulator/runs").json()["runs"] if r["id"] == run["id"])
    assert (summary["status"], summary["conclusion"]) == ("completed", "failure")
    planned = client.post("/_emulator/outcomes", json={"workflow": "build-images.yml", "conclusion": "cancelled"})
    assert planned.is_success
    assert client.post("/_emulator/images", json={"name": "example/extra", "tags": ["v1"]}).is_success
    assert state.registry.tags("example/extra") == ["v1"]
    seeded = client.post("/_emulator/runs", json={"workflow": "ci.yml", "event": "pull_request", "branch": "main",
                                                  "conclusion": "failure", "job": "test"}).json()
    assert (seeded["status"], seeded["conclusion"], seeded["event"]) == ("completed", "failure", "pull_request")
    unknown = client.post("/_emulator/runs", json={"workflow": "nope.yml"})
    assert unknown.status_code == 404
    assert "no workflow 'nope.yml' in the repository" in unknown.json()["message"]
    log = client.get("/_emulator/requests").json()
    assert log == {"total": 1, "counted": 0, "not_modified": 0, "by_route": {"GET /meta": 1}}
    assert client.post("/_emulator/reset").is_success
    assert client.get("/_emulator/requests").json()["total"] == 0
    assert client.get("/_emulator/faults").json() == {"faults": []}
    assert client.get("/_emulator/nope").status_code == 404


def test_concurrent_dispatches_on_a_threaded_server_get_distinct_runs(state: EmulatorState) -> None:
    from concurrent.futures import ThreadPoolExecutor

    url = f"{REPO}/actions/workflows/build-images.yml/dispatches"
    with ThreadedServer(make_app(state)) as server, httpx.Client(
            base_url=server.url, headers={"Authorization": f"token {TOKEN}"},
            limits=httpx.Limits(max_connections=8)) as client:
        def dispatch(_: int) -> int:
            response = client.post(url, json={"ref": "main", "return_run_details": True})
            assert response.status_code == 200, response.text
            run_id: int = response.json()["workflow_run_id"]
            return run_id

        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(dispatch, range(24)))
    assert len(set(ids)) == 24
    numbers = sorted(run.run_number for run in state.github.runs if run.event == "workflow_dispatch")
    assert numbers == list(range(2, 26))  # run 1 is the seeded push build
    assert state.requests.snapshot()["counted"] == 24
