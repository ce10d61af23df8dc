"""``/graphql``: queries validated against GitHub's schema and answered from the state; what it cannot answer is
an error naming the field, never an invented value; without the schema every query gets a 501 saying why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from cicd_acceptance.emulator import EmulatorConfig, EmulatorState, EmulatorTransport, make_app
from cicd_acceptance.emulator.github.graphql_schema import load_schema, preload_schema
from tests.emulator.conftest import TOKEN

PULL_CHECKS = """query($n: Int!) { repository(owner: "example", name: "stream-monitor") {
  pullRequest(number: $n) { number state headRefName author { login }
    statusCheckRollup: commits(last: 1) { nodes { commit { statusCheckRollup { state
      contexts(first: 10) { totalCount nodes { __typename
        ... on CheckRun { name status conclusion checkSuite { workflowRun { workflow { name } } } }
        ... on StatusContext { context state } } } } } } } } } }"""


def _ask(client: httpx.Client, query: str, variables: dict[str, Any] | None = None,
         path: str = "/graphql") -> dict[str, Any]:
    response = client.post(path, json={"query": query, "variables": variables or {}})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_viewer_and_the_repository(client: httpx.Client, graphql_schema: Path) -> None:
    body = _ask(client, "{ viewer { login } repository(owner: \"example\", name: \"stream-monitor\") "
                        "{ nameWithOwner defaultBranchRef { name } owner { login } } }")
    assert body == {"data": {"viewer": {"login": "example"}, "repository": {
        "nameWithOwner": "example/stream-monitor", "defaultBranchRef": {"name": "main"},
        "owner": {"login": "example"}}}}
    assert _ask(client, "{ viewer { login } }", path="/api/graphql")["data"]["viewer"]["login"] == "example"


def test_pull_requests_with_their_checks_and_statuses(client: httpx.Client, state: EmulatorState,
                                                      graphql_schema: Path) -> None:
    pull = state.github.pull(12)
    assert pull is not None
    state.github.add_status(pull.head_sha, "failure", context="ci/lint")
    body = _ask(client, PULL_CHECKS, {"n": 12})
    found = body["data"]["repository"]["pullRequest"]
    assert (found["number"], found["state"], found["headRefName"]) == (12, "MERGED", "ci-cd")
    rollup = found["statusCheckRollup"]["nodes"][0]["commit"]["statusCheckRollup"]
    assert rollup["state"] == "FAILURE"
    assert rollup["contexts"]["nodes"] == [
        {"__typename": "CheckRun", "name": "test", "status": "COMPLETED", "conclusion": "SUCCESS",
         "checkSuite": {"workflowRun": {"workflow": {"name": "CI"}}}},
        {"__typename": "StatusContext", "context": "ci/lint", "state": "FAILURE"}]
    listed = _ask(client, "{ repository(owner: \"example\", name: \"stream-monitor\") { "
                          "open: pullRequests(states: OPEN, first: 5) { totalCount } "
                          "all: pullRequests(first: 1) { totalCount nodes { number } "
                          "pageInfo { hasNextPage endCursor } } } }")["data"]["repository"]
    assert listed["open"]["totalCount"] == 0
    assert listed["all"]["nodes"] == [{"number": 12}]
    assert listed["all"]["pageInfo"]["hasNextPage"] is False


def test_an_unknown_field_is_a_validation_error(client: httpx.Client, graphql_schema: Path) -> None:
    body = _ask(client, "{ viewer { logins } }")
    assert "data" not in body
    assert body["errors"][0]["message"] == "Cannot query field 'logins' on type 'User'. Did you mean 'login'?"


def test_a_field_the_emulator_cannot_answer_names_itself(client: httpx.Client, graphql_schema: Path) -> None:
    body = _ask(client, "{ viewer { login bio } }")
    assert body["data"] == {"viewer": {"login": "example", "bio": None}}
    assert body["errors"][0]["message"] == "The emulator cannot answer the field 'User.bio'"
    assert body["errors"][0]["path"] == ["viewer", "bio"]


def test_missing_objects_are_not_found_errors(client: httpx.Client, graphql_schema: Path) -> None:
    body = _ask(client, "{ repository(owner: \"someone\", name: \"else\") { name } }")
    assert body["data"] == {"repository": None}
    assert body["errors"][0]["type"] == "NOT_FOUND"
    assert "someone/else" in body["errors"][0]["message"]
    pull = _ask(client, PULL_CHECKS, {"n": 999})
    assert pull["errors"][0]["type"] == "NOT_FOUND"


def test_authentication_and_method(state: EmulatorState, client: httpx.Client, graphql_schema: Path) -> None:
    with httpx.Client(transport=EmulatorTransport(make_app(state)), base_url="https://api.github.com") as anonymous:
        assert anonymous.post("/graphql", json={"query": "{ viewer { login } }"}).status_code == 401
        wrong = anonymous.post("/graphql", json={"query": "{ viewer { login } }"},
                               headers={"Authorization": "bearer ghp_wrong"})
        assert wrong.status_code == 401
    assert client.get("/graphql").status_code == 404
    assert client.post("/graphql", content=b"not json").json()["errors"][0]["message"].startswith("A query")


def test_without_the_schema_every_query_says_how_to_install_it(sample_repo: Path, tmp_path: Path) -> None:
    state = EmulatorState(sample_repo, EmulatorConfig(speed=0, token=TOKEN, graphql_schema=tmp_path / "none.graphql"))
    with httpx.Client(transport=EmulatorTransport(make_app(state)), base_url="https://api.github.com",
                      headers={"Authorization": f"bearer {TOKEN}"}) as client:
        response = client.post("/graphql", json={"query": "{ viewer { login } }"})
    assert response.status_code == 501
    assert "install-tools.sh" in response.json()["message"]
    assert "none.graphql" in response.json()["message"]


def test_preloading_builds_the_one_schema_queries_use(graphql_schema: Path, tmp_path: Path) -> None:
    preload_schema(graphql_schema).join(timeout=120)
    assert load_schema(graphql_schema) is load_schema(graphql_schema)
    missing = preload_schema(tmp_path / "absent.graphql")
    missing.join(timeout=10)
    assert not missing.is_alive()  # nothing raised in the thread; the first query reports it
