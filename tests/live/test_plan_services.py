"""The plan's services reach every criterion: a target whose acceptance.toml says ``services = ["api", "worker"]``.

Unit: the outline's header-only Examples table is filled from the plan (and refused when it names a column the plan
does not provide). End to end: the sample, rebuilt with two services named unlike the sample's, accepted on the
emulator: the static build criterion, the per-service live scenarios, their names, the verdict and the evidence all
say api and worker, never gateway or webhook-demo.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd.parser import FeatureParser

from cicd_acceptance.plan import Plan
from cicd_acceptance.testing.outlines import plan_examples
from tests.emulator.sample_repo import git
from tests.live.acceptance_emulated import ROOT, SAMPLE

SERVICES = ("api", "worker")


def _template(tmp_path: Path, examples: str) -> Any:
    (tmp_path / "x.feature").write_text(f"""\
Feature: F
  Scenario Outline: The <service> image is published
    Given the <service> image

    {examples}
""")
    feature = FeatureParser(str(tmp_path), "x.feature").parse()
    return next(iter(feature.scenarios.values()))


def test_a_header_only_examples_table_gets_one_row_per_planned_service(tmp_path: Path) -> None:
    template = _template(tmp_path, "Examples: the services of the plan\n      | service |")
    assert plan_examples(template, Plan(services=SERVICES)) == [{"service": "api"}, {"service": "worker"}]


def test_a_table_with_rows_is_left_to_pytest_bdd(tmp_path: Path) -> None:
    template = _template(tmp_path, "Examples:\n      | service |\n      | gateway |")
    assert plan_examples(template, Plan(services=SERVICES)) is None


def test_a_column_the_plan_does_not_provide_is_refused_with_the_file_and_line(tmp_path: Path) -> None:
    template = _template(tmp_path, "Examples:\n      | flavour |")
    with pytest.raises(ValueError, match=r"x\.feature:5: an Examples table without rows .* found flavour"):
        plan_examples(template, Plan(services=SERVICES))


def two_service_target(root: Path) -> Path:
    """The bundled sample with services api and worker, merged into main through a pull request."""
    repo = root / "shop"
    shutil.copytree(SAMPLE, repo, ignore=shutil.ignore_patterns(".git", "Dockerfile.*"))
    build = repo / ".github" / "workflows" / "build-images.yml"
    build.write_text(build.read_text().replace("service: [gateway, worker, webhook-demo]", "service: [api, worker]"))
    workflows = {".github/workflows/ci.yml": (repo / ".github/workflows/ci.yml").read_text(),
                 ".github/workflows/build-images.yml": build.read_text()}
    for rel in workflows:
        (repo / rel).unlink()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "The services")
    git(repo, "checkout", "-q", "-b", "ci-cd")
    for rel, text in workflows.items():
        (repo / rel).write_text(text)
    for service in SERVICES:
        (repo / f"Dockerfile.{service}").write_text((SAMPLE / "Dockerfile.worker").read_text())
    (repo / "acceptance.toml").write_text('services = ["api", "worker"]\n')
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "Add CI and image build workflows")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge pull request #3 from example/ci-cd", "ci-cd")
    return repo


def test_a_two_service_target_is_accepted_service_by_service(tmp_path: Path) -> None:
    repo = two_service_target(tmp_path)
    argv = [sys.executable, "-m", "pytest", "features/", "-p", "no:cacheprovider", "-rfEs", "-v", "--emulator",
            "--repo-dir", str(repo), "--github-repo", "example/shop", "--evidence-dir", str(tmp_path / "ev")]
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    output = result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "REHEARSAL MET", output
    assert result.returncode == 0, output
    assert "services api, worker [" in result.stdout
    ids = re.findall(r"test_the_service_image_is_published_for_the_pinned_commit\[(\S+)\] PASSED", result.stdout)
    assert sorted(ids) == ["api", "worker"], output
    assert "gateway" not in output
    assert "webhook-demo" not in output
    doc = json.loads((tmp_path / "ev" / "evidence.json").read_text())
    titles = [s["title"] for s in doc["scenarios"]]
    assert "The api image is published for the pinned commit" in titles
    assert "The worker image is published for the pinned commit" in titles
    assert "The build workflow does what the plan promised" in titles
    images = [e["data"] for s in doc["scenarios"] for e in s["evidence"] if e["kind"] == "image"]
    assert sorted(image["service"] for image in images) == ["api", "worker"]
    assert all(fact["passed"] for image in images for fact in image["facts"])
    pushes = [e["data"] for s in doc["scenarios"] for e in s["evidence"]
              if e["kind"] == "log" and e["data"]["purpose"] == "push"]
    assert sorted(push["service"] for push in pushes) == ["api", "worker"]
    assert all(push["pushed_in_log"] and push["digest_in_log"] for push in pushes), pushes
    assert "gateway" not in (tmp_path / "ev" / "evidence.md").read_text()
