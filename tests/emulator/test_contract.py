"""Contract tests: every response of every operation in github-rest-subset.json validates against GitHub's own
OpenAPI description (openapi-core), errors included. Statuses the description does not list for an operation
(e.g. 404 on a run) are validated against its ``basic-error`` schema, which is what GitHub sends for them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_schema_validator import OAS30Validator
from werkzeug.test import Client, EnvironBuilder, TestResponse
from werkzeug.wrappers import Request

from cicd_acceptance.emulator import EmulatorConfig, EmulatorState, make_app
from tests.emulator.conftest import READ_ONLY, TOKEN

# GitHub's own OpenAPI description of the 42 operations the emulator serves (from @octokit/openapi).
SPEC_PATH = Path(__file__).resolve().parent / "data" / "github-rest-subset.json"
REPO = "/repos/example/stream-monitor"


def _spec() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    _allow_null_in_nullable_enums(data)
    _drop_discriminator_over_an_array(data)
    return data


def _drop_discriminator_over_an_array(spec: dict[str, Any]) -> None:
    """``GET .../contents/{path}`` is a oneOf of a directory (an *array*) and file kinds, with a discriminator on
    ``type``; a discriminator only works on objects, so validators reject every directory listing GitHub sends.
    Without it, the plain oneOf still decides between the four shapes."""
    content = spec["paths"]["/repos/{owner}/{repo}/contents/{path}"]["get"]["responses"]["200"]["content"]
    content["application/json"]["schema"].pop("discriminator", None)


def _allow_null_in_nullable_enums(node: object) -> None:
    """GitHub marks e.g. ``job.conclusion`` ``nullable: true`` with an ``enum`` lacking null and sends ``null``
    for unfinished jobs; OpenAPI 3.0.3 says such an enum must list null itself, so validators reject GitHub's own
    responses. We add the null the description means; nothing else in the description is changed."""
    if isinstance(node, dict):
        if node.get("nullable") is True and isinstance(node.get("enum"), list) and None not in node["enum"]:
            node["enum"].append(None)
        for value in node.values():
            _allow_null_in_nullable_enums(value)
    elif isinstance(node, list):
        for value in node:
            _allow_null_in_nullable_enums(value)


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return _spec()


@pytest.fixture(scope="module")
def openapi(spec: dict[str, Any]) -> OpenAPI:
    # GitHub documents x-ratelimit-reset as format "timestamp" (epoch seconds), unknown to the validator.
    def epoch(value: object) -> bool:
        return str(value).isdigit()

    config = Config(extra_format_validators={"timestamp": epoch}, extra_format_unmarshallers={"timestamp": int})
    return OpenAPI.from_dict(spec, config=config)


def _operations(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in spec["paths"].items() for method in item
            if method in {"get", "post", "put", "patch", "delete"}}


class Contract:
    """Sends requests to the app and validates each response; remembers which operations were exercised."""

    def __init__(self, state: EmulatorState, openapi: OpenAPI, spec: dict[str, Any]) -> None:
        self.client = Client(make_app(state))
        self.openapi = openapi
        self.spec = spec
        self.seen: set[tuple[str, str, int]] = set()

    def call(self, method: str, path: str, status: int, *, token: str | None = TOKEN,
             body: Mapping[str, Any] | None = None) -> TestResponse:
        headers = {"Authorization": f"token {token}"} if token else {}

        def builder() -> EnvironBuilder:
            return EnvironBuilder(path, base_url="https://api.github.com", method=method, headers=list(headers.items()),
                                  json=body)

        response = self.client.open(builder())
        assert response.status_code == status, f"{method} {path} -> {response.status_code}: {response.get_data()!r}"
        # A fresh request object: the one the app read has a consumed body stream.
        self.validate(response, builder().get_request())
        return response

    def validate(self, response: TestResponse, sent: Request | None = None) -> None:
        request = WerkzeugOpenAPIRequest(sent or response.request)
        result = self.openapi.unmarshal_response(request, WerkzeugOpenAPIResponse(response))
        errors = list(result.errors)
        if errors and isinstance(errors[0], ResponseNotFound):
            body = json.loads(response.get_data())
            schema = {**self.spec["components"]["schemas"]["basic-error"],
                      "components": self.spec["components"]}
            OAS30Validator(schema).validate(body)
            assert {"message", "documentation_url", "status"} <= set(body), body
        elif errors:
            raise AssertionError(f"{response.request.method} {response.request.path}: {errors[0]!r} "
                                 f"{getattr(errors[0], '__cause__', None)!r}")
        path_name = _template_for(self.spec, response.request.path)
        self.seen.add((response.request.method, path_name, response.status_code))


def _template_for(spec: dict[str, Any], path: str) -> str:
    parts = path.strip("/").split("/")
    for template in spec["paths"]:
        tparts = template.strip("/").split("/")
        if len(tparts) == len(parts) and all(t.startswith("{") or t == p for t, p in zip(tparts, parts, strict=True)):
            return str(template)
    return path


@pytest.fixture
def contract(state: EmulatorState, openapi: OpenAPI, spec: dict[str, Any]) -> Contract:
    state.registry.push_image("example/stream-monitor-gateway", ["sha-0000000", "latest"],
                              labels={"org.opencontainers.image.source": "https://github.com/example/stream-monitor"})
    return Contract(state, openapi, spec)


def test_every_operation_and_error_validates(contract: Contract, state: EmulatorState,
                                             spec: dict[str, Any]) -> None:
    c = contract
    c.call("GET", "/meta", 200)
    c.call("GET", "/rate_limit", 200)
    c.call("GET", REPO, 200)
    c.call("GET", "/repos/someone/else", 404)
    c.call("GET", REPO, 401, token="wrong")
    workflows = json.loads(c.call("GET", f"{REPO}/actions/workflows", 200).get_data())["workflows"]
    build = next(w for w in workflows if w["path"].endswith("build-images.yml"))
    c.call("GET", f"{REPO}/actions/workflows/{build['id']}", 200)
    c.call("GET", f"{REPO}/actions/workflows/ci.yml", 200)
    c.call("GET", f"{REPO}/actions/workflows/nope.yml", 404)
    dispatches = f"{REPO}/actions/workflows/build-images.yml/dispatches"
    c.call("POST", dispatches, 204, body={"ref": "main"})
    details = json.loads(c.call("POST", dispatches, 200, body={"ref": "main", "return_run_details": True}).get_data())
    c.call("POST", f"{REPO}/actions/workflows/ci.yml/dispatches", 422, body={"ref": "main"})
    c.call("POST", f"{REPO}/actions/workflows/nope.yml/dispatches", 404, body={"ref": "main"})
    c.call("POST", dispatches, 403, token=READ_ONLY, body={"ref": "main"})
    c.call("POST", dispatches, 401, token="ghp_unknown", body={"ref": "main"})
    c.call("POST", dispatches, 422, body={"ref": "no-such-branch"})
    state.advance(600)
    run_id = details["workflow_run_id"]
    c.call("GET", f"{REPO}/actions/workflows/build-images.yml/runs?event=workflow_dispatch&branch=main", 200)
    runs = json.loads(c.call("GET", f"{REPO}/actions/runs?per_page=2", 200).get_data())["workflow_runs"]
    assert runs
    c.call("GET", f"{REPO}/actions/runs?created=%3E%3D2026-03-02T09:00:00Z&status=success", 200)
    c.call("GET", f"{REPO}/actions/runs?created=yesterday", 422)
    c.call("GET", f"{REPO}/actions/runs/{run_id}", 200)
    c.call("GET", f"{REPO}/actions/runs/1", 404)
    c.call("GET", f"{REPO}/actions/runs/{run_id}/attempts/1", 200)
    c.call("GET", f"{REPO}/actions/runs/{run_id}/attempts/9", 404)
    jobs = json.loads(c.call("GET", f"{REPO}/actions/runs/{run_id}/jobs?filter=all", 200).get_data())["jobs"]
    c.call("GET", f"{REPO}/actions/jobs/{jobs[0]['id']}", 200)
    c.call("GET", f"{REPO}/actions/jobs/1", 404)
    c.call("GET", f"{REPO}/actions/jobs/{jobs[0]['id']}/logs", 302)
    c.call("GET", f"{REPO}/branches/main", 200)
    c.call("GET", f"{REPO}/branches/nope", 404)
    head = state.snapshot.head
    c.call("GET", f"{REPO}/commits/{head}", 200)
    c.call("GET", f"{REPO}/commits/{'f' * 40}", 422)
    c.call("GET", f"{REPO}/commits/{head}/pulls", 200)
    c.call("GET", f"{REPO}/commits/{head}/check-runs", 200)
    c.call("GET", f"{REPO}/contents/go.mod", 200)
    c.call("GET", f"{REPO}/contents/missing.txt", 404)
    listing = json.loads(c.call("GET", f"{REPO}/contents/.github", 200).get_data())
    assert [(item["name"], item["type"]) for item in listing] == [("workflows", "dir")]
    root = c.client.get(f"{REPO}/contents", headers={"Authorization": f"token {TOKEN}"})  # not in the subset
    assert {item["name"] for item in json.loads(root.get_data())} >= {"go.mod", ".github"}
    c.call("GET", f"{REPO}/pulls?state=all", 200)
    c.call("GET", f"{REPO}/pulls?state=weird", 422)
    c.call("GET", f"{REPO}/pulls/12", 200)
    c.call("GET", f"{REPO}/pulls/999", 404)
    versions = "/packages/container/stream-monitor-gateway/versions"
    c.call("GET", f"/users/example{versions}", 200)
    c.call("GET", f"/orgs/example{versions}", 200)
    c.call("GET", f"/user{versions}", 200)
    c.call("GET", "/users/example/packages/container/unknown/versions", 404)
    c.call("GET", f"/users/example{versions}", 401, token=None)
    _runs_logs_and_artifacts(c, state)
    _checks_statuses_and_commits(c, state)
    _control(c, state)
    missing = _operations(spec) - {(method, path) for method, path, _status in c.seen}
    assert not missing, f"operations not exercised: {sorted(missing)}"


def _runs_logs_and_artifacts(c: Contract, state: EmulatorState) -> None:
    run = state.seed_run("build-images.yml", conclusion="failure", job="build (gateway)")
    runs = f"{REPO}/actions/runs/{run.id}"
    artifact = state.github.artifacts.add(run.id, "coverage", {"cover.out": b"mode: set\n"}, now=state.now())
    c.call("GET", f"{runs}/logs", 302)
    c.call("GET", f"{runs}/attempts/1/logs", 302)
    c.call("GET", f"{runs}/attempts/4/logs", 404)
    c.call("GET", f"{REPO}/actions/runs/1/logs", 404)
    c.call("GET", f"{runs}/attempts/1/jobs", 200)
    c.call("GET", f"{runs}/attempts/3/jobs", 404)
    c.call("GET", f"{runs}/timing", 200)
    c.call("GET", f"{REPO}/actions/runs/1/timing", 404)
    listed = json.loads(c.call("GET", f"{runs}/artifacts", 200).get_data())
    assert [a["name"] for a in listed["artifacts"]] == ["coverage"]
    c.call("GET", f"{REPO}/actions/runs/1/artifacts", 404)
    c.call("GET", f"{REPO}/actions/artifacts?name=coverage", 200)
    c.call("GET", f"{REPO}/actions/artifacts/{artifact.id}", 200)
    c.call("GET", f"{REPO}/actions/artifacts/1", 404)
    c.call("GET", f"{REPO}/actions/artifacts/{artifact.id}/zip", 302)
    artifact.expired = True
    c.call("GET", f"{REPO}/actions/artifacts/{artifact.id}/zip", 410)
    c.call("POST", f"{runs}/rerun", 403, token=READ_ONLY)
    c.call("POST", f"{runs}/rerun-failed-jobs", 201)
    c.call("POST", f"{runs}/rerun", 403)  # the re-run is in progress
    c.call("POST", f"{runs}/cancel", 202)
    c.call("POST", f"{runs}/cancel", 409)
    c.call("POST", f"{REPO}/actions/runs/1/cancel", 404)
    state.advance(1)
    c.call("POST", f"{runs}/rerun", 201)
    state.advance(600)
    jobs = json.loads(c.call("GET", f"{runs}/jobs", 200).get_data())["jobs"]
    c.call("POST", f"{REPO}/actions/jobs/{jobs[0]['id']}/rerun", 201)
    c.call("POST", f"{REPO}/actions/jobs/1/rerun", 404)
    c.call("POST", f"{REPO}/actions/jobs/{jobs[0]['id']}/rerun", 403, token=READ_ONLY)


def _checks_statuses_and_commits(c: Contract, state: EmulatorState) -> None:
    run = state.seed_run("build-images.yml", conclusion="failure", job="build (gateway)")
    failed = next(job for job in run.current.jobs if job.plan.name == "build (gateway)")
    check = json.loads(c.call("GET", f"{REPO}/check-runs/{failed.id}", 200).get_data())
    assert check["output"]["annotations_count"] == 1
    notes = json.loads(c.call("GET", f"{REPO}/check-runs/{failed.id}/annotations", 200).get_data())
    assert notes[0]["annotation_level"] == "failure"
    c.call("GET", f"{REPO}/check-runs/1", 404)
    c.call("GET", f"{REPO}/check-runs/1/annotations", 404)
    head = state.snapshot.head
    c.call("GET", f"{REPO}/commits/{head}/status", 200)
    state.github.add_status(head, "success", context="ci/lint", target_url="https://ci.example/1")
    combined = json.loads(c.call("GET", f"{REPO}/commits/main/status", 200).get_data())
    assert (combined["state"], combined["total_count"]) == ("success", 1)
    c.call("GET", f"{REPO}/commits/{'e' * 40}/status", 404)
    commits = json.loads(c.call("GET", f"{REPO}/commits?per_page=2", 200).get_data())
    assert commits[0]["sha"] == head
    c.call("GET", f"{REPO}/commits?sha=no-such-branch", 404)
    c.call("GET", f"{REPO}/commits?since=yesterday", 422)
    c.call("GET", "/user", 200)
    c.call("GET", "/user", 401, token=None)


def _control(c: Contract, state: EmulatorState) -> None:
    workflow = f"{REPO}/actions/workflows/build-images.yml"
    c.call("PUT", f"{workflow}/disable", 403, token=READ_ONLY)
    c.call("PUT", f"{workflow}/disable", 204)
    assert json.loads(c.call("GET", workflow, 200).get_data())["state"] == "disabled_manually"
    refused = c.call("POST", f"{workflow}/dispatches", 422, body={"ref": "main"})
    assert "disabled workflow" in json.loads(refused.get_data())["message"]
    c.call("PUT", f"{workflow}/enable", 204)
    c.call("PUT", f"{REPO}/actions/workflows/nope.yml/enable", 404)
    c.call("POST", f"{workflow}/dispatches", 204, body={"ref": "main"})


def test_runs_and_jobs_validate_at_every_stage_of_the_lifecycle(contract: Contract, state: EmulatorState) -> None:
    c = contract
    dispatches = f"{REPO}/actions/workflows/build-images.yml/dispatches"
    run_id = json.loads(c.call("POST", dispatches, 200, body={"ref": "main", "return_run_details": True})
                        .get_data())["workflow_run_id"]
    c.call("GET", f"{REPO}/actions/runs/{run_id}", 404)  # not visible yet (eventual consistency)
    statuses = []
    for step in (4, 16, 60):  # queued (visible after 3 s), in progress (jobs start at 5 s), completed
        state.advance(step)
        run = json.loads(c.call("GET", f"{REPO}/actions/runs/{run_id}", 200).get_data())
        statuses.append(run["status"])
        c.call("GET", f"{REPO}/actions/runs/{run_id}/jobs", 200)
        c.call("GET", f"{REPO}/commits/{state.snapshot.head}/check-runs", 200)
    assert statuses == ["queued", "in_progress", "completed"]


def test_old_ghes_meta_and_refusal_validate(sample_repo: Path, openapi: OpenAPI, spec: dict[str, Any]) -> None:
    state = EmulatorState(sample_repo, EmulatorConfig(speed=0, token=TOKEN, old_ghes=True))
    c = Contract(state, openapi, spec)
    meta = json.loads(c.call("GET", "/meta", 200).get_data())
    assert meta["installed_version"] == "3.20.0"
    response = c.call("POST", f"{REPO}/actions/workflows/build-images.yml/dispatches", 400,
                      body={"ref": "main", "return_run_details": True})
    assert "not a permitted key" in json.loads(response.get_data())["message"]
