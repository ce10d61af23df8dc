"""The whole app wires the registry to the GitHub tokens: the read-only token may pull but not push."""

from __future__ import annotations

import base64

import httpx

from cicd_acceptance.emulator import EmulatorState, EmulatorTransport, make_app
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
