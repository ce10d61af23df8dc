"""The build rules on the shapes people write: cases that must pass and cases that must fail, each a small
repository of its own (written here), checked with the plan's services ``api`` and ``worker``."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_acceptance.criteria import check_criterion
from cicd_acceptance.plan import Plan
from cicd_acceptance.target import Target
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding

SHA = "0123456789abcdef0123456789abcdef01234567"
HEAD = """on:
  push:
    branches: [main]
  workflow_dispatch:
permissions:
  contents: read
  packages: write
"""
CALLER = HEAD + """jobs:
  images:
    strategy:
      matrix:
        service: [api, worker]
    uses: ./.github/workflows/image.yml
    with:
      service: ${{ matrix.service }}
"""
CALLEE = """on:
  workflow_call:
    inputs:
      service: {type: string, required: true}
jobs:
  image:
    runs-on: ubuntu-latest
    PERMISSIONS
    steps:
      - uses: docker/setup-qemu-action@v3
      - uses: docker/setup-buildx-action@v3
      - uses: docker/login-action@v3
        with: {registry: ghcr.io, username: "${{ github.actor }}", password: "${{ secrets.GITHUB_TOKEN }}"}
      - id: meta
        uses: docker/metadata-action@v5
        with:
          images: ghcr.io/${{ github.repository }}-${{ inputs.service }}
          tags: |
            type=sha
            type=raw,value=latest,enable={{is_default_branch}}
      - uses: docker/build-push-action@v6
        with:
          file: Dockerfile.${{ inputs.service }}
          push: true
          tags: ${{ steps.meta.outputs.tags }}
          labels: ${{ steps.meta.outputs.labels }}
          cache-from: type=gha
          cache-to: type=gha,mode=max
"""
RUN = HEAD + """jobs:
  docker:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        service: [api, worker]
    env:
      IMAGE: ghcr.io/${{ github.repository }}-${{ matrix.service }}
    steps:
      - uses: actions/checkout@v4
      - run: LOGIN
      - run: |
          docker build -f Dockerfile.${{ matrix.service }} \\
            --label org.opencontainers.image.revision=${{ github.sha }} \\
            -t "$IMAGE:sha-${GITHUB_SHA::7}" -t "$IMAGE:TAG" .
          docker push --all-tags "$IMAGE"
"""
GOOD_LOGIN = 'echo "${{ secrets.GITHUB_TOKEN }}" | docker login ghcr.io -u "${{ github.actor }}" --password-stdin'


def _findings(tmp_path: Path, files: dict[str, str]) -> list[Finding]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for service in ("api", "worker"):
        (tmp_path / f"Dockerfile.{service}").write_text("FROM scratch\n", encoding="utf-8")
    target = Target(repo_dir=tmp_path, git_root=tmp_path, prefix="", head_sha=SHA, branch="main",
                    repository="acme/shop")
    ctx = CheckContext(target, Plan(services=("api", "worker"), build_workflow=".github/workflows/build.yml"))
    return check_criterion("build-workflow", ctx, include_tools=False)


def _shown(findings: list[Finding]) -> list[str]:
    return [str(finding) for finding in findings]


@pytest.mark.parametrize("permissions", ["", "permissions:\n      contents: read\n      packages: write"])
def test_a_reusable_workflow_with_the_plans_services_passes(tmp_path: Path, permissions: str) -> None:
    files = {".github/workflows/build.yml": CALLER,
             ".github/workflows/image.yml": CALLEE.replace("PERMISSIONS", permissions)}
    assert _shown(_findings(tmp_path, files)) == []


def test_a_callee_asking_more_than_its_caller_grants_fails(tmp_path: Path) -> None:
    caller = CALLER.replace("    uses: ./", "    permissions:\n      contents: read\n    uses: ./")
    files = {".github/workflows/build.yml": caller,
             ".github/workflows/image.yml": CALLEE.replace(
                 "PERMISSIONS", "permissions:\n      contents: read\n      packages: write")}
    found = _shown(_findings(tmp_path, files))
    assert any("expected permissions no broader than its caller's (.github/workflows/build.yml job 'images'), "
               "found packages: write [build-permissions]" in line for line in found), found


def test_a_callee_granting_contents_write_fails_at_that_line(tmp_path: Path) -> None:
    files = {".github/workflows/build.yml": CALLER,
             ".github/workflows/image.yml": CALLEE.replace(
                 "PERMISSIONS", "permissions:\n      contents: write\n      packages: write")}
    found = _shown(_findings(tmp_path, files))
    assert found == [".github/workflows/image.yml:9: expected permissions no broader than contents: read and "
                     "packages: write, found contents: write [build-permissions]"]


def test_run_steps_that_log_in_build_and_push_pass(tmp_path: Path) -> None:
    workflow = RUN.replace("LOGIN", GOOD_LOGIN).replace(':TAG"', ':latest"').replace(
        "push:\n    branches: [main]\n  workflow_dispatch:\n", "push:\n    branches: [main]\n")
    found = _shown(_findings(tmp_path, {".github/workflows/build.yml": workflow}))
    assert found == [".github/workflows/build.yml:1: expected a 'workflow_dispatch' trigger, found on: [push] "
                     "[build-triggers]"]


@pytest.mark.parametrize(("login", "message"), [
    ("echo no login", "expected a login to ghcr.io before the push (docker/login-action or docker login), found "
                      "none in job 'docker'"),
    ('echo "${{ secrets.GHCR_PAT }}" | docker login ghcr.io -u me --password-stdin',
     "expected the password from ${{ secrets.GITHUB_TOKEN }} or ${{ github.token }} (the Actions token)"),
    ('echo "${{ github.token }}" | docker login docker.io -u me --password-stdin', "expected registry: ghcr.io"),
])
def test_a_wrong_or_missing_docker_login_fails(tmp_path: Path, login: str, message: str) -> None:
    workflow = RUN.replace("LOGIN", login).replace(':TAG"', ':latest"')
    found = _shown(_findings(tmp_path, {".github/workflows/build.yml": workflow}))
    assert any(message in line and "[build-login]" in line for line in found), found


def test_a_tag_computed_by_the_shell_is_undecided_not_wrong(tmp_path: Path) -> None:
    workflow = RUN.replace("LOGIN", GOOD_LOGIN).replace(':TAG"', ':$(cat VERSION)"')
    findings = [f for f in _findings(tmp_path, {".github/workflows/build.yml": workflow})
                if f.rule == "build-publication" and "tagged latest" in f.message]
    assert findings, "the unknown tag must be reported"
    assert all(f.undecided and "settled live by" in str(f) and "$(cat VERSION)" in f.message for f in findings)


META_BUILD = HEAD + """jobs:
  prep:
    runs-on: ubuntu-latest
    outputs:
      prefix: ${{ steps.p.outputs.prefix }}
    steps:
      - id: p
        run: echo "prefix=ghcr.io/${GITHUB_REPOSITORY,,}" >> "$GITHUB_OUTPUT"
  build:
    needs: prep
    runs-on: ubuntu-latest
    strategy:
      matrix:
        service: [api, worker]
    steps:
      - uses: docker/setup-qemu-action@v3
      - uses: docker/setup-buildx-action@v3
      - uses: docker/login-action@v3
        with: {registry: ghcr.io, username: "${{ github.actor }}", password: "${{ secrets.GITHUB_TOKEN }}"}
      - id: df
        run: echo "path=Dockerfile.${{ matrix.service }}" >> "$GITHUB_OUTPUT"
      - id: meta
        uses: docker/metadata-action@v5
        with:
          images: IMAGES
          tags: |
            type=sha
            type=raw,value=latest,enable={{is_default_branch}}
      - uses: docker/build-push-action@v6
        with:
          file: FILE
          push: true
          tags: ${{ steps.meta.outputs.tags }}
          labels: ${{ steps.meta.outputs.labels }}
          cache-from: type=gha
          cache-to: type=gha,mode=max
      - name: Summary
        env:
          FIRST: ${{ fromJSON(steps.meta.outputs.json).tags[0] }}
          OTHER: ${{ fromJSON(steps.nothing.outputs.json).tags[0] }}
        run: echo "$FIRST" >> "$GITHUB_STEP_SUMMARY"
"""
IMAGES = "ghcr.io/${{ github.repository }}-${{ matrix.service }}"


def test_an_unrelated_env_reading_fromjson_of_step_outputs_is_no_finding(tmp_path: Path) -> None:
    workflow = META_BUILD.replace("IMAGES", IMAGES).replace("FILE", "Dockerfile.${{ matrix.service }}")
    assert _shown(_findings(tmp_path, {".github/workflows/build.yml": workflow})) == []


def test_an_image_prefix_from_a_job_output_is_undecided_and_shown_once_as_written(tmp_path: Path) -> None:
    workflow = META_BUILD.replace("IMAGES", "${{ needs.prep.outputs.prefix }}-${{ matrix.service }}").replace(
        "FILE", "Dockerfile.${{ matrix.service }}")
    # The earlier job echoes a value the plan knows: its output is computed, and the build is right.
    assert _shown(_findings(tmp_path / "known", {".github/workflows/build.yml": workflow})) == []
    # A prefix the script reads at run time cannot be known offline.
    workflow = workflow.replace('echo "prefix=ghcr.io/${GITHUB_REPOSITORY,,}"', 'echo "prefix=$(cat .prefix)"')
    findings = _findings(tmp_path, {".github/workflows/build.yml": workflow})
    assert findings
    assert all(f.undecided for f in findings), _shown(findings)
    assert "found ${{ needs.prep.outputs.prefix }}-api, ${{ needs.prep.outputs.prefix }}-worker" in str(findings[0])
    assert "$${{" not in "\n".join(_shown(findings))


def test_a_dockerfile_from_a_step_output_is_read_when_known_and_undecided_when_not(tmp_path: Path) -> None:
    workflow = META_BUILD.replace("IMAGES", IMAGES).replace("FILE", "${{ steps.df.outputs.path }}")
    assert _shown(_findings(tmp_path, {".github/workflows/build.yml": workflow})) == []  # echo of a known value
    workflow = workflow.replace('echo "path=Dockerfile.${{ matrix.service }}"',
                                'echo "path=$(ls Dockerfile.* | grep ${{ matrix.service }})"')
    findings = _findings(tmp_path, {".github/workflows/build.yml": workflow})
    assert [f.rule for f in findings] == ["build-matrix"], _shown(findings)
    assert findings[0].undecided
    assert "no such file" not in str(findings[0])


def test_a_dockerfile_path_outside_the_repository_is_a_finding(tmp_path: Path) -> None:
    workflow = META_BUILD.replace("IMAGES", IMAGES).replace("FILE", "../../etc/Dockerfile.${{ matrix.service }}")
    found = _shown(_findings(tmp_path, {".github/workflows/build.yml": workflow}))
    assert any("no such file" in line for line in found), found


def test_a_buildx_build_in_a_script_needs_qemu_and_buildx_set_up_before_it(tmp_path: Path) -> None:
    workflow = RUN.replace("LOGIN", GOOD_LOGIN).replace(':TAG"', ':latest"').replace(
        "docker build -f", "docker buildx build --push --platform linux/amd64,linux/arm64 -f").replace(
        '          docker push --all-tags "$IMAGE"\n', "")
    found = [line for line in _shown(_findings(tmp_path, {".github/workflows/build.yml": workflow}))
             if "[build-setup]" in line]
    assert found == [
        ".github/workflows/build.yml:20: expected a docker/setup-buildx-action step before the build (line 20), "
        "found none in job 'docker' [build-setup]",
        ".github/workflows/build.yml:20: expected a docker/setup-qemu-action step before the build (line 20), found "
        "none in job 'docker' [build-setup]",
    ]
    fixed = workflow.replace("      - uses: actions/checkout@v4\n", "      - uses: actions/checkout@v4\n"
                             "      - uses: docker/setup-qemu-action@v3\n      - uses: docker/setup-buildx-action@v3\n")
    assert [line for line in _shown(_findings(tmp_path, {".github/workflows/build.yml": fixed}))
            if "[build-setup]" in line] == []
