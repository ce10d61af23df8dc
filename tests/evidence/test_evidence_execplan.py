"""ExecPlan progress entries: the plan's format, idempotence, line endings, other sections untouched, refusals."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import pytest

from cicd_acceptance.errors import ConfigError, LocalFileError, WorkflowLoadError
from cicd_acceptance.evidence import execplan
from cicd_acceptance.evidence.execplan import ProgressEntry, check_execplan, progress_entry, record_progress
from tests.evidence.evidence_samples import BUILD_URL, CI_URL, SHA, evidence

# The sample's copy of the ExecPlan under acceptance (the same text as the plan the team works from).
SHARED_PLAN = Path(__file__).resolve().parents[2] / "examples" / "stream-monitor" / "docs" / "execplan.md"
PLAN = """# CI/CD build automation ExecPlan

Intro.

## Progress

- [x] (2026-02-02 00:10Z) Draft and implement GitHub Actions workflows for CI tests and image builds.
- [x] (2026-02-02 00:10Z) Document verification steps and expected outputs in this ExecPlan.

## Surprises & Discoveries

- Observation: None yet.
  Evidence: Not applicable.

## Outcomes & Retrospective

- Outcome (2026-02-02): Added GitHub Actions workflows for test runs and GHCR image builds.

## Context and Orientation

    ## Progress   (an indented code block is not a heading)

Text.
"""
MET = (f"Acceptance met at {SHA}: CI run {CI_URL} (push) green; "
       f"build-images run {BUILD_URL} (workflow_dispatch) green; "
       "images sha-0123456 pushed for gateway, worker, webhook-demo.")


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    path = tmp_path / "plan.md"
    path.write_bytes(PLAN.encode())
    return path


def _entry(*, failed: bool = False) -> ProgressEntry:
    ev = dataclasses.replace(evidence(failed=True), met=False) if failed else evidence()
    return progress_entry(ev, verdict_reason="1 failed (CI workflow runs go test), 0 skipped")


def test_met_entry_in_the_plans_format() -> None:
    entry = _entry()
    assert entry.progress_line == f"- [x] (2026-11-27 14:05Z) {MET}"
    assert entry.outcome_line == f"- Outcome (2026-11-27): {MET}"


def test_a_commit_tag_in_the_builds_own_spelling_is_named() -> None:
    ev = evidence()
    bare = tuple(dataclasses.replace(scenario, evidence=tuple(
        dataclasses.replace(entry, data={**entry.data, "tag": SHA[:12]}) if entry.kind == "image" else entry
        for entry in scenario.evidence)) for scenario in ev.scenarios)
    entry = progress_entry(dataclasses.replace(ev, scenarios=bare), verdict_reason="")
    assert f"images {SHA[:12]} pushed for gateway, worker, webhook-demo." in entry.progress_line


def test_not_met_entry_is_unchecked_with_the_reason() -> None:
    entry = _entry(failed=True)
    assert entry.progress_line.startswith(
        f"- [ ] (2026-11-27 14:05Z) Acceptance not met at {SHA}: 1 failed (CI workflow runs go test), 0 skipped; "
        f"CI run {CI_URL} (push) green;")
    assert "images" in entry.progress_line  # the live criterion still passed and pushed its images


def test_a_run_against_the_emulator_is_an_unchecked_rehearsal() -> None:
    ev = evidence()
    ev = dataclasses.replace(ev, context=dataclasses.replace(ev.context, live_mode="emulator"))
    entry = progress_entry(ev, verdict_reason="")
    assert entry.progress_line.startswith(
        f"- [ ] (2026-11-27 14:05Z) Rehearsal met at {SHA} against the bundled emulator (not GitHub or GHCR; ")
    assert "CI run #101 (push) green; build-images run #202 (workflow_dispatch) green" in entry.text  # ids, not ports
    failed = progress_entry(dataclasses.replace(ev, met=False), verdict_reason="1 failed (x), 0 skipped")
    assert failed.text.startswith(f"Rehearsal not met at {SHA} against the bundled emulator: 1 failed (x)")


def test_appends_to_both_sections_and_touches_nothing_else(plan: Path) -> None:
    assert record_progress(plan, _entry()) is True
    expected = PLAN.replace(
        "in this ExecPlan.\n\n## Surprises",
        f"in this ExecPlan.\n- [x] (2026-11-27 14:05Z) {MET}\n\n## Surprises",
    ).replace(
        "image builds.\n\n## Context",
        f"image builds.\n- Outcome (2026-11-27): {MET}\n\n## Context",
    )
    assert plan.read_text() == expected


def test_same_run_is_recorded_once_whatever_the_time(plan: Path) -> None:
    entry = _entry()
    assert record_progress(plan, entry)
    once = plan.read_bytes()
    later = dataclasses.replace(entry, when=entry.when + dt.timedelta(days=1))
    assert record_progress(plan, later) is False
    assert plan.read_bytes() == once
    other = dataclasses.replace(entry, text=entry.text.replace("202", "203"))
    assert record_progress(plan, other) is True
    assert plan.read_text().count("Acceptance met") == 4


def test_crlf_stays_crlf(plan: Path) -> None:
    plan.write_bytes(PLAN.replace("\n", "\r\n").encode())
    record_progress(plan, _entry())
    data = plan.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n")
    assert f"- [x] (2026-11-27 14:05Z) {MET}\r\n".encode() in data


def test_empty_progress_and_outcomes_at_end_without_newline(plan: Path) -> None:
    plan.write_text("# Plan\n\n## Progress\n\n## Outcomes & Retrospective\n\n- Outcome (2026-01-01): old")
    record_progress(plan, _entry())
    assert plan.read_text() == (f"# Plan\n\n## Progress\n\n- [x] (2026-11-27 14:05Z) {MET}\n\n"
                                f"## Outcomes & Retrospective\n\n- Outcome (2026-01-01): old\n"
                                f"- Outcome (2026-11-27): {MET}\n")


@pytest.mark.parametrize(("text", "message"), [
    (PLAN.replace("## Progress\n\n- [x]", "## Status\n\n- [x]"),
     "expected exactly one '## Progress' section, found no"),
    (PLAN + "\n## Progress\n", "found 2 (lines 5, 25)"),
    (PLAN.replace("## Outcomes & Retrospective", "## Outcomes"), "'## Outcomes & Retrospective' section, found no"),
    (PLAN.replace("- [x] (2026-02-02 00:10Z) Document", "Some prose"), ":8: expected only '- [x]' / '- [ ]'"),
    ("no title\n" + PLAN, "expected an ExecPlan starting with a '# Title' line"),
])
def test_refuses_other_shapes_and_changes_nothing(plan: Path, text: str, message: str) -> None:
    plan.write_text(text)
    with pytest.raises(ConfigError) as info:
        record_progress(plan, _entry())
    assert message in str(info.value)
    assert str(plan) in str(info.value)
    assert plan.read_text() == text
    assert [p.name for p in plan.parent.iterdir()] == ["plan.md"]  # no temp file left behind


def test_refuses_binary_and_missing_files(tmp_path: Path) -> None:
    binary = tmp_path / "plan.md"
    binary.write_bytes(b"# Plan\n\xff\xfe")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        check_execplan(binary)
    with pytest.raises(ConfigError, match="does not exist"):
        check_execplan(tmp_path / "absent.md")


def test_headings_inside_fences_do_not_count(plan: Path) -> None:
    plan.write_text(PLAN.replace("Intro.", "```\n## Progress\n```"))
    check_execplan(plan)  # one real Progress section: accepted


def test_the_shared_execplan_is_accepted_and_keeps_its_other_sections(tmp_path: Path) -> None:
    copy = tmp_path / SHARED_PLAN.name
    shutil.copy(SHARED_PLAN, copy)
    before = copy.read_text().splitlines()
    record_progress(copy, _entry())
    after = copy.read_text().splitlines()
    added = [line for line in after if line not in before]
    assert added == [f"- [x] (2026-11-27 14:05Z) {MET}", f"- Outcome (2026-11-27): {MET}"]
    assert [line for line in after if line not in added] == before
    assert after.index(added[0]) < after.index("## Surprises & Discoveries")
    outcomes, context = after.index("## Outcomes & Retrospective"), after.index("## Context and Orientation")
    assert outcomes < after.index(added[1]) < context


def test_a_symlinked_plan_stays_a_symlink(plan: Path) -> None:
    link = plan.with_name("link.md")
    link.symlink_to(plan.name)
    assert record_progress(link, _entry())
    assert link.is_symlink()
    assert f"- [x] (2026-11-27 14:05Z) {MET}" in plan.read_text()


def test_an_io_error_reading_the_plan_is_a_local_file_error(plan: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Root reads a chmod 000 file, so the permission error is raised where the plan is read.
    def denied(path: Path, *, display_path: str, max_bytes: int) -> bytes:
        raise WorkflowLoadError("cannot read file: Permission denied", path=display_path)

    monkeypatch.setattr(execplan, "read_regular_file", denied)
    with pytest.raises(LocalFileError, match=f"--execplan {plan}: cannot read the ExecPlan: cannot read file: "
                                             "Permission denied"):
        check_execplan(plan)
