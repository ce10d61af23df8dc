"""Plan defaults follow the ExecPlan; a plan file overrides them, and every bad value names file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_acceptance.errors import ConfigError
from cicd_acceptance.plan import Plan, load_plan


def test_defaults_are_the_execplan() -> None:
    plan = Plan()
    assert plan.services == ("gateway", "worker", "webhook-demo")
    assert plan.dockerfile_for("webhook-demo") == "Dockerfile.webhook-demo"
    assert plan.image_for("gateway", "Acme/Stream-Monitor") == "ghcr.io/acme/stream-monitor-gateway"
    assert plan.image_path("worker", "acme/sm") == "acme/sm-worker"
    assert plan.sha_tags("0123456789abcdef") == ("sha-0123456", "sha-0123456789abcdef", "0123456",
                                                 "0123456789abcdef")
    assert plan.source_of("services") == "default (ExecPlan)"
    assert (plan.ci_workflow_file, plan.build_workflow_file) == ("ci.yml", "build-images.yml")


def test_file_overrides_with_sources(tmp_path: Path) -> None:
    path = tmp_path / "acceptance.toml"
    path.write_text('services = ["api", "jobs"]\ndefault_branch = "trunk"\n[images]\nregistry = "r.example"\n')
    plan = load_plan(path)
    assert plan.services == ("api", "jobs")
    assert plan.default_branch == "trunk"
    assert plan.image_for("api", "o/r") == "r.example/o/r-api"
    assert plan.source_of("services") == f"{path}:services"
    assert plan.source_of("ci_workflow") == "default (ExecPlan)"


@pytest.mark.parametrize(
    ("text", "key", "why"),
    [
        ('services = "gateway"\n', "services", "list of strings"),
        ("services = []\n", "services", "list of strings"),
        ('services = ["Gateway"]\n', "services", "lowercase"),
        ('services = ["a", "a"]\n', "services", "duplicate"),
        ('[workflows]\nci = "ci.yml"\n', "workflows.ci", ".github/workflows/"),
        ('[images]\npattern = "{registry}/{owner}/x"\n', "images.pattern", "placeholders"),
        ('[security]\nzizmor_min_severity = "severe"\n', "security.zizmor_min_severity", "one of"),
        ('colour = "blue"\n', "colour", "unknown key"),
        ("default_branch = 3\n", "default_branch", "non-empty string"),
    ],
)
def test_bad_values_name_file_and_key(tmp_path: Path, text: str, key: str, why: str) -> None:
    path = tmp_path / "acceptance.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_plan(path)
    assert str(info.value).startswith(f"{path}:{key}: ")
    assert why in str(info.value)


def test_broken_toml_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.toml"
    path.write_text("services = [\n")
    with pytest.raises(ConfigError, match=r"plan\.toml: invalid TOML"):
        load_plan(path)
    with pytest.raises(ConfigError, match="plan file not found"):
        load_plan(tmp_path / "nope.toml")
