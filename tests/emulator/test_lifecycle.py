"""Run lifecycle on the emulated clock, outcomes, seeded history, and the executor's effects in the registry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from cicd_acceptance.emulator import EmulatorConfig, EmulatorState
from cicd_acceptance.emulator.errors import Conflict, NotFound, Unprocessable
from tests.emulator.conftest import TOKEN
from tests.emulator.sample_repo import BUILD_YML, git, make_sample_repo

REPO = "/repos/example/stream-monitor"
IMAGES = [f"example/stream-monitor-{s}" for s in ("gateway", "worker", "webhook-demo")]


def _labels(state: EmulatorState, name: str, tag: str) -> list[dict[str, str]]:
    """The config labels of every platform manifest behind ``name:tag`` (attestations excluded)."""
    index = state.registry.manifest(name, tag)
    assert index is not None, f"{name}:{tag} not in the registry (tags: {state.registry.tags(name)})"
    labels = []
    for entry in json.loads(index.body)["manifests"]:
        if entry.get("platform", {}).get("os") == "unknown":
            continue
        manifest = json.loads(state.registry.manifest(name, entry["digest"]).body)  # type: ignore[union-attr]
        config = json.loads(state.registry.blob(name, manifest["config"]["digest"]) or b"{}")
        labels.append(config["config"]["Labels"])
    return labels


def _dispatch(client: httpx.Client, workflow: str = "build-images.yml", ref: str = "main") -> int:
    response = client.post(f"{REPO}/actions/workflows/{workflow}/dispatches",
                           json={"ref": ref, "return_run_details": True})
    assert response.status_code == 200, response.text
    run_id: int = response.json()["workflow_run_id"]
    return run_id


def _run(client: httpx.Client, run_id: int) -> dict[str, Any]:
    response = client.get(f"{REPO}/actions/runs/{run_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _jobs(client: httpx.Client, run_id: int, which: str = "latest") -> list[dict[str, Any]]:
    response = client.get(f"{REPO}/actions/runs/{run_id}/jobs", params={"filter": which})
    jobs: list[dict[str, Any]] = response.json()["jobs"]
    return jobs


def test_seeded_history_is_consistent(state: EmulatorState, client: httpx.Client, sample_repo: Path) -> None:
    head = git(sample_repo, "rev-parse", "HEAD")
    older, pr_head = git(sample_repo, "rev-parse", "HEAD^1"), git(sample_repo, "rev-parse", "HEAD^2")
    runs = client.get(f"{REPO}/actions/runs").json()["workflow_runs"]
    seen = {(run["path"], run["event"], run["head_sha"], run["status"], run["conclusion"]) for run in runs}
    assert (".github/workflows/ci.yml", "push", head, "completed", "success") in seen
    assert (".github/workflows/ci.yml", "pull_request", pr_head, "completed", "success") in seen
    assert (".github/workflows/build-images.yml", "push", older, "completed", "success") in seen
    pulls = client.get(f"{REPO}/commits/{head}/pulls").json()
    assert [pull["number"] for pull in pulls] == [12]
    assert pulls[0]["head"]["sha"] == pr_head
    assert pulls[0]["merge_commit_sha"] == head
    assert client.get(f"{REPO}/pulls/12").json()["merged"] is True
    pr_run = next(run for run in runs if run["event"] == "pull_request")
    assert [pr["number"] for pr in pr_run["pull_requests"]] == [12]
    checks = client.get(f"{REPO}/commits/{pr_head}/check-runs").json()["check_runs"]
    assert [(check["name"], check["conclusion"]) for check in checks] == [("test", "success")]
    for name in IMAGES:  # the older build's images, so "a new tag appeared" is a real check
        assert state.registry.tags(name) == ["latest", f"sha-{older[:7]}"]


def test_dispatched_run_goes_through_its_lifecycle_and_publishes(state: EmulatorState, client: httpx.Client,
                                                                  sample_repo: Path) -> None:
    head = git(sample_repo, "rev-parse", "HEAD")
    run_id = _dispatch(client)
    assert client.get(f"{REPO}/actions/runs/{run_id}").status_code == 404  # eventual consistency
    state.advance(3)
    assert _run(client, run_id)["status"] == "queued"
    state.advance(10)
    run = _run(client, run_id)
    assert (run["status"], run["conclusion"], run["event"], run["head_sha"]) == ("in_progress", None,
                                                                                  "workflow_dispatch", head)
    assert [job["name"] for job in _jobs(client, run_id)] == ["build (gateway)", "build (worker)",
                                                               "build (webhook-demo)"]
    assert state.registry.tags(IMAGES[0]) == ["latest", f"sha-{git(sample_repo, 'rev-parse', 'HEAD^1')[:7]}"]
    state.advance(60)
    run = _run(client, run_id)
    assert (run["status"], run["conclusion"]) == ("completed", "success")
    for name in IMAGES:
        assert f"sha-{head[:7]}" in state.registry.tags(name)
        assert state.registry.manifest(name, "latest") == state.registry.manifest(name, f"sha-{head[:7]}")
        (labels,) = _labels(state, name, f"sha-{head[:7]}")
        assert labels["org.opencontainers.image.revision"] == head
        assert labels["org.opencontainers.image.source"] == "https://github.com/example/stream-monitor"
        assert labels["org.opencontainers.image.created"] > "2026-03-02T09:00:00Z"
    steps = _jobs(client, run_id)[0]["steps"]
    assert steps[0]["name"] == "Set up job"
    assert {s["conclusion"] for s in steps} == {"success"}


def test_one_failing_matrix_job_pushes_nothing_for_that_service(state: EmulatorState, client: httpx.Client,
                                                                  sample_repo: Path) -> None:
    head = git(sample_repo, "rev-parse", "HEAD")
    state.plan_outcome("build-images.yml", "failure", job="build (worker)", step="Build and push")
    run_id = _dispatch(client)
    state.advance(120)
    assert _run(client, run_id)["conclusion"] == "failure"
    jobs = {job["name"]: job for job in _jobs(client, run_id)}
    assert jobs["build (worker)"]["conclusion"] == "failure"
    assert jobs["build (gateway)"]["conclusion"] == "success"
    failed = [step["name"] for step in jobs["build (worker)"]["steps"] if step["conclusion"] == "failure"]
    assert failed == ["Build and push"]
    assert f"sha-{head[:7]}" in state.registry.tags("example/stream-monitor-gateway")
    assert f"sha-{head[:7]}" not in state.registry.tags("example/stream-monitor-worker")


@pytest.mark.parametrize("conclusion", ["cancelled", "timed_out", "startup_failure", "skipped"])
def test_run_level_outcomes_complete_without_publishing(state: EmulatorState, client: httpx.Client,
                                                        sample_repo: Path, conclusion: str) -> None:
    head = git(sample_repo, "rev-parse", "HEAD")
    run_id = _dispatch(client)
    state.set_outcome(run_id, conclusion)
    state.advance(120)
    run = _run(client, run_id)
    assert (run["status"], run["conclusion"]) == ("completed", conclusion)
    jobs = _jobs(client, run_id)
    assert (jobs == []) if conclusion == "startup_failure" else {job["conclusion"] for job in jobs} == {conclusion}
    assert all(f"sha-{head[:7]}" not in state.registry.tags(name) for name in IMAGES)


def test_outcomes_are_validated(state: EmulatorState) -> None:
    with pytest.raises(Unprocessable, match="unknown outcome 'green'") as caught:
        state.plan_outcome("build-images.yml", "green")
    assert (caught.value.status, caught.value.field) == (422, "conclusion")
    run = state.dispatch("build-images.yml")
    with pytest.raises(NotFound, match=r"no job 'build \(nope\)'"):
        state.set_outcome(run.id, "failure", job="build (nope)")
    with pytest.raises(NotFound, match=r"no workflow 'deploy\.yml'"):
        state.dispatch("deploy.yml")
    with pytest.raises(Unprocessable, match="no branch 'gone' in the repository") as no_branch:
        state.dispatch("build-images.yml", ref="gone")
    assert (no_branch.value.message, no_branch.value.field) == ("No ref found for: gone", "ref")
    with pytest.raises(NotFound, match="no run with id 1"):
        state.set_outcome(1, "failure")
    state.advance(600)
    with pytest.raises(Conflict, match="already completed"):
        state.set_outcome(run.id, "failure")


def test_reattempt_keeps_the_id_and_raises_run_attempt(state: EmulatorState, client: httpx.Client) -> None:
    state.add_fault("POST /repos/*/actions/workflows/*/dispatches:reattemptx1")
    run_id = _dispatch(client)
    state.advance(50)  # attempt 1 ran 5..45 s; the re-run starts 10 s after it completed
    first = _run(client, run_id)
    assert (first["run_attempt"], first["status"]) == (1, "completed")
    state.advance(6)
    second = _run(client, run_id)
    assert (second["id"], second["run_attempt"], second["status"]) == (run_id, 2, "queued")
    assert second["previous_attempt_url"].endswith(f"/actions/runs/{run_id}/attempts/1")
    state.advance(120)
    assert _run(client, run_id)["conclusion"] == "success"
    assert client.get(f"{REPO}/actions/runs/{run_id}/attempts/1").json()["run_attempt"] == 1
    assert len(_jobs(client, run_id, "all")) == 2 * len(_jobs(client, run_id))


def test_foreign_dispatch_and_visibility_delay(state: EmulatorState, client: httpx.Client) -> None:
    state.add_fault("POST /repos/*/actions/workflows/*/dispatches:foreign-dispatchx1")
    state.add_fault("POST /repos/*/actions/workflows/*/dispatches:visibility-delay=30x1")
    run_id = _dispatch(client)
    url = f"{REPO}/actions/workflows/build-images.yml/runs"
    state.advance(29)
    assert client.get(f"{REPO}/actions/runs/{run_id}").status_code == 404
    early = client.get(url, params={"event": "workflow_dispatch"}).json()["workflow_runs"]
    assert [run["actor"]["login"] for run in early] == ["another-actor"]  # the foreign run is listed first
    state.advance(1)
    runs = client.get(url, params={"event": "workflow_dispatch"}).json()["workflow_runs"]
    assert len(runs) == 2
    assert {run["actor"]["login"] for run in runs} == {"example", "another-actor"}
    assert len({run["created_at"] for run in runs}) == 1


def _state_for(tmp_path: Path, build_yml: str) -> EmulatorState:
    repo = make_sample_repo(tmp_path, build_yml=build_yml)
    return EmulatorState(repo, EmulatorConfig(speed=0, token=TOKEN), sleep=lambda _s: None)


def test_a_service_missing_from_the_matrix_publishes_nothing(tmp_path: Path) -> None:
    state = _state_for(tmp_path, BUILD_YML.replace("[gateway, worker, webhook-demo]", "[gateway, worker]"))
    run = state.dispatch("build-images.yml")
    state.advance(120)
    assert run.conclusion(state.now()) == "success"
    assert state.registry.tags("example/stream-monitor-webhook-demo") == []
    assert len(state.registry.tags("example/stream-monitor-gateway")) == 3  # older sha, latest, new sha


def test_latest_not_enabled_publishes_no_latest(tmp_path: Path) -> None:
    state = _state_for(tmp_path, BUILD_YML.replace("            type=raw,value=latest,enable={{is_default_branch}}\n",
                                                   ""))
    state.dispatch("build-images.yml")
    state.advance(120)
    tags = state.registry.tags("example/stream-monitor-gateway")
    assert len(tags) == 2
    assert "latest" not in tags


def test_dispatch_on_another_branch_pushes_no_latest(tmp_path: Path) -> None:
    repo = make_sample_repo(tmp_path)
    git(repo, "branch", "feature")
    state = EmulatorState(repo, EmulatorConfig(speed=0, token=TOKEN))
    before = state.registry.manifest("example/stream-monitor-gateway", "latest")
    state.dispatch("build-images.yml", ref="feature")
    state.advance(120)
    assert state.registry.manifest("example/stream-monitor-gateway", "latest") == before


def test_seed_run_adds_completed_history(state: EmulatorState, client: httpx.Client, sample_repo: Path) -> None:
    head = git(sample_repo, "rev-parse", "HEAD")
    run = state.seed_run("ci.yml", conclusion="failure", job="test", step="Run the tests", age_seconds=600)
    latest = client.get(f"{REPO}/actions/workflows/ci.yml/runs", params={"branch": "main"}).json()["workflow_runs"][0]
    assert (latest["id"], latest["conclusion"], latest["head_sha"]) == (run.id, "failure", head)
    checks = client.get(f"{REPO}/commits/{head}/check-runs").json()["check_runs"]
    assert ("test", "failure") in {(check["name"], check["conclusion"]) for check in checks}
    (job,) = _jobs(client, run.id)
    assert [s["name"] for s in job["steps"] if s["conclusion"] == "failure"] == ["Run the tests"]
