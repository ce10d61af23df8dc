"""End to end on targets built from the corpus: ``pytest features/ -m static --repo-dir <target>`` with an
``acceptance.toml`` naming the target's own services. Shapes that do what the plan asks pass; a value only a run
can know leaves the build criterion undecided (skipped as not met statically, never failed); a real defect stays
red."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.static.corpus import CORPUS_DIR
from tests.static.repos import REPO_ROOT, git

BUILD_SCENARIO = "test_the_build_workflow_does_what_the_plan_promised"
REPOSITORY = "example/shop"
# target -> (corpus case, services, expected outcome of the build scenario, text its report must hold)
TARGETS = {
    "job-per-service": ("job-per-service", ("api", "worker"), "PASSED", ""),
    "reusable-per-service": ("reusable-per-service", ("api", "worker"), "PASSED", ""),
    # latest is pushed from every branch: a real defect, which stays red
    "run-buildx-push": ("run-buildx-push", ("api", "worker"), "FAILED",
                        "found 'latest' pushed from 'feature/acceptance-probe'"),
    "digest-merge-jq": ("digest-merge-jq", ("api",), "PASSED", ""),
    "composite-build-action": ("composite-build-action", ("api", "worker"), "PASSED", ""),
    # the earlier job echoes a prefix the plan knows: its output is computed
    "needs-prefix-output": ("needs-prefix-output", ("api", "worker"), "PASSED", ""),
    # the pushed commit's id is absent from a dispatch's payload: 'sha-' on dispatch, a real defect
    "head-commit-id-tag": ("head-commit-id-tag", ("api", "worker"), "FAILED",
                           "found ghcr.io/example/shop-api tags: latest, sha-"),
    # tags and labels computed in one job, used by the next through needs.<job>.outputs
    "needs-metadata-tags": ("needs-metadata-tags", ("api",), "PASSED", ""),
    "digest-without-merge": ("digest-without-merge", ("api",), "FAILED",
                             "only a digest (push-by-digest) and no tags"),
    # a load: true test image checked before the push is not a publication, and needs no login before it
    "multi-os-structure-test": ("multi-os-structure-test", ("api", "worker"), "PASSED", ""),
    # the bake file and metadata-action's bake file are read: image, tags and revision as the plan wants, but the
    # bake target reads and writes no build cache, a real defect (as for a build-push-action step without one)
    "bake-file-metadata": ("bake-file-metadata", ("api",), "FAILED",
                           "expected cache-from on the bake target and cache-to in its job"),
    # GitHub reads anchors and aliases; the tools are handed what GitHub reads
    "yaml-anchors-aliases": ("yaml-anchors-aliases", ("api", "worker"), "PASSED", ""),
    # pushes only when `env.ON_DEFAULT == 'true'`, a flag computed from the event: env values are strings
    "default-branch-from-event": ("default-branch-from-event", ("api", "worker"), "PASSED", ""),
    # push by digest on native runners per platform, then a manifest list from the metadata JSON
    "native-arm-runners-digest": ("native-arm-runners-digest", ("api",), "PASSED", ""),
    # the tags come from a step output only a run knows: undecided, never wrong
    "git-rev-parse-output": ("git-rev-parse-output", ("api",), "SKIPPED", "undecided offline"),
    # a release publishes semver tags: the plan publishes from main and dispatch only
    "release-published-trigger": ("release-published-trigger", ("api", "worker"), "FAILED",
                                  "found 'release' pushes images"),
    # the job's attestation step needs id-token and attestations: write, so the job may hold them
    "concurrency-environment-attest": ("concurrency-environment-attest", ("api", "worker"), "PASSED", ""),
    # buildah-build + push-to-registry modelled: latest is pushed from every branch, a real defect
    "buildah-push-to-registry": ("buildah-push-to-registry", ("api",), "FAILED",
                                 "found 'latest' pushed from 'feature/acceptance-probe' for ghcr.io/example/shop-api"),
    "owner-service-images": ("owner-service-images", ("api", "worker"), "PASSED", ""),
    # the same shape judged by the default pattern ({owner}/{repo}-{service}): the images are not the plan's
    "owner-service-images-default-pattern": ("owner-service-images", ("api", "worker"), "FAILED",
                                             "found ghcr.io/example/api, ghcr.io/example/worker"),
}
# target -> more of its acceptance.toml (the plan's own image pattern, where the shape names images differently)
PLAN_EXTRA = {
    # images ghcr.io/<owner>/<service>, as the plan's pattern says; the Docker Hub copy is not the plan's concern
    "owner-service-images": '[images]\npattern = "{registry}/{owner}/{service}"\n',
}


def _target(sample_template: Path, where: Path, case: str, services: tuple[str, ...]) -> Path:
    shutil.copytree(sample_template, where, symlinks=True)
    for old in where.glob("Dockerfile.*"):
        old.unlink()
    (where / ".github" / "workflows" / "build-images.yml").unlink()
    shutil.copytree(CORPUS_DIR / case, where, dirs_exist_ok=True)
    (where / "plans.golden").unlink()
    for service in services:
        if not (where / f"Dockerfile.{service}").exists():
            (where / f"Dockerfile.{service}").write_text(
                f"FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN go build -o /{service} ./cmd/gateway\n"
                f"FROM gcr.io/distroless/static\nCOPY --from=build /{service} /{service}\n", encoding="utf-8")
    quoted = ", ".join(f'"{service}"' for service in services)
    (where / "acceptance.toml").write_text(
        f'services = [{quoted}]\n[workflows]\nbuild = ".github/workflows/build.yml"\n{PLAN_EXTRA.get(where.name, "")}',
        encoding="utf-8")
    git(where, "add", "-A")
    git(where, "commit", "-q", "-m", f"build workflow in the shape {case}")
    return where


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_static_suite_on_a_corpus_target(name: str, sample_template: Path, tmp_path: Path) -> None:
    case, services, outcome, text = TARGETS[name]
    repo = _target(sample_template, tmp_path / name, case, services)
    argv = [sys.executable, "-m", "pytest", "features/", "-m", "static", "-p", "no:cacheprovider", "-rfs", "-v",
            "--repo-dir", str(repo), "--github-repo", REPOSITORY]
    result = subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False)
    output = result.stdout + result.stderr
    outcomes = dict(re.findall(r"^features/test_features\.py::(\w+) (PASSED|SKIPPED|FAILED)", result.stdout,
                               re.MULTILINE))
    assert outcomes.get(BUILD_SCENARIO) == outcome, output
    assert text in output, output
    assert "Traceback" not in output
    assert "$${{" not in output
    # zizmor may hold workflow-level permissions of a multi-job build against it: a real finding, not ours.
    failed = [test for test, verdict in outcomes.items()
              if verdict == "FAILED" and test != "test_zizmor_finds_no_blocking_weakness"]
    assert failed == ([BUILD_SCENARIO] if outcome == "FAILED" else []), output
