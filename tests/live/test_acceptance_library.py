"""LiveSession against the in-process emulator: the green path, and each red path giving the right red.

Every test builds its own emulator (a 10-minute build on a ManualClock: no real waiting) and ends by checking that
the emulator created at most one dispatched run. No test passes a red pipeline: each red asserts the failed verdict
and the message that names the job and step, or the service and the fact.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from cicd_acceptance.committags import CommitTagForm
from cicd_acceptance.emulator.github.runs import Attempt, RunOrigin, RunRecord
from cicd_acceptance.emulator.github.state import PlannedOutcome
from cicd_acceptance.github.models import Job
from cicd_acceptance.live.acceptance import LiveSession
from cicd_acceptance.live.build import missing_service_jobs
from cicd_acceptance.live.emulated import registry_scheme
from cicd_acceptance.live.images import FACT_NAMES
from cicd_acceptance.live.server import ServerKind
from cicd_acceptance.live.tagforms import workflow_commit_forms
from cicd_acceptance.live.timing import CompressedTime
from cicd_acceptance.live.verdicts import BuildAcceptance, dispatch_evidence, image_evidence
from cicd_acceptance.polling import ManualClock
from cicd_acceptance.target import open_target
from tests.emulator.sample_repo import BUILD_YML, CI_YML, make_sample_repo
from tests.live.acceptance_emulated import FOREIGN_ACTOR, READ_ONLY, REVISION, SERVICES, TEN_MINUTES, Emulated

FACTS = FACT_NAMES


@pytest.fixture
def made() -> Iterator[list[Emulated]]:
    """Emulators made by a test; each must have dispatched at most once when the test ends."""
    created: list[Emulated] = []
    yield created
    for emu in created:
        emu.assert_never_dispatched_twice()


@pytest.fixture
def emulated(made: list[Emulated]) -> Emulated:
    emu = Emulated()
    made.append(emu)
    return emu


def build_of(emu: Emulated) -> BuildAcceptance:
    return emu.session().build_acceptance()


def failed_facts(build: BuildAcceptance, service: str) -> list[str]:
    return [fact for fact in FACTS if not build.image(service).check(fact)[0]]


def defective_repo(tmp_path: Path, old: str, new: str) -> Path:
    assert old in BUILD_YML
    return make_sample_repo(tmp_path, build_yml=BUILD_YML.replace(old, new))


# -- green ------------------------------------------------------------------------------------------------------


def test_green_path_every_criterion_passes_and_the_build_is_dispatched_once(emulated: Emulated) -> None:
    session = emulated.session()
    assert session.head_sha == emulated.state.snapshot.head

    assert session.workflows_active().passed
    head, pull = session.ci_green_for_head(), session.ci_green_for_merged_pr()
    assert head.passed, head.reason
    assert pull.passed, pull.reason
    assert pull.pull is not None
    assert pull.head_sha == pull.pull.head_sha != session.head_sha
    build = session.build_acceptance()

    assert build.run.passed, build.run.reason
    assert build.run.dispatch is not None
    assert build.run.result is not None
    assert build.run.dispatch.correlation.method == "return_run_details"
    assert sorted(job.name for job in build.run.result.verdict.jobs) == sorted(f"build ({s})" for s in SERVICES)
    for service in SERVICES:
        verdict = build.image(service).verdict
        assert verdict is not None, build.image(service).error
        assert verdict.passed, verdict.summary()
    assert session.build_acceptance() is build  # cached: the image scenarios reuse it
    assert emulated.transport.dispatch_posts == 1
    assert emulated.dispatch_runs() == 1


def test_the_evidence_is_json_and_names_how_the_run_was_found(emulated: Emulated) -> None:
    session = emulated.session()
    build = session.build_acceptance()
    assert build.run.dispatch is not None
    record = {"dispatch": dispatch_evidence(build.run.dispatch, workflow="build-images.yml", ref="main"),
              "image": image_evidence(build.image("worker")), "run": build.run.as_dict(), "budget": session.budget(),
              "run_evidence": build.run.run_evidence()}
    doc = json.loads(json.dumps(record))
    run = doc["run_evidence"]
    assert (run["id"], run["head_sha"]) == (build.run.dispatch.run.id, session.head_sha)
    assert run["polls"] >= 1
    assert run["counted_requests"] >= 1
    assert run["changes"]
    assert {job["name"] for job in run["jobs"]} >= {"build (gateway)", "build (worker)"}
    assert doc["dispatch"]["correlation"] == "run id in the dispatch response (return_run_details)"
    assert [fact["name"] for fact in doc["image"]["facts"]] == list(FACTS)
    assert {p["revision"] for p in doc["image"]["platforms"]} == {session.head_sha}
    assert doc["budget"]["counted"] <= 40


def test_a_rehearsal_names_the_steps_the_emulator_did_not_run_from_the_annotations(tmp_path: Path,
                                                                                   made: list[Emulated]) -> None:
    lint = "      - name: Lint\n        uses: golangci/golangci-lint-action@v6\n"
    repo = make_sample_repo(tmp_path, ci_yml=CI_YML.replace("      - name: Run the tests\n", lint +
                                                            "      - name: Run the tests\n"))
    emu = Emulated(repo_dir=repo)
    made.append(emu)
    session = emu.session()
    session.server = ServerKind("emulator", "the harness started the bundled emulator")
    head = session.ci_green_for_head()
    assert head.passed, head.reason
    [step] = head.not_emulated
    assert (step["job"], step["error"]) == ("test", None)
    assert "golangci/golangci-lint-action@v6 is not emulated: the step 'Lint' was not run" in str(step["message"])
    build = session.build_acceptance()
    assert build.run.passed, build.run.reason
    assert build.not_emulated == ()  # every action of the build is emulated
    # Against GitHub every step runs: no annotation is read for it.
    session.server = ServerKind("github", "no emulator marker")
    before = len(emu.transport.paths)
    again = session.ci_green_for_head()
    assert again.not_emulated == ()
    assert not any(path.endswith("/annotations") for path in emu.transport.paths[before:])


def test_a_docker_hub_copy_is_named_as_not_emulated_and_ghcr_is_still_verified(tmp_path: Path,
                                                                                  made: list[Emulated]) -> None:
    # Publishing to GHCR and Docker Hub in one step: the emulator pushes what it emulates and names the rest,
    # instead of failing the build (GitHub would push both).
    both = BUILD_YML.replace(
        "          images: ghcr.io/${{ github.repository }}-${{ matrix.service }}\n",
        "          images: |\n            ghcr.io/${{ github.repository }}-${{ matrix.service }}\n"
        "            examplecorp/stream-monitor-${{ matrix.service }}\n")
    emu = Emulated(repo_dir=make_sample_repo(tmp_path, build_yml=both))
    made.append(emu)
    session = emu.session()
    session.server = ServerKind("emulator", "the harness started the bundled emulator")
    build = session.build_acceptance()
    assert build.run.passed, build.run.reason
    assert all(failed_facts(build, service) == [] for service in SERVICES)
    messages = [str(step["message"]) for step in build.not_emulated]
    assert len(messages) == len(SERVICES), messages
    assert all("push to docker.io is not emulated: docker.io/examplecorp/stream-monitor-" in m for m in messages)


# -- the run is red ---------------------------------------------------------------------------------------------


def test_a_failing_matrix_job_is_named_with_its_step(emulated: Emulated) -> None:
    emulated.state.plan_outcome("build-images.yml", "failure", job="build (worker)", step="Build and push")
    build = build_of(emulated)
    assert not build.run.passed
    assert "job 'build (worker)' failure at step" in build.run.reason
    assert "'Build and push'" in build.run.reason
    assert failed_facts(build, "worker") == list(FACTS)  # nothing was pushed for it
    assert failed_facts(build, "gateway") == []  # the other services are judged on their own
    # The evidence quotes the red job from its log: job, step, the ##[error] line, the tail, the annotations' fate.
    [failure] = build.failure_logs
    assert (failure["job"], failure["step"], failure["conclusion"]) == ("build (worker)", "Build and push", "failure")
    errors, tail = failure["errors"], failure["tail"]
    assert isinstance(errors, list)
    assert isinstance(tail, list)
    assert any(str(line).startswith("##[error]") for line in errors), failure
    assert tail
    assert "annotations" in failure
    pushed = build.push_log("gateway")
    assert pushed is not None
    assert pushed["pushed_in_log"] is True
    worker = build.push_log("worker")
    assert worker is not None
    assert (worker["lines"], worker["pushed_in_log"]) == ([], False)


def test_a_push_input_the_action_refuses_fails_the_build_step_as_on_github(tmp_path: Path,
                                                                         made: list[Emulated]) -> None:
    # getBooleanInput takes only true | True | TRUE | false | False | FALSE: `push: yes` throws before the build,
    # as the static rule says; the emulator no longer reads it as "false, build without pushing".
    repo = defective_repo(tmp_path, "push: ${{ github.event_name != 'pull_request' }}", "push: yes")
    emu = Emulated(repo_dir=repo)
    made.append(emu)
    build = build_of(emu)
    assert not build.run.passed
    assert "'Build and push'" in build.run.reason
    errors = [str(line) for failure in build.failure_logs for line in failure["errors"]]  # type: ignore[attr-defined]
    assert any('Input does not meet YAML 1.2 "Core Schema" specification: push' in line for line in errors), errors
    assert failed_facts(build, "gateway") == list(FACTS)


@pytest.mark.parametrize("conclusion", ["cancelled", "startup_failure", "timed_out", "skipped"])
def test_a_run_that_did_not_succeed_is_red(emulated: Emulated, conclusion: str) -> None:
    emulated.state.plan_outcome("build-images.yml", conclusion)
    build = build_of(emulated)
    assert not build.run.passed
    assert conclusion in build.run.reason
    assert all(not build.image(service).check("sha-tag-exists")[0] for service in SERVICES)


def test_a_service_missing_from_the_matrix_fails_the_run_and_its_image(tmp_path: Path, made: list[Emulated]) -> None:
    repo = defective_repo(tmp_path, "service: [gateway, worker, webhook-demo]", "service: [gateway, worker]")
    emu = Emulated(repo_dir=repo)
    made.append(emu)
    build = build_of(emu)
    assert build.run.result is not None
    assert build.run.result.green
    assert not build.run.passed  # ...the plan does not
    assert build.run.missing_services == ("webhook-demo",)
    assert "no build job for webhook-demo" in build.run.reason
    passed, message = build.image("webhook-demo").check("sha-tag-exists")
    assert not passed
    assert message.startswith("webhook-demo (ghcr.io/example/stream-monitor-webhook-demo): sha-tag-exists: FAILED")


def test_missing_service_jobs_matches_matrix_names_only() -> None:
    assert missing_service_jobs(jobs_named("build (gateway)", "build (worker, linux/arm64)"),
                                ("gateway", "worker", "webhook-demo")) == ("webhook-demo",)
    assert missing_service_jobs(jobs_named("build (gateway-old)"), ("gateway",)) == ("gateway",)


# -- the images are wrong -----------------------------------------------------------------------------------------


def test_latest_not_moved_is_named_per_service(tmp_path: Path, made: list[Emulated]) -> None:
    repo = defective_repo(tmp_path, "            type=raw,value=latest,enable={{is_default_branch}}\n", "")
    emu = Emulated(repo_dir=repo)
    made.append(emu)
    old = emu.push_old("gateway", ["latest", "sha-0000000"], "0" * 40)
    build = build_of(emu)
    assert build.run.passed, build.run.reason
    for service in SERVICES:
        assert failed_facts(build, service) == ["latest-matches"]
    _passed, message = build.image("gateway").check("latest-matches")
    assert f"observed latest -> {old}" in message


def test_a_commit_tag_the_workflow_spells_its_own_way_is_looked_up_and_found(tmp_path: Path,
                                                                            made: list[Emulated]) -> None:
    # DOCKER_METADATA_SHORT_SHA_LENGTH=12 and prefix=git-: the static rule accepts git-<12 hex>, and the live check
    # looks up what the publication plan says the build pushes (it never lists tags).
    spelt = BUILD_YML.replace("            type=sha\n", "            type=sha,prefix=git-\n").replace(
        "        id: meta\n", "        id: meta\n        env:\n          DOCKER_METADATA_SHORT_SHA_LENGTH: 12\n")
    repo = make_sample_repo(tmp_path, build_yml=spelt)
    emu = Emulated(repo_dir=repo)
    made.append(emu)
    forms = workflow_commit_forms(open_target(repo, repository=emu.repo), emu.plan)
    assert forms == (CommitTagForm("git-", 12, ""),)
    session = emu.session(forms)
    build = session.build_acceptance()
    assert build.run.passed, build.run.reason
    for service in SERVICES:
        verdict = build.image(service).verdict
        assert verdict is not None, build.image(service).error
        assert verdict.passed, verdict.summary()
        assert verdict.tag == f"git-{session.head_sha[:12]}"


def test_without_the_workflows_spelling_such_a_tag_is_not_found(tmp_path: Path, made: list[Emulated]) -> None:
    repo = defective_repo(tmp_path, "            type=sha\n", "            type=sha,prefix=git-\n")
    emu = Emulated(repo_dir=repo)
    made.append(emu)
    build = emu.session().build_acceptance()
    assert build.run.passed, build.run.reason
    passed, message = build.image("gateway").check("sha-tag-exists")
    assert not passed
    assert "git-" not in message  # the plan's own spellings were looked up, in vain


def test_a_wrong_revision_label_is_named(emulated: Emulated) -> None:
    session = emulated.session()
    complete = emulated.state.github.on_complete

    def mislabel(run: RunRecord, attempt: Attempt) -> None:
        complete(run, attempt)  # the real pushes, then a builder that labels with the wrong commit
        if run.event == "workflow_dispatch":
            emulated.state.registry.push_image(emulated.image_name("worker"),
                                               [f"sha-{run.head_sha[:7]}", "latest"],
                                               labels={REVISION: "f" * 40}, platforms=("linux/amd64",))

    emulated.state.github.on_complete = mislabel
    build = session.build_acceptance()
    assert build.run.passed
    assert failed_facts(build, "worker") == ["revision-label"]
    assert f"linux/amd64={'f' * 40}" in build.image("worker").check("revision-label")[1]
    assert failed_facts(build, "gateway") == []


def test_a_tag_that_existed_before_and_was_not_rebuilt_is_not_new(emulated: Emulated) -> None:
    head = emulated.state.snapshot.head
    emulated.push_old("gateway", [f"sha-{head[:7]}"], head)  # an earlier build of the same commit
    emulated.state.plan_outcome("build-images.yml", "failure", job="build (gateway)")
    build = build_of(emulated)
    assert not build.run.passed
    assert failed_facts(build, "gateway") == ["latest-matches", "tag-is-new"]
    assert "existed before" in build.image("gateway").check("tag-is-new")[1]


def test_a_tag_that_existed_before_and_was_rebuilt_is_new(emulated: Emulated) -> None:
    head = emulated.state.snapshot.head
    emulated.push_old("gateway", [f"sha-{head[:7]}"], head)
    build = build_of(emulated)
    assert build.run.passed
    assert failed_facts(build, "gateway") == []
    assert "existed before" in build.image("gateway").check("tag-is-new")[1]


def test_a_private_package_without_credentials_is_no_access_and_nothing_is_dispatched(made: list[Emulated]) -> None:
    emu = Emulated(registry_token=None)
    made.append(emu)
    emu.state.registry.set_public(emu.image_name("gateway"), False)
    build = build_of(emu)
    assert not build.run.passed
    assert "nothing was dispatched" in build.run.reason
    assert "private" in build.run.reason or "no access" in build.run.reason
    assert emu.transport.dispatch_posts == 0
    passed, message = build.image("worker").check("sha-tag-exists")
    assert not passed
    assert "not checked" in message


# -- the dispatch is refused, or needs care -----------------------------------------------------------------------


def test_a_read_only_token_cannot_dispatch(made: list[Emulated]) -> None:
    emu = Emulated(token=READ_ONLY)
    made.append(emu)
    session = emu.session()
    assert session.workflows_active().passed  # reading works
    build = session.build_acceptance()
    assert not build.run.passed
    assert "actions:write" in build.run.reason
    assert emu.dispatch_runs() == 0
    assert "no build run" in build.image("gateway").check("sha-tag-exists")[1]


def test_a_workflow_without_workflow_dispatch_is_refused(tmp_path: Path, made: list[Emulated]) -> None:
    emu = Emulated(repo_dir=defective_repo(tmp_path, "  workflow_dispatch:\n", ""))
    made.append(emu)
    build = build_of(emu)
    assert not build.run.passed
    assert "workflow has no workflow_dispatch trigger" in build.run.reason
    assert emu.dispatch_runs() == 0


def test_old_ghes_correlates_the_run(made: list[Emulated]) -> None:
    emu = Emulated(base_url="https://ghes.example/api/v3", old_ghes=True)
    made.append(emu)
    build = build_of(emu)
    assert build.run.passed, build.run.reason
    assert build.run.dispatch is not None
    assert build.run.dispatch.correlation.method == "correlation"
    assert "the only correlation candidate" in build.run.how_found()
    assert emu.transport.dispatch_posts == 1


def test_ghes_that_refuses_run_details_with_400_falls_back_to_correlation(made: list[Emulated]) -> None:
    emu = Emulated(base_url="https://ghes.example/api/v3", old_ghes=True)
    made.append(emu)
    emu.transport.inner = HideVersion(emu.transport.inner)  # the emulator itself then answers the 400
    build = build_of(emu)
    assert build.run.passed, build.run.reason
    assert build.run.dispatch is not None
    notes = " ".join(build.run.dispatch.correlation.notes)
    assert "400 (return_run_details not permitted)" in notes
    assert emu.transport.dispatch_posts == 2  # the refused POST created nothing...
    assert emu.dispatch_runs() == 1  # ...so exactly one run exists


@pytest.mark.parametrize(("base_url", "old_ghes"), [("https://api.github.com", False),
                                                    ("https://ghes.example/api/v3", True)])
def test_a_foreign_dispatch_at_the_same_moment_is_never_picked(made: list[Emulated], base_url: str,
                                                              old_ghes: bool) -> None:
    emu = Emulated(base_url=base_url, old_ghes=old_ghes, actor="example")
    made.append(emu)
    emu.state.add_fault("POST /repos/*/dispatches:foreign-dispatch")
    build = build_of(emu)
    assert build.run.passed, build.run.reason
    assert build.run.dispatch is not None
    run = build.run.dispatch.run
    assert FOREIGN_ACTOR not in (run.actor_login, run.triggering_actor_login)


def test_a_foreign_dispatch_without_a_known_actor_is_an_explicit_error(made: list[Emulated]) -> None:
    emu = Emulated(base_url="https://ghes.example/api/v3", old_ghes=True)
    made.append(emu)
    emu.state.add_fault("POST /repos/*/dispatches:foreign-dispatch")
    build = build_of(emu)
    assert not build.run.passed
    assert "2 runs of build-images.yml match our dispatch" in build.run.reason
    assert build.run.dispatch is None
    assert emu.transport.dispatch_posts == 1


@pytest.mark.parametrize("base_url", ["https://api.github.com", "https://ghes.example/api/v3"])
def test_eventual_consistency_delays_are_waited_out(made: list[Emulated], base_url: str) -> None:
    emu = Emulated(base_url=base_url, old_ghes="ghes" in base_url)
    made.append(emu)
    emu.state.add_fault("POST /repos/*/dispatches:visibility-delay=45")
    build = build_of(emu)
    assert build.run.passed, build.run.reason
    assert emu.transport.dispatch_posts == 1


def test_ci_without_a_run_is_pending_not_green(emulated: Emulated) -> None:
    session = emulated.session()
    with emulated.state.github.lock:
        emulated.state.github.runs = [run for run in emulated.state.github.runs if run.event != "push"]
    verdict = session.ci_green_for_head()
    assert not verdict.passed
    assert "pending is not green" in verdict.reason


def test_a_session_reused_never_dispatches_again(emulated: Emulated) -> None:
    session: LiveSession = emulated.session()
    emulated.state.add_fault("POST /repos/*/dispatches:503")
    first = session.build_acceptance()
    assert not first.run.passed
    assert "not dispatching again" in first.run.reason
    assert session.build_acceptance() is first
    assert emulated.transport.dispatch_posts == 1


def jobs_named(*names: str) -> list[Job]:
    return [Job(id=i, run_id=1, name=name, status="completed", conclusion="success", started_at=None,
                completed_at=None, html_url="", run_attempt=1, steps=()) for i, name in enumerate(names)]


class HideVersion(httpx.BaseTransport):
    """A GHES whose /meta names no version (so the harness tries return_run_details and gets the 400)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path.endswith("/meta"):
            response.read()
            return httpx.Response(200, json={"verifiable_password_authentication": False},
                                  headers={"date": response.headers.get("date", "")})
        return response


def test_a_red_ci_run_still_in_progress_is_waited_for_and_names_the_job_and_step(emulated: Emulated) -> None:
    session = emulated.session()
    github = emulated.state.github
    ci = github.require_workflow("ci.yml")
    step = ci.jobs()[0].steps[-2]  # the last real step (before "Complete job")
    github.add_run(ci, RunOrigin("push", "main", session.head_sha, emulated.owner),
                   outcome=PlannedOutcome("failure", job="test", step=step))
    verdict = session.ci_green_for_head()
    assert not verdict.passed
    assert "job 'test' failure at step" in verdict.reason
    assert repr(step) in verdict.reason
    assert "newest of 2 runs" in verdict.reason
    [failure] = verdict.logs
    assert (failure["purpose"], failure["job"], failure["step"]) == ("failure", "test", step)
    assert any(str(line).startswith("##[error]") for line in failure["errors"])  # type: ignore[attr-defined]


def test_a_build_longer_than_the_run_timeout_names_the_phase(made: list[Emulated]) -> None:
    emu = Emulated(timings=TEN_MINUTES)
    made.append(emu)
    emu.timing = replace(emu.timing, run_timeout_s=120)
    build = build_of(emu)
    assert not build.run.passed
    assert re.search(r"timed out after 120s waiting for run \d+ to complete \(in_progress\)", build.run.reason), \
        build.run.reason
    assert "did not finish" in build.image("gateway").check("sha-tag-exists")[1]


@pytest.mark.parametrize(("registry", "scheme"), [("ghcr.io", "https"), ("registry.example:5000", "https"),
                                                  ("127.0.0.1:5000", "http"), ("localhost:5000", "http"),
                                                  ("[::1]:5000", "http"), ("[::1]", "http")])
def test_plain_http_only_for_a_loopback_registry(registry: str, scheme: str) -> None:
    assert registry_scheme(registry) == scheme


def test_compressed_time_runs_speed_times_faster() -> None:
    real = ManualClock(10.0)
    fast = CompressedTime(60, monotonic=real, sleep=real.sleep)
    fast.sleep(120)
    assert real.sleeps == [2.0]
    assert fast.clock() == 12.0 * 60
    with pytest.raises(ValueError, match="emulator speed must be > 0"):
        CompressedTime(0)
