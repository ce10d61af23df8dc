"""Seeded defects of the bundled sample: each one breaks exactly one acceptance criterion.

``owner`` is the criterion that must fail; every other criterion must stay green. ``commit=False`` leaves the
edit in the working tree (the 'uncommitted' cases). ``tools=True`` runs the tool rules too (actionlint, zizmor,
go); the others run the pure rules only, which is what keeps the whole golden suite fast.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.static.repos import VALID_DIR, Edit

CI = ".github/workflows/ci.yml"
BUILD = ".github/workflows/build-images.yml"

_SETUP_GO = """      - name: Set up Go from go.mod
        uses: actions/setup-go@v5
        with:
          go-version-file: go.mod

"""
_BUILDX = """      - name: Set up Docker Buildx
        uses: docker/setup-buildx-action@v3

"""
_QEMU = """      - name: Set up QEMU
        uses: docker/setup-qemu-action@v3

"""
_CACHE = """          cache-from: type=gha,scope=${{ matrix.service }}
          cache-to: type=gha,mode=max,scope=${{ matrix.service }}
"""


# The sample built by docker/bake-action (a valid variant); the bake defects break it.
_BAKE = VALID_DIR / "build-bake-default-group"
_BAKE_WORKFLOW = (_BAKE / "build-images.yml").read_text(encoding="utf-8")
_BAKE_FILE = (_BAKE / "docker-bake.hcl").read_text(encoding="utf-8")


def _baked(*edits: Edit) -> tuple[Edit, ...]:
    """The bake variant installed, then ``edits`` applied to it."""
    return (Edit(BUILD, None, _BAKE_WORKFLOW), Edit("docker-bake.hcl", None, _BAKE_FILE), *edits)


@dataclass(frozen=True)
class Defect:
    name: str
    owner: str
    edits: tuple[Edit, ...]
    commit: bool = True
    tools: bool = False
    git_args: tuple[tuple[str, ...], ...] = ()


def _d(name: str, owner: str, *edits: Edit, **kw: object) -> Defect:
    return Defect(name, owner, edits, **kw)  # type: ignore[arg-type]


DEFECTS: tuple[Defect, ...] = (
    # --- the workflow files are committed -------------------------------------------------------------------
    _d("uncommitted-edit", "workflows-committed",
       Edit(CI, "      - name: Run the tests\n", "      - name: Run the tests (edited locally)\n"), commit=False),
    _d("staged-not-committed", "workflows-committed",
       Edit(BUILD, "name: Build images\n", "name: Build the images\n"), commit=False,
       git_args=(("add", BUILD),)),
    _d("untracked-workflow", "workflows-committed", git_args=(("rm", "-q", "--cached", BUILD),)),
    # --- CI ------------------------------------------------------------------------------------------------
    _d("ci-only-on-push", "ci-workflow", Edit(CI, "on:\n  pull_request:\n  push:\n", "on:\n  push:\n")),
    _d("ci-push-filter-excludes-main", "ci-workflow",
       Edit(CI, "  push:\n    branches: [main]\n", "  push:\n    branches: [develop]\n")),
    _d("ci-schedule", "ci-workflow",
       Edit(CI, "    branches: [main]\n", "    branches: [main]\n  schedule:\n    - cron: \"0 3 * * *\"\n")),
    _d("ci-no-test-job", "ci-workflow", Edit(CI, "  test:\n    name: test\n", "  unit:\n    name: unit\n")),
    _d("ci-no-go-test", "ci-workflow", Edit(CI, "        run: go test ./...\n", "        run: go vet ./...\n")),
    _d("ci-go-test-one-package", "ci-workflow",
       Edit(CI, "        run: go test ./...\n", "        run: go test ./internal/ids\n")),
    _d("ci-go-test-elsewhere", "ci-workflow",
       Edit(CI, "        run: go test ./...\n", "        run: go test ./...\n        working-directory: cmd\n")),
    _d("ci-go-test-after-cd", "ci-workflow",
       Edit(CI, "        run: go test ./...\n", "        run: cd internal && go test ./...\n")),
    _d("ci-go-version-older", "ci-workflow",
       Edit(CI, "          go-version-file: go.mod\n", "          go-version: \"1.18\"\n")),
    _d("ci-go-matrix-misses-go-mod-version", "ci-workflow",
       Edit(CI, "    runs-on: ubuntu-latest\n",
            "    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n        go: [\"1.17\", \"1.18.x\"]\n"),
       Edit(CI, "          go-version-file: go.mod\n", "          go-version: ${{ matrix.go }}\n")),
    _d("ci-go-matrix-minor-with-suffix-older", "ci-workflow",
       Edit(CI, "    runs-on: ubuntu-latest\n",
            "    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n        go: [\"1.17\", \"1.19\"]\n"),
       Edit(CI, "          go-version-file: go.mod\n", "          go-version: ${{ matrix.go }}.x\n")),
    _d("ci-checkout-of-a-fixed-branch", "ci-workflow",
       Edit(CI, "          persist-credentials: false\n",
            "          persist-credentials: false\n          ref: main\n")),
    _d("ci-no-setup-go", "ci-workflow", Edit(CI, _SETUP_GO, "")),
    _d("ci-setup-go-after-the-tests", "ci-workflow",
       Edit(CI, _SETUP_GO, ""),
       Edit(CI, "        run: go test ./...\n", "        run: go test ./...\n\n" + _SETUP_GO.rstrip("\n") + "\n")),
    _d("ci-contents-write", "ci-workflow",
       Edit(CI, "  contents: read # check out the code\n", "  contents: write\n")),
    _d("ci-no-permissions", "ci-workflow", Edit(CI, "permissions:\n  contents: read # check out the code\n\n", "")),
    _d("ci-paths-filter-skips-go", "ci-workflow",
       Edit(CI, "on:\n  pull_request:\n", "on:\n  pull_request:\n    paths: [\"docs/**\"]\n")),
    _d("ci-pull-request-closed-only", "ci-workflow",
       Edit(CI, "on:\n  pull_request:\n", "on:\n  pull_request:\n    types: [closed]\n")),
    _d("ci-test-job-only-on-push", "ci-workflow",
       Edit(CI, "    runs-on: ubuntu-latest\n", "    if: github.event_name == 'push'\n    runs-on: ubuntu-latest\n")),
    _d("ci-go-test-may-fail", "ci-workflow",
       Edit(CI, "        run: go test ./...\n", "        run: go test ./...\n        continue-on-error: true\n")),
    _d("ci-go-test-or-true", "ci-workflow",
       Edit(CI, "        run: go test ./...\n", "        run: go test ./... || true\n")),
    _d("ci-go-test-piped-without-pipefail", "ci-workflow",
       Edit(CI, "        run: go test ./...\n", "        run: go test -v ./... | tee test.log\n")),
    _d("ci-go-test-failure-hidden-by-a-later-line", "ci-workflow",
       Edit(CI, "        run: go test ./...\n",
            "        run: |\n          go test ./... && echo ok\n          go vet ./...\n")),
    _d("ci-permissions-read-all", "ci-workflow",
       Edit(CI, "permissions:\n  contents: read # check out the code\n", "permissions: read-all\n")),
    _d("ci-go-test-may-fail-on-pull-requests", "ci-workflow",
       Edit(CI, "    runs-on: ubuntu-latest\n",
            "    runs-on: ubuntu-latest\n    continue-on-error: ${{ github.event_name == 'pull_request' }}\n")),
    _d("ci-go-test-subset", "ci-workflow",
       Edit(CI, "        run: go test ./...\n", "        run: go test -run TestParse ./...\n")),
    _d("ci-go-test-step-never-runs", "ci-workflow",
       Edit(CI, "        run: go test ./...\n", "        if: false\n        run: go test ./...\n")),
    _d("ci-go-test-hidden-by-powershell", "ci-workflow",  # pwsh goes on after go test fails; go vet's status wins
       Edit(CI, "    runs-on: ubuntu-latest\n", "    runs-on: windows-latest\n"),
       Edit(CI, "        run: go test ./...\n", "        run: |\n          go test ./...\n          go vet ./...\n")),
    _d("ci-make-test-ignores-failures", "ci-workflow",  # make's '-' prefix: a failing go test leaves make green
       Edit(CI, "        run: go test ./...\n", "        run: make test\n"),
       Edit("Makefile", None, "GO ?= go\n\n.PHONY: test\ntest:\n\t-$(GO) test -race ./...\n")),
    _d("ci-test-script-without-set-e", "ci-workflow",  # the script's status is its last line's, not go test's
       Edit(CI, "        run: go test ./...\n", "        run: ./scripts/test.sh\n"),
       Edit("scripts/test.sh", None, "#!/usr/bin/env bash\ngo test ./...\necho \"tests finished\"\n")),
    # --- build -----------------------------------------------------------------------------------------------
    _d("build-drop-webhook-demo", "build-workflow",
       Edit(BUILD, "service: [gateway, worker, webhook-demo]", "service: [gateway, worker]")),
    _d("build-called-on-releases", "build-workflow",
       Edit(BUILD, "  workflow_dispatch:\n", "  workflow_dispatch:\n  workflow_call:\n"),
       Edit(".github/workflows/release.yml", None,
            "on:\n  release:\n    types: [published]\npermissions:\n  contents: read\n  packages: write\n"
            "jobs:\n  images:\n    uses: ./.github/workflows/build-images.yml\n")),
    _d("build-push-yes", "build-workflow",
       Edit(BUILD, "          push: ${{ github.event_name != 'pull_request' }}\n", "          push: yes\n")),
    _d("build-shell-login-personal-token", "build-workflow",
       Edit(BUILD, """        uses: docker/login-action@v3
        with:
          registry: ghcr.io
          username: ${{ github.actor }}
          password: ${{ secrets.GITHUB_TOKEN }}
""", """        env:
          TOKEN: ${{ secrets.GHCR_PAT }}
        run: echo "$TOKEN" | docker login ghcr.io -u "$GITHUB_ACTOR" --password-stdin
""")),
    _d("build-dispatch-does-not-push", "build-workflow",
       Edit(BUILD, "          push: ${{ github.event_name != 'pull_request' }}\n",
            "          push: ${{ github.event_name == 'push' }}\n")),
    _d("build-schedule", "build-workflow",
       Edit(BUILD, "  workflow_dispatch:\n", "  workflow_dispatch:\n  schedule:\n    - cron: \"0 4 * * 1\"\n")),
    _d("build-latest-on-every-branch", "build-workflow",
       Edit(BUILD, "type=raw,value=latest,enable={{is_default_branch}}", "type=raw,value=latest")),
    _d("build-wrong-dockerfile-path", "build-workflow",
       Edit(BUILD, "file: Dockerfile.${{ matrix.service }}", "file: docker/Dockerfile.${{ matrix.service }}")),
    _d("build-no-packages-write", "build-workflow", Edit(BUILD, "  packages: write # push the images to GHCR\n", "")),
    _d("build-contents-write", "build-workflow",
       Edit(BUILD, "  contents: read # check out the code\n", "  contents: write\n")),
    # the OIDC token is a grant the attestation actions need; a job without one of them may not hold it
    _d("build-id-token-without-attestation", "build-workflow",
       Edit(BUILD, "  packages: write # push the images to GHCR\n",
            "  packages: write # push the images to GHCR\n  id-token: write\n")),
    _d("build-login-docker-io", "build-workflow", Edit(BUILD, "registry: ghcr.io\n", "registry: docker.io\n")),
    _d("build-login-personal-token", "build-workflow",
       Edit(BUILD, "password: ${{ secrets.GITHUB_TOKEN }}", "password: ${{ secrets.GHCR_PAT }}")),
    _d("build-pull-request-pushes", "build-workflow",
       Edit(BUILD, "  workflow_dispatch:\n", "  workflow_dispatch:\n  pull_request:\n"),
       Edit(BUILD, "push: ${{ github.event_name != 'pull_request' }}", "push: true")),
    _d("build-no-dispatch", "build-workflow", Edit(BUILD, "  workflow_dispatch:\n", "")),
    _d("build-push-from-every-branch", "build-workflow",
       Edit(BUILD, "  push:\n    branches: [main]\n", "  push:\n")),
    _d("build-push-on-tags", "build-workflow",
       Edit(BUILD, "  push:\n    branches: [main]\n", "  push:\n    branches: [main]\n    tags: [\"v*\"]\n")),
    _d("build-no-cache", "build-workflow", Edit(BUILD, _CACHE, "")),
    _d("build-no-cache-from", "build-workflow",
       Edit(BUILD, "          cache-from: type=gha,scope=${{ matrix.service }}\n", "")),
    _d("build-cache-disabled", "build-workflow",
       Edit(BUILD, "          cache-from:", "          no-cache: true\n          cache-from:")),
    _d("build-no-buildx", "build-workflow", Edit(BUILD, _BUILDX, "")),
    # QEMU matters only for platforms the runner cannot run: the sample builds for the runner's own
    _d("build-no-qemu-multi-platform", "build-workflow", Edit(BUILD, _QEMU, ""),
       Edit(BUILD, "          file: Dockerfile.${{ matrix.service }}\n",
            "          file: Dockerfile.${{ matrix.service }}\n          platforms: linux/amd64,linux/arm64\n")),
    _d("build-binfmt-after-build", "build-workflow", Edit(BUILD, _QEMU, ""),
       Edit(BUILD, "          file: Dockerfile.${{ matrix.service }}\n",
            "          file: Dockerfile.${{ matrix.service }}\n          platforms: linux/amd64,linux/arm64\n"),
       Edit(BUILD, _CACHE, _CACHE + "\n      - name: Install emulators\n"
            "        run: docker run --privileged --rm tonistiigi/binfmt --install arm64\n")),
    _d("build-buildx-after-build", "build-workflow",
       Edit(BUILD, _BUILDX, ""), Edit(BUILD, _CACHE, _CACHE + "\n" + _BUILDX.rstrip("\n") + "\n")),
    _d("build-push-false", "build-workflow",
       Edit(BUILD, "push: ${{ github.event_name != 'pull_request' }}", "push: false")),
    _d("build-no-sha-tag", "build-workflow", Edit(BUILD, "            type=sha\n", "")),
    # six hex digits name no commit reliably: the tag does not carry the commit SHA
    _d("build-sha-tag-too-short", "build-workflow",
       Edit(BUILD, "        id: meta\n",
            "        id: meta\n        env:\n          DOCKER_METADATA_SHORT_SHA_LENGTH: 6\n")),
    # the branch's name, not the commit: a tag that only looks like the sha tag
    _d("build-sha-tag-of-the-branch", "build-workflow",
       Edit(BUILD, "            type=sha\n", "            type=raw,value=sha-{{branch}}\n")),
    # published to Docker Hub instead of GHCR: a mirror elsewhere is no concern of the plan, but GHCR gets nothing
    _d("build-docker-hub-instead-of-ghcr", "build-workflow",
       Edit(BUILD, "images: ghcr.io/${{ github.repository }}-${{ matrix.service }}",
            "images: docker.io/${{ github.repository }}-${{ matrix.service }}")),
    # flavor latest=true tags latest on every branch: a dispatch from a feature branch moves latest
    _d("build-flavor-latest-true-everywhere", "build-workflow",
       Edit(BUILD, "          tags: |\n            type=sha\n",
            "          flavor: latest=true\n          tags: |\n            type=sha\n")),
    _d("build-load-on", "build-workflow",
       Edit(BUILD, "          context: .\n", "          context: .\n          load: on\n")),
    _d("build-no-revision-label", "build-workflow",
       Edit(BUILD, "          labels: ${{ steps.meta.outputs.labels }}\n", "")),
    _d("build-revision-label-fixed-value", "build-workflow",
       Edit(BUILD, "          labels: ${{ steps.meta.outputs.labels }}\n",
            "          labels: |\n            org.opencontainers.image.revision=v1.2.3\n")),
    _d("build-revision-label-from-a-step-output", "build-workflow",
       Edit(BUILD, "          labels: ${{ steps.meta.outputs.labels }}\n",
            "          labels: org.opencontainers.image.revision=${{ steps.rev.outputs.sha }}\n")),
    _d("build-wrong-image-name", "build-workflow",
       Edit(BUILD, "images: ghcr.io/${{ github.repository }}-${{ matrix.service }}",
            "images: ghcr.io/${{ github.repository_owner }}/${{ matrix.service }}")),
    _d("build-matrix-excludes-worker", "build-workflow",
       Edit(BUILD, "        service: [gateway, worker, webhook-demo]\n",
            "        service: [gateway, worker, webhook-demo]\n        exclude:\n          - service: worker\n")),
    _d("build-step-skips-webhook-demo", "build-workflow",
       Edit(BUILD, "        uses: docker/build-push-action@v6\n",
            "        if: matrix.service != 'webhook-demo'\n        uses: docker/build-push-action@v6\n")),
    _d("build-job-only-on-dispatch", "build-workflow",
       Edit(BUILD, "    runs-on: ubuntu-latest\n",
            "    if: github.event_name == 'workflow_dispatch'\n    runs-on: ubuntu-latest\n")),
    _d("build-pull-request-target-pushes", "build-workflow",
       Edit(BUILD, "  workflow_dispatch:\n", "  workflow_dispatch:\n  pull_request_target:\n")),
    _d("build-missing-dockerfile", "build-workflow", Edit("Dockerfile.worker", None, None)),
    _d("build-bake-group-misses-webhook-demo", "build-workflow", *_baked(
        Edit("docker-bake.hcl", 'targets = ["gateway", "worker", "webhook-demo"]', 'targets = ["gateway", "worker"]'))),
    _d("build-bake-push-false", "build-workflow",
       *_baked(Edit(BUILD, "          push: true\n", "          push: false\n"))),
    _d("build-bake-file-not-hcl", "build-workflow", *_baked(
        Edit("docker-bake.hcl", '  dockerfile = "Dockerfile.worker"\n', '  dockerfile "Dockerfile.worker"\n'))),
    _d("build-bake-target-without-cache", "build-workflow", *_baked(
        Edit("docker-bake.hcl", '  cache-from = ["type=gha,scope=worker"]\n', ""))),
    _d("build-extra-dockerfile-without-entry", "build-workflow",
       Edit("Dockerfile.scheduler", None, "FROM scratch\n")),
    # --- tools ------------------------------------------------------------------------------------------------
    _d("schema-unknown-job-key", "workflow-validity",
       Edit(CI, "    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    timeout: 10\n"), tools=True),
    _d("actionlint-undefined-matrix-key", "workflow-validity",
       Edit(BUILD, "      - name: Build and push\n", "      - name: Build and push ${{ matrix.servce }}\n"),
       tools=True),
    _d("zizmor-insecure-commands", "workflow-security",
       Edit(CI, "    runs-on: ubuntu-latest\n",
            "    runs-on: ubuntu-latest\n    env:\n      ACTIONS_ALLOW_UNSECURE_COMMANDS: true\n"), tools=True),
    _d("local-run-failing-test", "local-test-run",
       Edit("internal/ids/ids_test.go", 'if want := "evt_3f9a0c2b7d41e865"', 'if want := "evt_0000000000000000"'),
       tools=True),
)
