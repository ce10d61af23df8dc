"""A tool's answer is reused only for exactly the same inputs: files, arguments, the tool and what it runs with."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cicd_acceptance.toolcache import CachedRun, Caching, ToolResultCache, default_tool_cache, run_key
from cicd_acceptance.tools import run_command

_FAKE_TOOL = """#!/bin/sh
# counts its runs in $FAKE_RUNS (a variable not named after the tool, so not part of the key)
echo run >> "$FAKE_RUNS"
cat "$@"
exit "${FAKE_EXIT:-0}"
"""


@pytest.fixture
def tool(tmp_path: Path) -> Path:
    exe = tmp_path / "bin" / "faketool"
    exe.parent.mkdir()
    exe.write_text(_FAKE_TOOL)
    exe.chmod(0o755)
    return exe


def _staging(base: Path, name: str, files: dict[str, str]) -> Path:
    root = base / name
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_the_key_ignores_the_staging_folders_name_but_not_its_files(tmp_path: Path, tool: Path) -> None:
    one = _staging(tmp_path, "stage-a", {".github/workflows/ci.yml": "on: push\n"})
    two = _staging(tmp_path, "stage-b", {".github/workflows/ci.yml": "on: push\n"})
    three = _staging(tmp_path, "stage-c", {".github/workflows/ci.yml": "on: pull_request\n"})
    four = _staging(tmp_path, "stage-d", {".github/workflows/ci.yml": "on: push\n", ".github/zizmor.yml": "x: 1\n"})
    argv = [str(tool), "--config", "{root}/.github/zizmor.yml", ".github/workflows/ci.yml"]

    def key(root: Path) -> str | None:
        return run_key([a.replace("{root}", str(root)) for a in argv], cwd=root, env={})

    assert key(one) == key(two)
    assert key(three) != key(one)
    assert key(four) != key(one)


def test_the_key_changes_with_the_tool_its_companions_its_arguments_and_its_own_variables(
        tmp_path: Path, tool: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _staging(tmp_path, "stage", {"ci.yml": "on: push\n"})
    base = run_key([str(tool), "ci.yml"], cwd=root, env={})
    assert run_key([str(tool), "-x", "ci.yml"], cwd=root, env={}) != base
    assert run_key([str(tool), "ci.yml"], cwd=root, env={"FAKETOOL_MODE": "strict"}) != base
    assert run_key([str(tool), "ci.yml"], cwd=root, env={"UNRELATED": "1"}) == base

    companions = tmp_path / "path"
    companions.mkdir()
    monkeypatch.setenv("PATH", f"{companions}:{os.environ['PATH']}")
    without = run_key([str(tool), "ci.yml"], cwd=root, env={}, companions=["shellcheck-fake"])
    shutil.copy(tool, companions / "shellcheck-fake")
    assert run_key([str(tool), "ci.yml"], cwd=root, env={}, companions=["shellcheck-fake"]) != without

    tool.write_text(_FAKE_TOOL + "# another version\n")
    assert run_key([str(tool), "ci.yml"], cwd=root, env={}) != base


def test_a_file_outside_the_staging_folder_named_as_an_argument_is_read_for_the_key(tmp_path: Path,
                                                                                    tool: Path) -> None:
    root = _staging(tmp_path, "stage", {"ci.yml": "on: push\n"})
    config = tmp_path / "default-config.yml"
    config.write_text("rules: {}\n")
    before = run_key([str(tool), "--config", str(config), "ci.yml"], cwd=root, env={})
    config.write_text("rules: {unpinned-uses: {config: {policies: {'*': hash-pin}}}}\n")
    assert run_key([str(tool), "--config", str(config), "ci.yml"], cwd=root, env={}) != before


def test_a_second_run_on_the_same_inputs_does_not_start_the_tool(tmp_path: Path, tool: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    runs = tmp_path / "runs"
    monkeypatch.setenv("FAKE_RUNS", str(runs))
    caching = Caching(ToolResultCache(tmp_path / "cache"))
    first = run_command([str(tool), "ci.yml"], cwd=_staging(tmp_path, "s1", {"ci.yml": "hello\n"}), caching=caching)
    again = run_command([str(tool), "ci.yml"], cwd=_staging(tmp_path, "s2", {"ci.yml": "hello\n"}), caching=caching)
    changed = run_command([str(tool), "ci.yml"], cwd=_staging(tmp_path, "s3", {"ci.yml": "bye\n"}), caching=caching)
    assert (first.stdout, again.stdout, changed.stdout) == ("hello\n", "hello\n", "bye\n")
    assert runs.read_text().count("run") == 2


def test_only_the_exit_statuses_the_caller_calls_answers_are_kept(tmp_path: Path, tool: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    runs = tmp_path / "runs"
    monkeypatch.setenv("FAKE_RUNS", str(runs))
    monkeypatch.setenv("FAKE_EXIT", "3")
    caching = Caching(ToolResultCache(tmp_path / "cache"), keep=(0, 1))
    root = _staging(tmp_path, "s", {"ci.yml": "x\n"})
    for _ in range(2):
        assert run_command([str(tool), "ci.yml"], cwd=root, caching=caching).returncode == 3
    assert runs.read_text().count("run") == 2


def test_an_entry_that_does_not_read_back_is_a_miss_and_is_removed(tmp_path: Path) -> None:
    cache = ToolResultCache(tmp_path / "cache")
    cache.put("k1", CachedRun(1, "[]", ""))
    assert cache.get("k1") == CachedRun(1, "[]", "")
    (tmp_path / "cache" / "k1.json").write_text('{"format": 1, "returncode": "1"}')
    assert cache.get("k1") is None
    assert not (tmp_path / "cache" / "k1.json").exists()
    (tmp_path / "elsewhere.json").write_text('{"format": 1, "returncode": 0, "stdout": "", "stderr": ""}')
    (tmp_path / "cache" / "k2.json").symlink_to(tmp_path / "elsewhere.json")
    assert cache.get("k2") is None  # never through a symlink


def test_the_cache_stays_bounded(tmp_path: Path) -> None:
    cache = ToolResultCache(tmp_path / "cache", max_entries=8)
    for n in range(20):
        cache.put(f"k{n}", CachedRun(0, str(n), ""))
    assert len(list((tmp_path / "cache").glob("*.json"))) <= 8
    assert cache.get("k19") == CachedRun(0, "19", "")


def test_the_cache_is_in_the_users_cache_folder_and_can_be_turned_off(tmp_path: Path) -> None:
    found = default_tool_cache({"XDG_CACHE_HOME": str(tmp_path)})
    assert found is not None
    assert found.folder == tmp_path / "cicd-acceptance" / "tool-results"
    assert default_tool_cache({"XDG_CACHE_HOME": str(tmp_path), "ACCEPTANCE_TOOL_CACHE": "0"}) is None
