"""The emulator executes the workflow: red where GitHub would be red, with the reason in the job's log.

Each test builds a small target (``tests/emulator/sample_repo.py``) with one defect and runs the harness's live
checks against an in-process emulator (no real waiting). Nothing here injects an outcome: the conclusion comes
from running the target's tests and steps.
"""

from __future__ import annotations

from pathlib import Path

from cicd_acceptance.emulator import EmulatorConfig, EmulatorState
from cicd_acceptance.emulator.github.runs import JobRecord
from tests.emulator.sample_repo import BUILD_YML, git, make_sample_repo, write_files
from tests.live.acceptance_emulated import SERVICES, Emulated

FAILING_TEST = """\
package ids

import "testing"

func TestNextSkipsNothing(t *testing.T) {
\tif Next(1) != 3 {
\t\tt.Fatalf("Next(1) = %d, want 3", Next(1))
\t}
}
"""


def commit(repo: Path, files: dict[str, str], message: str) -> None:
    write_files(repo, files)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", message)


def jobs_of(emu: Emulated, path: str, event: str) -> list[JobRecord]:
    runs = [run for run in emu.state.github.runs if run.workflow.path == path and run.event == event]
    assert runs, f"no {event} run of {path}"
    return runs[-1].current.jobs


def build_variant(tmp_path: Path, old: str, new: str) -> Emulated:
    assert old in BUILD_YML
    return Emulated(repo_dir=make_sample_repo(tmp_path, build_yml=BUILD_YML.replace(old, new)))


def test_a_committed_failing_go_test_makes_the_ci_runs_red_with_the_test_in_the_log(tmp_path: Path) -> None:
    repo = make_sample_repo(tmp_path)
    commit(repo, {"ids/next_test.go": FAILING_TEST}, "Test that Next skips nothing")
    emu = Emulated(repo_dir=repo)
    session = emu.session()
    head, pull = session.ci_green_for_head(), session.ci_green_for_merged_pr()
    assert not head.passed
    assert "failure" in head.reason
    assert not pull.passed
    [test] = jobs_of(emu, ".github/workflows/ci.yml", "push")
    assert test.executed == "failure"
    assert test.log_text is not None
    assert "--- FAIL: TestNextSkipsNothing" in test.log_text
    assert "Next(1) = 2, want 3" in test.log_text
    assert "##[error]Process completed with exit code 1." in test.log_text


def test_a_build_without_packages_write_fails_its_push(tmp_path: Path) -> None:
    emu = build_variant(tmp_path, "  packages: write\n", "")
    build = emu.session().build_acceptance()
    assert not build.run.passed
    assert "'Build and push'" in build.run.reason
    for job in jobs_of(emu, ".github/workflows/build-images.yml", "workflow_dispatch"):
        assert job.executed == "failure"
        assert job.log_text is not None
        assert "Login Succeeded!" in job.log_text  # the token logs in; GHCR refuses the push
        assert "denied: installation not allowed to Create organization package" in job.log_text
    for service in SERVICES:
        assert emu.state.registry.tags(emu.image_name(service)) == []


def test_a_build_without_labels_publishes_images_without_the_revision_label(tmp_path: Path) -> None:
    emu = build_variant(tmp_path, "          labels: ${{ steps.meta.outputs.labels }}\n", "")
    build = emu.session().build_acceptance()
    assert build.run.passed, build.run.reason
    for service in SERVICES:
        passed, message = build.image(service).check("revision-label")
        assert not passed, message
        assert build.image(service).check("sha-tag-exists")[0]


def test_a_dockerfile_copy_of_a_missing_file_fails_the_build_job(tmp_path: Path) -> None:
    repo = make_sample_repo(tmp_path)
    commit(repo, {"Dockerfile.worker": "FROM scratch\nCOPY worker.conf /etc/worker.conf\n"}, "Worker config")
    emu = Emulated(repo_dir=repo)
    build = emu.session().build_acceptance()
    assert not build.run.passed
    assert "job 'build (worker)' failure at step" in build.run.reason
    worker = next(job for job in jobs_of(emu, ".github/workflows/build-images.yml", "workflow_dispatch")
                  if job.plan.name == "build (worker)")
    assert worker.log_text is not None
    assert '"/worker.conf": not found' in worker.log_text
    assert build.image("gateway").check("sha-tag-exists")[0]  # fail-fast: false, the others still publish
    assert not build.image("worker").check("sha-tag-exists")[0]


STEP_OUTPUTS_YML = """\
name: Version
on:
  workflow_dispatch:
jobs:
  version:
    runs-on: ubuntu-latest
    outputs:
      version: ${{ steps.pick.outputs.version }}
    steps:
      - id: pick
        run: echo "version=1.$((40 + 2)).0" >> "$GITHUB_OUTPUT"
      - name: Use it
        run: echo "building ${{ steps.pick.outputs.version }} of ${{ github.repository }}"
  report:
    needs: version
    runs-on: ubuntu-latest
    steps:
      - name: Report
        if: needs.version.outputs.version == '1.42.0'
        run: echo "released ${{ needs.version.outputs.version }}"
"""


def test_a_step_output_written_to_github_output_feeds_later_steps_and_jobs(tmp_path: Path) -> None:
    repo = make_sample_repo(tmp_path)
    commit(repo, {".github/workflows/version.yml": STEP_OUTPUTS_YML}, "Version workflow")
    state = EmulatorState(repo, EmulatorConfig(speed=0))
    run = state.dispatch("version.yml", visibility_delay=0)
    state.advance(600)
    assert run.conclusion(state.now()) == "success"
    version, report = run.current.jobs
    assert version.log_text is not None
    assert report.log_text is not None
    assert "building 1.42.0 of example/stream-monitor" in version.log_text
    assert "released 1.42.0" in report.log_text
    assert [step.conclusion for step in report.executed_steps] == ["success", "success", "success"]


def test_the_sample_publishes_exactly_what_a_runner_would() -> None:
    emu = Emulated()
    build = emu.session().build_acceptance()
    assert build.run.passed, build.run.reason
    head = emu.state.snapshot.head
    for service in SERVICES:
        tags = emu.state.registry.tags(emu.image_name(service))
        assert f"sha-{head[:7]}" in tags
        assert "latest" in tags
        assert all(tag == "latest" or tag.startswith("sha-") for tag in tags)
    assert emu.state.registry.repositories() == sorted(emu.image_name(service) for service in SERVICES)
    [test] = jobs_of(emu, ".github/workflows/ci.yml", "push")
    assert test.executed == "success"
    assert test.log_text is not None
    assert "ok  \tgithub.com/example/stream-monitor/internal/api" in test.log_text
