"""Tools get only files the harness accepted; a criterion never passes on a file the harness refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cicd_acceptance.criteria import CheckContext, check_criterion
from cicd_acceptance.testing.tooling import require_tool
from cicd_acceptance.workflows.checks.finding import Finding
from tests.static.repos import default_plan, target_of

CI = ".github/workflows/ci.yml"
CRITERIA = ("workflow-validity", "workflow-security")
TOOLS = {"workflow-validity": "actionlint", "workflow-security": "zizmor"}


def _findings(repo: Path, criterion: str) -> list[Finding]:
    require_tool(TOOLS[criterion])
    return check_criterion(criterion, CheckContext(target_of(repo), default_plan()))


def _replace_with_link(repo: Path, target: Path) -> None:
    (repo / CI).unlink()
    (repo / CI).symlink_to(target)


@pytest.mark.parametrize("criterion", CRITERIA)
def test_a_workflow_linked_to_etc_passwd_is_refused_and_never_quoted(sample_repo: Path, criterion: str) -> None:
    secret_line = Path("/etc/passwd").read_text(encoding="utf-8").splitlines()[0]
    _replace_with_link(sample_repo, Path("/etc/passwd"))
    findings = _findings(sample_repo, criterion)  # no ToolError either: the tool never sees the file
    assert findings, "a criterion passed on a file the harness refused"
    assert all(secret_line not in str(f) for f in findings)
    assert any("resolves outside the repository" in str(f) for f in findings)


@pytest.mark.parametrize("criterion", CRITERIA)
def test_a_valid_workflow_outside_the_repository_does_not_pass(sample_repo: Path, tmp_path: Path,
                                                                criterion: str) -> None:
    outside = tmp_path / "elsewhere" / "ci.yml"
    outside.parent.mkdir()
    shutil.copy(sample_repo / CI, outside)
    _replace_with_link(sample_repo, outside)
    findings = _findings(sample_repo, criterion)
    assert any(f.path == CI and "resolves outside the repository" in f.message for f in findings), findings


@pytest.mark.parametrize("criterion", CRITERIA)
def test_a_yaml_bomb_does_not_pass_the_tools(sample_repo: Path, criterion: str) -> None:
    laughs = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},"
        f"*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n" for i in range(8))
    text = (sample_repo / CI).read_text(encoding="utf-8")
    (sample_repo / CI).write_text(text + "\n" + laughs.replace("a: &a", "x-a: &a"), encoding="utf-8")
    findings = _findings(sample_repo, criterion)
    assert findings, "a criterion passed on a file the harness refused"
    assert all(f.blocking for f in findings)


def test_the_sample_still_passes_both_tool_criteria(sample_repo: Path) -> None:
    for criterion in CRITERIA:
        assert _findings(sample_repo, criterion) == []


def test_a_zizmor_config_linked_out_of_the_repository_is_refused(sample_repo: Path, tmp_path: Path) -> None:
    config = tmp_path / "zizmor.yml"
    config.write_text("rules: {}\n", encoding="utf-8")
    (sample_repo / ".github" / "zizmor.yml").symlink_to(config)
    findings = _findings(sample_repo, "workflow-security")
    assert any("resolves outside the repository" in str(f) for f in findings), findings


@pytest.mark.parametrize("length", [129, 5_000, 50_001])
def test_a_tag_no_registry_accepts_does_not_pass_the_publication(sample_repo: Path, length: int) -> None:
    build = sample_repo / ".github" / "workflows" / "build-images.yml"
    text = build.read_text(encoding="utf-8")
    extra = f"            type=sha\n            type=raw,value={'v' * length}\n"
    build.write_text(text.replace("            type=sha\n", extra), encoding="utf-8")
    findings = check_criterion("build-workflow", CheckContext(target_of(sample_repo), default_plan()))
    published = [f for f in findings if f.rule == "build-publication"]
    assert published, findings  # whether metadata-action's emulation refuses it first or the tag rule does
    assert all(len(f.message) < 2000 for f in published)
    if length <= 10_000:
        assert any("tags a registry accepts" in f.message and f"({length} characters)" in f.message
                   for f in published), published
