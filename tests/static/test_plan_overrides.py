"""The criteria follow the plan, not hard-coded ExecPlan values: a different plan changes the verdict."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from cicd_acceptance.criteria import CheckContext, check_criterion
from tests.static.repos import default_plan, target_of


def _findings(repo: Path, criterion_id: str, **changes: object) -> list[str]:
    plan = replace(default_plan(), **changes)  # type: ignore[arg-type]
    return [str(f) for f in check_criterion(criterion_id, CheckContext(target_of(repo), plan), include_tools=False)]


def test_a_plan_with_two_services_rejects_the_third_image(sample_repo: Path) -> None:
    found = _findings(sample_repo, "build-workflow", services=("gateway", "worker"))
    assert any("expected only the plan's services (gateway, worker), found an entry building Dockerfile.webhook-demo"
               in line for line in found), found
    assert any("expected exactly the images ghcr.io/example/stream-monitor-gateway, "
               "ghcr.io/example/stream-monitor-worker on push and workflow_dispatch" in line for line in found), found


def test_a_plan_with_another_default_branch_rejects_main_only_triggers(sample_repo: Path) -> None:
    found = _findings(sample_repo, "ci-workflow", default_branch="trunk")
    assert found == [".github/workflows/ci.yml:5: expected the 'push' filters to admit 'trunk', found branches: "
                     "['main'] [ci-triggers]"]


def test_a_plan_with_another_test_job_name_requires_it(sample_repo: Path) -> None:
    found = _findings(sample_repo, "ci-workflow", test_job="unit-tests")
    assert found == [".github/workflows/ci.yml:11: expected a job named 'unit-tests', found jobs: test [ci-test-job]"]


def test_a_plan_with_another_registry_rejects_the_ghcr_login(sample_repo: Path) -> None:
    found = _findings(sample_repo, "build-workflow", registry="registry.example.com")
    assert ".github/workflows/build-images.yml:35: expected registry: registry.example.com, found ghcr.io " \
           "[build-login]" in found, found
