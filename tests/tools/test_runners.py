"""Each runner reports real findings on small bad workflows, with file and line, and fails clearly when it must."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from cicd_acceptance.errors import ToolError, ToolMissing, WorkflowLoadError
from cicd_acceptance.testing.tooling import require_tool
from cicd_acceptance.tools import (
    ToolFinding,
    default_zizmor_config,
    run_actionlint,
    run_zizmor,
    zizmor_config_for,
)
from cicd_acceptance.workflows.schema import validate_workflow_schema

# Line 4: `branch` is not a key of `push`; line 10: an attacker-controlled title expanded into a shell script.
INJECTION = """\
name: bad
on:
  pull_request_target:
    branch: [main]
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
"""

SCHEMA_BAD = """\
name: schema
on: [push, bogus]
permissions:
  contents: rw
jobs:
  test:
    steps:
      - run: echo hi
"""


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _where(findings: list[ToolFinding] | tuple[ToolFinding, ...]) -> set[tuple[str, int, str]]:
    return {(Path(f.path).name, f.line, f.rule) for f in findings}


def test_finding_prints_like_a_compiler_error() -> None:
    finding = ToolFinding("zizmor", "w.yml", 3, 7, "artipacked", "medium", "credential persistence")
    assert str(finding) == "w.yml:3:7: credential persistence [artipacked]"


# --- actionlint ----------------------------------------------------------------------------------------------------


def test_actionlint_reports_a_bad_key_and_an_injection(tmp_path: Path) -> None:
    require_tool("actionlint")
    _write(tmp_path, ".github/workflows/bad.yml", INJECTION)
    findings = run_actionlint([".github/workflows/bad.yml"], cwd=tmp_path)
    assert {("bad.yml", 4, "syntax-check"), ("bad.yml", 10, "expression")} <= _where(findings)
    syntax = next(f for f in findings if f.rule == "syntax-check")
    assert syntax.path == ".github/workflows/bad.yml"
    assert syntax.column == 5
    assert 'unexpected key "branch"' in syntax.message


def test_actionlint_crash_is_a_tool_error(tmp_path: Path) -> None:
    require_tool("actionlint")
    with pytest.raises(ToolError, match=r"actionlint.*exited"):
        run_actionlint(["does-not-exist.yml"], cwd=tmp_path)


def _fake_tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, script: str) -> None:
    bin_dir = tmp_path / "fake-bin"
    _write(bin_dir, name, "#!/bin/sh\n" + script + "\n").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")


def test_unparseable_actionlint_output_is_a_tool_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_tool(tmp_path, monkeypatch, "actionlint", "echo 'this is not json'; exit 1")
    with pytest.raises(ToolError, match="not JSON"):
        run_actionlint(["w.yml"], cwd=tmp_path)


def test_actionlint_saying_failure_without_errors_is_a_tool_error(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_tool(tmp_path, monkeypatch, "actionlint", "echo '[]'; exit 1")
    with pytest.raises(ToolError, match="unexpected JSON"):
        run_actionlint(["w.yml"], cwd=tmp_path)


# --- zizmor --------------------------------------------------------------------------------------------------------


def test_zizmor_reports_and_blocks_a_template_injection(tmp_path: Path) -> None:
    require_tool("zizmor")
    path = _write(tmp_path, ".github/workflows/bad.yml", INJECTION)
    result = run_zizmor([path], config=default_zizmor_config(), min_severity="high")
    assert ("bad.yml", 10, "template-injection") in _where(result.blocking)
    assert ("bad.yml", 9, "artipacked") in _where(result.findings)
    assert all(f.severity == "high" for f in result.blocking)
    assert {f.rule for f in result.findings} - {f.rule for f in result.blocking}, "lower findings are kept, unblocking"
    # The default config accepts a version-tag pin; only zizmor's built-in policy (no config) rejects it.
    assert "unpinned-uses" not in {f.rule for f in result.findings}
    builtin = run_zizmor([path], config=None, min_severity="high")
    assert ("bad.yml", 9, "unpinned-uses") in _where(builtin.findings)


def test_zizmor_min_severity_decides_what_blocks(tmp_path: Path) -> None:
    require_tool("zizmor")
    path = _write(tmp_path, "w.yml", INJECTION)
    high = run_zizmor([path], config=default_zizmor_config(), min_severity="high")
    low = run_zizmor([path], config=default_zizmor_config(), min_severity="LOW")
    assert high.findings == low.findings
    assert set(high.blocking) < set(low.blocking)
    assert ("w.yml", 9, "artipacked") in _where(low.blocking)


def test_zizmor_uses_the_targets_own_config(tmp_path: Path) -> None:
    require_tool("zizmor")
    assert zizmor_config_for(tmp_path) == default_zizmor_config()
    own = _write(tmp_path, ".github/zizmor.yml", "rules:\n  template-injection:\n    disable: true\n")
    assert zizmor_config_for(tmp_path) == own
    path = _write(tmp_path, ".github/workflows/bad.yml", INJECTION)
    result = run_zizmor([path], config=zizmor_config_for(tmp_path), min_severity="high")
    assert "template-injection" not in {f.rule for f in result.findings}
    assert result.config == own


def test_zizmor_leaves_out_findings_ignored_in_the_file(tmp_path: Path) -> None:
    require_tool("zizmor")
    text = INJECTION.replace("actions/checkout@v4", "actions/checkout@v4 # zizmor: ignore[artipacked]")
    result = run_zizmor([_write(tmp_path, "w.yml", text)], config=default_zizmor_config(), min_severity="high")
    assert "artipacked" not in {f.rule for f in result.findings}
    assert "template-injection" in {f.rule for f in result.findings}


def test_zizmor_rejects_an_unknown_severity(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="unknown minimum severity 'severe'"):
        run_zizmor([tmp_path / "w.yml"], config=None, min_severity="severe")


def test_zizmor_crash_is_a_tool_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_tool(tmp_path, monkeypatch, "zizmor", "echo 'fatal: no audit' >&2; exit 1")
    with pytest.raises(ToolError, match=r"zizmor.*exited 1: fatal: no audit"):
        run_zizmor([tmp_path / "w.yml"], config=None, min_severity="high")


def test_zizmor_record_of_an_unknown_shape_is_a_tool_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_tool(tmp_path, monkeypatch, "zizmor", "echo " + json.dumps(json.dumps([{"ident": "x"}])))
    with pytest.raises(ToolError, match="unexpected finding record from zizmor"):
        run_zizmor([tmp_path / "w.yml"], config=None, min_severity="high")


# --- the GitHub workflow schema ------------------------------------------------------------------------------------


def test_schema_errors_name_the_line_of_the_bad_value(tmp_path: Path) -> None:
    path = _write(tmp_path, ".github/workflows/s.yml", SCHEMA_BAD)
    findings = validate_workflow_schema([path], display_root=tmp_path)
    assert [(f.path, f.line, f.rule) for f in findings] == [
        (".github/workflows/s.yml", 2, "schema:enum"),
        (".github/workflows/s.yml", 4, "schema:enum"),
        (".github/workflows/s.yml", 6, "schema:required"),
    ]
    assert findings[0].message.startswith("$.on[1]: 'bogus' is not one of")
    assert findings[1].message.startswith("$.permissions.contents: 'rw' is not one of")
    assert findings[2].message == "$.jobs.test: 'runs-on' is a required property"


def test_schema_check_agrees_with_the_check_jsonschema_cli(tmp_path: Path) -> None:
    cli = require_tool("check-jsonschema")
    paths = [_write(tmp_path, "s.yml", SCHEMA_BAD), _write(tmp_path, "i.yml", INJECTION),
             _write(tmp_path, "e.yml", "on:\n  push:\n    branches: main\njobs: {}\n")]
    proc = subprocess.run([cli, "--builtin-schema", "vendor.github-workflows", "-o", "json", *map(str, paths)],
                          capture_output=True, text=True, check=False, timeout=120)
    errors = json.loads(proc.stdout)["errors"]
    theirs = {(Path(e["filename"]).name, (e.get("best_deep_match") or e)["path"]) for e in errors}
    ours = {(Path(f.path).name, f.message.split(": ", 1)[0]) for f in validate_workflow_schema(paths)}
    assert ours == theirs
    assert len(ours) == 6


def test_schema_check_of_broken_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "broken.yml", "on: push\njobs:\n  a: [unclosed\n")
    with pytest.raises(WorkflowLoadError, match=r"broken\.yml:\d+"):
        validate_workflow_schema([path], display_root=tmp_path)


def test_missing_tool_is_reported_with_an_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    from cicd_acceptance import tools

    with pytest.raises(ToolMissing, match=r"no-such-tool-h1: not found .*install-tools\.sh"):
        tools.require("no-such-tool-h1")


def test_zizmor_fails_clearly_on_a_file_it_cannot_audit(tmp_path: Path) -> None:
    require_tool("zizmor")
    good = _write(tmp_path, "good.yml", INJECTION)
    bad = _write(tmp_path, "schema-bad.yml", SCHEMA_BAD)
    # Without --strict-collection zizmor would audit good.yml alone and report success for both.
    with pytest.raises(ToolError, match=r"zizmor: `zizmor` exited \d+: .*schema-bad\.yml") as caught:
        run_zizmor([good, bad], config=default_zizmor_config(), min_severity="high")
    assert "backtrace" not in str(caught.value).lower()
