"""The copies the external tools read: what the harness accepted, with aliases written out on their own line."""

from __future__ import annotations

from pathlib import Path

import yaml

from cicd_acceptance.workflows.toolinputs import staged_inputs

ANCHORED = """\
on: push
jobs:
  a:
    runs-on: x
    steps:
      - &checkout
        uses: actions/checkout@v4
        with: {fetch-depth: 0}
      - run: echo a
  b:
    runs-on: x
    timeout-minutes: &minutes 5
    steps:
      - *checkout
      - run: echo b
        timeout-minutes: *minutes
"""


def _staged(tmp_path: Path, text: str) -> str:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "b.yml").write_text(text, encoding="utf-8")
    with staged_inputs(tmp_path, [".github/workflows/b.yml"]) as staged:
        return (staged.root / ".github" / "workflows" / "b.yml").read_text(encoding="utf-8")


def test_aliases_are_written_out_on_their_own_line(tmp_path: Path) -> None:
    staged = _staged(tmp_path, ANCHORED)
    lines = staged.splitlines()
    assert len(lines) == len(ANCHORED.splitlines())  # every finding keeps its line number
    assert lines[13] == '      - {"uses": "actions/checkout@v4", "with": {"fetch-depth": 0}}'
    assert lines[15] == "        timeout-minutes: 5"  # a plain scalar keeps its type
    assert yaml.safe_load(staged) == yaml.safe_load(ANCHORED)  # the same workflow GitHub reads


def test_a_file_without_aliases_is_copied_as_it_is(tmp_path: Path) -> None:
    text = "on:\n  push:\n    tags: ['v*']\njobs: {}\n"
    assert _staged(tmp_path, text) == text
