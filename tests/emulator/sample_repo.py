"""A small git repository shaped like the ExecPlan's target, built in a temp dir for emulator tests.

History: an initial commit on ``main``, a feature branch with the workflows, merged into ``main`` with a merge
commit (so HEAD's second parent is the pull request's head, as on GitHub).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

CI_YML = """\
name: CI
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-go@v5
        with:
          go-version-file: go.mod
      - name: Run the tests
        run: go test ./...
"""

BUILD_YML = """\
name: Build images
on:
  push:
    branches: [main]
  workflow_dispatch:
permissions:
  contents: read
  packages: write
jobs:
  build:
    name: build (${{ matrix.service }})
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix:
        service: [gateway, worker, webhook-demo]
    steps:
      - name: Check out the repository
        uses: actions/checkout@v4
      - name: Set up QEMU
        uses: docker/setup-qemu-action@v3
      - name: Set up Docker Buildx
        uses: docker/setup-buildx-action@v3
      - name: Log in to GHCR
        uses: docker/login-action@v3
        with:
          registry: ghcr.io
          username: ${{ github.actor }}
          password: ${{ secrets.GITHUB_TOKEN }}
      - name: Compute image name, tags and labels
        id: meta
        uses: docker/metadata-action@v5
        with:
          images: ghcr.io/${{ github.repository }}-${{ matrix.service }}
          tags: |
            type=sha
            type=raw,value=latest,enable={{is_default_branch}}
      - name: Build and push
        uses: docker/build-push-action@v6
        with:
          context: .
          file: Dockerfile.${{ matrix.service }}
          push: ${{ github.event_name != 'pull_request' }}
          tags: ${{ steps.meta.outputs.tags }}
          labels: ${{ steps.meta.outputs.labels }}
          cache-from: type=gha,scope=${{ matrix.service }}
          cache-to: type=gha,mode=max,scope=${{ matrix.service }}
"""


GO_SOURCE = """\
package ids

// Next returns the identifier after id.
func Next(id int) int { return id + 1 }
"""

GO_TEST = """\
package ids

import "testing"

func TestNext(t *testing.T) {
\tif Next(41) != 42 {
\t\tt.Fatal("Next(41) != 42")
\t}
}
"""


def git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.com", "GIT_COMMITTER_NAME": "Ada",
           "GIT_COMMITTER_EMAIL": "ada@example.com", "GIT_AUTHOR_DATE": "2026-03-01T10:00:00Z",
           "GIT_COMMITTER_DATE": "2026-03-01T10:00:00Z", "PATH": "/usr/bin:/bin", "HOME": str(repo)}
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def write_files(repo: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        target = repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def make_sample_repo(root: Path, *, build_yml: str = BUILD_YML, remote: str | None = None,
                     ci_yml: str = CI_YML) -> Path:
    """Create the repository under ``root`` and return its path."""
    repo = root / "stream-monitor"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    # A Go package with a passing test: the emulator really runs `go test ./...` (no packages at all fails it).
    write_files(repo, {"go.mod": "module example.com/stream-monitor\n\ngo 1.19\n", "README.md": "# stream-monitor\n",
                       "ids/ids.go": GO_SOURCE, "ids/ids_test.go": GO_TEST})
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "Initial commit")
    git(repo, "checkout", "-q", "-b", "ci-cd")
    write_files(repo, {".github/workflows/ci.yml": ci_yml, ".github/workflows/build-images.yml": build_yml,
                       **{f"Dockerfile.{s}": f"FROM scratch\nLABEL service={s}\n" for s in
                          ("gateway", "worker", "webhook-demo")}})
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "Add CI and image build workflows")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge pull request #12 from example/ci-cd", "ci-cd")
    if remote:
        git(repo, "remote", "add", "origin", remote)
    return repo
