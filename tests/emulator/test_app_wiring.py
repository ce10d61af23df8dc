"""The whole app wires the registry to the GitHub tokens (the read-only token may pull but not push), answers
with one Date of the emulated clock, and reports a classic token's scopes."""

from __future__ import annotations

import base64
from email.utils import format_datetime

import httpx

from cicd_acceptance.emulator import EmulatorState, EmulatorTransport, ThreadedServer, make_app
from tests.emulator.conftest import READ_ONLY, TOKEN


def _token_for(state: EmulatorState, secret: str, scope: str) -> httpx.Response:
    basic = base64.b64encode(f"user:{secret}".encode()).decode()
    with httpx.Client(transport=EmulatorTransport(make_app(state)), base_url="http://127.0.0.1:5000") as client:
        token = client.get("/token", params={"scope": scope, "service": "127.0.0.1:5000"},
                           headers={"Authorization": f"Basic {basic}"}).json()["token"]
        return client.post("/v2/example/stream-monitor-gateway/blobs/uploads/",
                           headers={"Authorization": f"Bearer {token}"})


def test_read_only_token_cannot_push(state: EmulatorState) -> None:
    scope = "repository:example/stream-monitor-gateway:pull,push"
    assert _token_for(state, TOKEN, scope).status_code == 202
    refused = _token_for(state, READ_ONLY, scope)
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["code"] in {"UNAUTHORIZED", "DENIED"}


def test_every_answer_on_a_socket_has_one_date_of_the_emulated_clock(state: EmulatorState) -> None:
    expected = format_datetime(state.now(), usegmt=True)
    with ThreadedServer(make_app(state)) as server, httpx.Client(base_url=server.url) as client:
        for path in ("/meta", "/v2/", "/_emulator/clock", "/_logs/jobs/1?expires=0"):
            response = client.get(path)
            assert response.headers.get_list("date") == [expected], path


def test_a_classic_token_reports_its_scopes(state: EmulatorState) -> None:
    with httpx.Client(transport=EmulatorTransport(make_app(state)), base_url="https://api.github.com") as client:
        writer = client.get("/", headers={"Authorization": f"token {TOKEN}"})
        reader = client.get("/", headers={"Authorization": f"token {READ_ONLY}"})
    assert writer.headers["x-oauth-scopes"] == "read:org, repo, workflow, write:packages"
    assert reader.headers["x-oauth-scopes"] == "read:packages"
    assert writer.json()["current_user_url"] == "https://api.github.com/user"
