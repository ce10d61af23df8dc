"""The emulator's runtime on small workflows: matrices from expressions, reusable workflows, artifacts, actions it
does not know, workflow commands, masks and job tokens. Each workflow is committed to a sample repository and
dispatched; the assertions read the executed job records and the artifact store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cicd_acceptance.emulator import EmulatorConfig, EmulatorState
from cicd_acceptance.emulator.github.runs import JobRecord, RunRecord
from tests.emulator.sample_repo import CI_YML, git, make_sample_repo, write_files

MATRIX_YML = """\
name: Matrix
on: workflow_dispatch
jobs:
  plan:
    runs-on: ubuntu-latest
    outputs:
      targets: ${{ steps.list.outputs.targets }}
    steps:
      - id: list
        run: echo 'targets=["amd64","arm64"]' >> "$GITHUB_OUTPUT"
  build:
    needs: plan
    runs-on: ubuntu-latest
    strategy:
      fail-fast: true
      matrix:
        arch: ${{ fromJSON(needs.plan.outputs.targets) }}
        include:
          - arch: arm64
            slow: true
    steps:
      - run: echo "arch=${{ matrix.arch }} slow=${{ matrix.slow || false }} index=${{ strategy.job-index }}"
  after-failure:
    needs: build
    if: failure()
    runs-on: ubuntu-latest
    steps:
      - run: echo never
"""

REUSABLE_YML = """\
name: Release
on: workflow_dispatch
jobs:
  call:
    uses: ./.github/workflows/reusable.yml
    with:
      greeting: hello
  use:
    needs: call
    runs-on: ubuntu-latest
    steps:
      - run: echo "got ${{ needs.call.outputs.said }}"
"""

CALLED_YML = """\
name: Reusable
on:
  workflow_call:
    inputs:
      greeting:
        type: string
      who:
        type: string
        default: world
    outputs:
      said:
        value: ${{ jobs.say.outputs.text }}
jobs:
  say:
    runs-on: ubuntu-latest
    outputs:
      text: ${{ steps.s.outputs.text }}
    steps:
      - id: s
        run: echo "text=${{ inputs.greeting }} ${{ inputs.who }}" >> "$GITHUB_OUTPUT"
"""

ARTIFACTS_YML = """\
name: Artifacts
on: workflow_dispatch
permissions:
  contents: read
jobs:
  make:
    runs-on: ubuntu-latest
    steps:
      - run: mkdir -p out && echo built > out/app.txt
      - uses: actions/upload-artifact@v4
        with:
          name: app
          path: out/
      - uses: some-org/unknown-action@v1
      - run: |
          echo "::add-mask::s3cr3t-value"
          echo "the value is s3cr3t-value"
          echo "::error file=main.go,line=7::something is wrong"
          echo "token ${{ secrets.GITHUB_TOKEN }}"
  use:
    needs: make
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@v4
        with:
          name: app
          path: got
      - run: cat got/app.txt
"""


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = make_sample_repo(tmp_path_factory.mktemp("runtime-repo"))
    write_files(repo, {".github/workflows/matrix.yml": MATRIX_YML, ".github/workflows/release.yml": REUSABLE_YML,
                       ".github/workflows/reusable.yml": CALLED_YML, ".github/workflows/artifacts.yml": ARTIFACTS_YML})
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "More workflows")
    return repo


def executed(repo: Path, workflow: str) -> tuple[EmulatorState, RunRecord]:
    state = EmulatorState(repo, EmulatorConfig(speed=0, seed=False))
    run = state.dispatch(workflow, visibility_delay=0)
    state.advance(3600)
    assert state.executor.errors == []
    return state, run


def job(run: RunRecord, name: str) -> JobRecord:
    found = [record for record in run.current.jobs if record.plan.name == name]
    assert found, f"no job {name!r} in {[record.plan.name for record in run.current.jobs]}"
    return found[0]


def test_a_matrix_from_a_job_output_with_include_and_a_failure_condition(repo: Path) -> None:
    state, run = executed(repo, "matrix.yml")
    assert run.conclusion(state.now()) == "success"
    assert "arch=amd64 slow=false index=0" in job(run, "build (amd64)").log_text
    assert "arch=arm64 slow=true index=1" in job(run, "build (arm64, true)").log_text
    assert job(run, "after-failure").executed == "skipped"


def test_a_reusable_workflow_of_the_repository_runs_with_its_inputs_and_outputs(repo: Path) -> None:
    state, run = executed(repo, "release.yml")
    assert run.conclusion(state.now()) == "success"
    assert job(run, "call / say").executed == "success"
    assert "got hello world" in job(run, "use").log_text


def test_artifacts_unknown_actions_workflow_commands_and_masks(repo: Path) -> None:
    state, run = executed(repo, "artifacts.yml")
    assert run.conclusion(state.now()) == "success"
    make, use = job(run, "make"), job(run, "use")
    [artifact] = state.github.artifacts.for_run(run.id)
    assert artifact.name == "app"
    assert "built" in use.log_text  # downloaded by the next job
    assert make.not_emulated == ["Run some-org/unknown-action@v1"]
    assert "some-org/unknown-action@v1 is not emulated" in make.log_text
    assert "the value is ***" in make.log_text
    # As on GitHub, the script is logged before it runs (and before the mask exists); its output is masked.
    assert not any(line.endswith("Z the value is s3cr3t-value") for line in make.log_text.splitlines())
    assert "token ***" in make.log_text
    levels = {(a.level, a.path, a.line, a.message) for a in make.annotations}
    assert ("failure", "main.go", 7, "something is wrong") in levels
    assert any(a.level == "warning" and "not emulated" in a.message for a in make.annotations)


DOCKER_YML = """\
name: Docker in run steps
on: workflow_dispatch
permissions:
  contents: read
  packages: write
jobs:
  build:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        platform: [linux/amd64, linux/arm64]
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ secrets.GITHUB_TOKEN }}" | docker login ghcr.io -u "${{ github.actor }}" --password-stdin
      - id: build
        run: |
          docker buildx build --platform ${{ matrix.platform }} -f Dockerfile.gateway \\
            --label org.opencontainers.image.revision=${{ github.sha }} \\
            --output type=image,name=ghcr.io/${{ github.repository }}-gateway,push-by-digest=true,push=true . \\
            | tee build.log
          echo "digest=$(sed -n 's/^digest: digest: //p' build.log)" >> "$GITHUB_OUTPUT"
      - run: mkdir -p digests && touch "digests/${{ steps.build.outputs.digest }}"
      - uses: actions/upload-artifact@v4
        with:
          name: digests-${{ strategy.job-index }}
          path: digests/*
  merge:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@v4
        with:
          path: digests
      - run: echo "${{ secrets.GITHUB_TOKEN }}" | docker login ghcr.io -u "${{ github.actor }}" --password-stdin
      - run: |
          docker buildx imagetools create -t ghcr.io/${{ github.repository }}-gateway:sha-${{ github.sha }} \\
            $(for d in digests/*/*; do echo "ghcr.io/${{ github.repository }}-gateway@$(basename "$d")"; done)
"""


def test_docker_in_run_steps_pushes_by_digest_and_merges_an_index(tmp_path: Path) -> None:
    repo = make_sample_repo(tmp_path)
    write_files(repo, {".github/workflows/docker.yml": DOCKER_YML})
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "Docker workflow")
    state, run = executed(repo, "docker.yml")
    logs = "\n".join(record.log_text for record in run.current.jobs)
    assert run.conclusion(state.now()) == "success", logs
    head = state.snapshot.head
    name = "example/stream-monitor-gateway"
    assert state.registry.tags(name) == [f"sha-{head}"]
    index = state.registry.manifest(name, f"sha-{head}")
    assert index is not None
    entries = json.loads(index.body)["manifests"]
    platforms = {(entry.get("platform") or {}).get("architecture") for entry in entries}
    assert {"amd64", "arm64"} <= platforms
    assert "Login Succeeded" in logs


RETAG_YML = """\
name: Retag
on: workflow_dispatch
permissions:
  contents: read
  packages: write
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ secrets.GITHUB_TOKEN }}" | docker login ghcr.io -u "$GITHUB_ACTOR" --password-stdin
      - run: |
          image="ghcr.io/${GITHUB_REPOSITORY}-gateway"
          docker buildx build -f Dockerfile.gateway --platform linux/amd64,linux/arm64 \\
            --label "org.opencontainers.image.revision=${GITHUB_SHA}" --tag "${image}:sha-${GITHUB_SHA::12}" --push .
          docker buildx imagetools create --tag "${image}:latest" "${image}:sha-${GITHUB_SHA::12}"
          docker buildx imagetools create --tag "docker.io/examplecorp/gateway:latest" "${image}:latest"
"""


def test_imagetools_create_from_one_index_copies_it_digest_and_all_and_a_copy_elsewhere_is_named(
        tmp_path: Path) -> None:
    # buildx returns a single index source's own bytes: retagging sha-<12> as latest makes
    # latest the same digest, which the live check's latest-matches fact asks for.
    repo = make_sample_repo(tmp_path)
    write_files(repo, {".github/workflows/retag.yml": RETAG_YML})
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "Retag workflow")
    state, run = executed(repo, "retag.yml")
    logs = "\n".join(record.log_text for record in run.current.jobs)
    assert run.conclusion(state.now()) == "success", logs
    name = "example/stream-monitor-gateway"
    built = state.registry.manifest(name, f"sha-{state.snapshot.head[:12]}")
    latest = state.registry.manifest(name, "latest")
    assert built is not None
    assert latest is not None
    assert latest.digest == built.digest
    assert latest.body == built.body
    # A copy to another registry is beyond the emulator: named as not emulated, never a failed step.
    assert "imagetools create to docker.io/examplecorp/gateway:latest is not emulated" in logs


COMPOSITE_ACTION = """\
name: Greet
inputs:
  who:
    description: whom to greet
    default: world
outputs:
  greeting:
    value: ${{ steps.say.outputs.text }}
runs:
  using: composite
  steps:
    - id: say
      shell: bash
      run: echo "text=hello ${{ inputs.who }}" >> "$GITHUB_OUTPUT"
"""

COMPOSITE_YML = """\
name: Composite
on: workflow_dispatch
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: greet
        uses: ./.github/actions/greet
        with:
          who: octocat
      - run: echo "said ${{ steps.greet.outputs.greeting }}"
"""


def test_a_local_composite_action_runs_its_steps_with_inputs_and_outputs(tmp_path: Path) -> None:
    repo = make_sample_repo(tmp_path)
    write_files(repo, {".github/workflows/composite.yml": COMPOSITE_YML,
                       ".github/actions/greet/action.yml": COMPOSITE_ACTION})
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "Composite action")
    state, run = executed(repo, "composite.yml")
    [greet] = run.current.jobs
    assert run.conclusion(state.now()) == "success", greet.log_text
    assert "said hello octocat" in greet.log_text


def test_path_filters_decide_whether_the_seeded_push_runs(tmp_path: Path) -> None:
    repo = make_sample_repo(tmp_path)
    docs_only = "name: Docs\non:\n  push:\n    branches: [main]\n    paths: ['docs/**']\njobs:\n  d:\n" \
                "    runs-on: ubuntu-latest\n    steps:\n      - run: echo docs\n"
    any_yaml = docs_only.replace("Docs", "Workflows").replace("'docs/**'", "'.github/**'")
    write_files(repo, {".github/workflows/docs.yml": docs_only, ".github/workflows/workflows.yml": any_yaml})
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "Docs and workflow checks")
    state = EmulatorState(repo, EmulatorConfig(speed=0))
    seeded = {run.workflow.file_name for run in state.github.runs if run.event == "push"}
    assert "workflows.yml" in seeded  # the push changed .github/ files
    assert "docs.yml" not in seeded  # and nothing under docs/: GitHub starts no run


def test_a_synthesized_pull_request_is_judged_by_heads_own_changes(tmp_path: Path) -> None:
    repo = make_sample_repo(tmp_path)
    docs_only = "name: Docs\non:\n  pull_request:\n    paths: ['docs/**']\njobs:\n  d:\n" \
                "    runs-on: ubuntu-latest\n    steps:\n      - run: echo docs\n"
    any_yaml = docs_only.replace("Docs", "Workflows").replace("'docs/**'", "'.github/**'")
    write_files(repo, {".github/workflows/docs.yml": docs_only, ".github/workflows/workflows.yml": any_yaml})
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "Docs and workflow checks")  # HEAD is no merge: its pull request is made up
    state = EmulatorState(repo, EmulatorConfig(speed=0))
    seeded = {run.workflow.file_name for run in state.github.runs if run.event == "pull_request"}
    assert "workflows.yml" in seeded
    assert "docs.yml" not in seeded


@pytest.mark.parametrize(("pull_request", "runs"), [
    ("  pull_request:\n    paths: ['docs/**']\n", False),  # the pull request changed no file under docs/
    ("  pull_request:\n    paths-ignore: ['.github/**', 'Dockerfile.*']\n", False),  # every change is ignored
    ("  pull_request:\n    paths: ['.github/workflows/**']\n", True),
    ("  pull_request:\n    paths-ignore: ['docs/**']\n", True),
])
def test_path_filters_decide_whether_the_seeded_pull_request_runs(tmp_path: Path, pull_request: str,
                                                                  runs: bool) -> None:
    # The pull request merged into HEAD added the workflows and the Dockerfiles (its diff to the merge base).
    assert "  pull_request:\n" in CI_YML
    repo = make_sample_repo(tmp_path, ci_yml=CI_YML.replace("  pull_request:\n", pull_request))
    state = EmulatorState(repo, EmulatorConfig(speed=0))
    seeded = {(run.workflow.file_name, run.event) for run in state.github.runs}
    assert (("ci.yml", "pull_request") in seeded) is runs
    assert ("ci.yml", "push") in seeded  # the push of HEAD has no path filter


GIT_YML = """\
name: Git
on: workflow_dispatch
jobs:
  git:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: |
          echo "head=$(git rev-parse HEAD) sha=$GITHUB_SHA"
          echo "branch=$(git rev-parse --abbrev-ref HEAD) shallow=$(git rev-parse --is-shallow-repository)"
          echo "describe=$(git describe --always) subject=$(git log -1 --format=%s)"
          echo "origin=$(git remote get-url origin)"
          git describe --tags || echo "no tags"
          git status --porcelain > "$RUNNER_TEMP/status" && test ! -s "$RUNNER_TEMP/status" && echo "clean tree"
"""


def test_the_checkout_is_a_git_repository_of_the_runs_commit(tmp_path: Path) -> None:
    repo = make_sample_repo(tmp_path)
    write_files(repo, {".github/workflows/git.yml": GIT_YML, ".gitignore": "*.log\n", "kept.log": "tracked\n"})
    git(repo, "add", "--force", ".")
    git(repo, "commit", "-q", "-m", "Inspect the checkout")
    state, run = executed(repo, "git.yml")
    [record] = run.current.jobs
    log = record.log_text
    assert run.conclusion(state.now()) == "success", log
    head = state.snapshot.head
    assert f"head={head} sha={head}" in log
    assert "branch=main shallow=true" in log
    assert f"describe={head[:7]} subject=Inspect the checkout" in log
    assert f"origin=https://github.com/{state.identity.full_name}" in log
    assert "no tags" in log
    assert "clean tree" in log  # a tracked file that .gitignore matches is in the commit too
