"""The bundled sample target is real: its Go code builds and tests offline, and every tool finds nothing in it."""

from __future__ import annotations

import re
from pathlib import Path

from cicd_acceptance.testing.tooling import require_tool
from cicd_acceptance.tools import (
    default_zizmor_config,
    run_actionlint,
    run_command,
    run_zizmor,
    zizmor_config_for,
)
from cicd_acceptance.workflows.schema import validate_workflow_schema

WORKFLOWS = (".github/workflows/ci.yml", ".github/workflows/build-images.yml")
SERVICES = ("gateway", "worker", "webhook-demo")


def test_sample_has_every_file_the_execplan_names(sample: Path) -> None:
    expected = [
        "go.mod", "docker-compose.yaml", "docs/execplan.md", "README.md", *WORKFLOWS,
        "helm/stream-monitor/Chart.yaml", "helm/stream-monitor/values.yaml",
        "helm/stream-monitor/templates/deployment.yaml",
        *(f"Dockerfile.{s}" for s in SERVICES), *(f"cmd/{s}/main.go" for s in SERVICES),
        "internal/ids/ids.go", "internal/ids/ids_test.go", "internal/api/handler.go", "internal/api/api_test.go",
    ]
    missing = [name for name in expected if not (sample / name).is_file()]
    assert missing == []
    assert "# CI/CD build automation ExecPlan" in (sample / "docs/execplan.md").read_text(encoding="utf-8")


def test_go_mod_is_standard_library_only_go_1_19(sample: Path) -> None:
    text = (sample / "go.mod").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "module github.com/example/stream-monitor"
    assert re.search(r"^go 1\.19$", text, re.MULTILINE)
    assert "require" not in text
    assert not (sample / "go.sum").exists()


def test_dockerfiles_are_multi_stage_and_build_their_own_service(sample: Path) -> None:
    for service in SERVICES:
        text = (sample / f"Dockerfile.{service}").read_text(encoding="utf-8")
        assert len(re.findall(r"^FROM ", text, re.MULTILINE)) == 2, service
        assert f"./cmd/{service}" in text
        assert "COPY --from=build" in text


def test_go_vet_and_go_test_pass_offline(sample: Path) -> None:
    require_tool("go")
    offline = {"GOFLAGS": "-mod=mod", "GOPROXY": "off", "GONOSUMDB": "*"}
    vet = run_command(["go", "vet", "./..."], cwd=sample, timeout=300, env=offline)
    assert vet.ok, vet.stderr
    tested = run_command("go test ./...", cwd=sample, timeout=300, env=offline)
    assert tested.ok, tested.stdout + tested.stderr
    for package in ("internal/ids", "internal/api"):
        assert re.search(rf"^ok\s+github\.com/example/stream-monitor/{package}\s", tested.stdout, re.MULTILINE)


def test_every_main_package_builds(sample: Path, tmp_path: Path) -> None:
    require_tool("go")
    built = run_command(["go", "build", "-o", str(tmp_path), "./cmd/..."], cwd=sample, timeout=300)
    assert built.ok, built.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(SERVICES)


def test_actionlint_finds_nothing(sample: Path) -> None:
    require_tool("actionlint")
    assert run_actionlint(WORKFLOWS, cwd=sample) == []


def test_zizmor_finds_nothing_with_the_default_config(sample: Path) -> None:
    require_tool("zizmor")
    assert zizmor_config_for(sample) == default_zizmor_config()
    result = run_zizmor([sample / w for w in WORKFLOWS], config=zizmor_config_for(sample), min_severity="informational")
    assert result.findings == ()
    assert result.blocking == ()


def test_workflows_validate_against_the_github_workflow_schema(sample: Path) -> None:
    assert validate_workflow_schema([sample / w for w in WORKFLOWS]) == []
