"""evidence.md, GitHub Actions workflow commands (escaping, annotations, groups) and the job summary."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from cicd_acceptance.errors import LocalFileError
from cicd_acceptance.evidence.actions import (
    STEP_SUMMARY_LIMIT,
    annotation_lines,
    append_step_summary,
    escape_data,
    escape_property,
    group,
    workflow_command,
)
from cicd_acceptance.evidence.bundle import write_bundle
from cicd_acceptance.evidence.jsonable import JSON
from cicd_acceptance.evidence.markdown import cell, render_markdown
from cicd_acceptance.evidence.model import Evidence, EvidenceEntry, evidence_from_json
from tests.evidence.evidence_samples import BUILD_URL, SHA, evidence, scenarios


def test_markdown_shows_everything_a_reviewer_checks() -> None:
    md = render_markdown(evidence())
    assert md.splitlines()[0] == "# ACCEPTANCE MET"
    for expected in (f"`acme/stream-monitor` at `{SHA}`", "cicd-acceptance 0.1.0", "2026-11-27T14:00:00Z",
                     "9 requests (7 counted against the rate limit, 2 answered 304), rate limit left 4990",
                     "| services | `gateway, worker, webhook-demo` | default (ExecPlan) |",
                     "| ✅ passed | CI workflow | CI workflow runs go test | static | - |",
                     f"[202]({BUILD_URL})", "| build (gateway) | success | - |", "run id in response",
                     "| gateway | linux/amd64 | `sha256:bbbb",
                     "| webhook-demo | ✅ | new tag | absent before the dispatch |",
                     "`.github/workflows/ci.yml:12`"):
        assert expected in md, expected


def test_markdown_cells_cannot_break_the_table_or_inject_html() -> None:
    assert cell("a | b\nc <script>") == "a \\| b c &lt;script&gt;"
    assert cell(None) == cell("") == "-"
    assert cell(["x", "y|z"]) == "x, y\\|z"
    md = render_markdown(evidence())
    assert "- Images [gateway]: a \\| pipe and &lt;b&gt;html&lt;/b&gt;" in md


def test_bundle_files_are_written_and_read_back(tmp_path: Path) -> None:
    ev = evidence(met=False, line="ACCEPTANCE NOT MET: 1 failed (x), 0 skipped", failed=True)
    paths = write_bundle(tmp_path / "a" / "b", ev)
    assert [p.name for p in paths] == ["evidence.json", "evidence.md"]
    assert evidence_from_json(paths[0].read_text()) == ev
    assert paths[1].read_text().startswith("# ACCEPTANCE NOT MET: 1 failed (x), 0 skipped\n")


def test_bundle_directory_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(LocalFileError, match=r"--evidence-dir .*file/sub: cannot write the evidence bundle"):
        write_bundle(blocker / "sub", evidence())


@pytest.mark.parametrize(("raw", "data", "prop"), [
    ("plain", "plain", "plain"),
    ("100% done", "100%25 done", "100%25 done"),
    ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
    ("x:y,z", "x:y,z", "x%3Ay%2Cz"),
    ("%0A", "%250A", "%250A"),
])
def test_workflow_command_escaping(raw: str, data: str, prop: str) -> None:
    assert escape_data(raw) == data
    assert escape_property(raw) == prop


def test_a_message_cannot_start_another_command() -> None:
    line = workflow_command("error", "bad\n::add-mask::x", {"file": "a,b.yml", "line": 3, "col": None})
    assert line == "::error file=a%2Cb.yml,line=3::bad%0A::add-mask::x"
    assert "\n" not in line
    assert group("T", ["a"]) == ["::group::T", "a", "::endgroup::"]


def test_annotations_for_failed_findings_and_skips(tmp_path: Path) -> None:
    failed_static, skipped_live = scenarios(failed=True, skipped=True)
    repo = tmp_path / "target"
    lines = annotation_lines([failed_static, skipped_live], repo_dir=repo, workspace=tmp_path)
    assert lines == [
        "::error file=target/.github/workflows/ci.yml,line=12,col=9,title=ci-test-command (CI workflow runs go test)"
        "::expected `go test ./...`, found `go vet`",
        "::warning title=Acceptance criterion skipped::Images [gateway]: no token",
    ]


def test_passed_criteria_get_no_error_and_failures_without_findings_get_one(tmp_path: Path) -> None:
    passed, live = scenarios()
    assert annotation_lines([passed, live], repo_dir=tmp_path, workspace=tmp_path) == []
    failed_live = live.__class__(**{**live.__dict__, "outcome": "failed", "reason": "run 202 concluded failure"})
    assert annotation_lines([failed_live], repo_dir=tmp_path, workspace=Path("/elsewhere")) == [
        "::error title=Acceptance criterion failed::Images [gateway]: run 202 concluded failure"]


def test_step_summary_is_appended_and_truncated(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    assert append_step_summary("# ACCEPTANCE MET", {}) is None
    assert append_step_summary("# ACCEPTANCE MET", {"GITHUB_STEP_SUMMARY": str(summary)}) == summary
    assert summary.read_text() == "earlier step\n# ACCEPTANCE MET\n"
    append_step_summary("é" * STEP_SUMMARY_LIMIT, {"GITHUB_STEP_SUMMARY": str(summary)})
    assert len(summary.read_bytes()) <= STEP_SUMMARY_LIMIT + 100
    assert summary.read_text().endswith("evidence.md in the evidence bundle)*\n")


def test_step_summary_that_cannot_be_written(tmp_path: Path) -> None:
    with pytest.raises(LocalFileError, match="env GITHUB_STEP_SUMMARY: cannot append the job summary"):
        append_step_summary("x", {"GITHUB_STEP_SUMMARY": str(tmp_path / "missing" / "s.md")})


def test_bundle_files_get_the_usual_mode(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        paths = write_bundle(tmp_path, evidence())
    finally:
        os.umask(old)
    assert [oct(p.stat().st_mode & 0o777) for p in paths] == ["0o644", "0o644"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evidence.json", "evidence.md"]  # no temp files left


def _with(*entries: EvidenceEntry) -> Evidence:
    ev = evidence()
    first = dataclasses.replace(ev.scenarios[0], evidence=entries)
    return dataclasses.replace(ev, scenarios=(first, *ev.scenarios[1:]))


def test_quoted_logs_are_short_fenced_blocks_that_no_line_can_close() -> None:
    go = EvidenceEntry("log", {"purpose": "go test", "run_id": 101, "job": "test", "complete": True,
                               "lines": ["ok  \tgithub.com/acme/stream-monitor/internal/api\t0.01s",
                                         "```` <b>not markup</b>"]})
    md = render_markdown(_with(go))
    block = md.split("### go test: job test (run 101)\n\n", 1)[1]
    assert block.startswith("`````text\nok  \tgithub.com/acme/stream-monitor/internal/api\t0.01s\n"
                            "```` <b>not markup</b>\n`````\n")


def test_a_red_runs_quote_shows_the_step_the_error_the_tail_and_the_annotations() -> None:
    failure = EvidenceEntry("log", {
        "purpose": "failure", "run_id": 7, "job": "test", "step": "Run go test ./...", "conclusion": "failure",
        "complete": False, "errors": ["##[error]Process completed with exit code 1."],
        "tail": ["FAIL", "##[error]Process completed with exit code 1."],
        "annotations": [{"path": ".github", "line": 1, "level": "failure", "title": "",
                         "message": "Process completed with exit code 1."}]})
    md = render_markdown(_with(failure))
    assert "### failure: job test (run 7, step Run go test ./...)" in md
    assert "```text\n##[error]Process completed with exit code 1.\n...\nFAIL\n" in md
    assert "- the log was read only up to its size or time bound" in md
    assert "- annotation failure `.github`:1: - Process completed with exit code 1." in md


def test_the_summary_names_a_rehearsal_and_the_correlation_actor() -> None:
    server = EvidenceEntry("server", {"kind": "github", "actor": None,
                                      "actor_source": "GET /user refused (403): not a user's token"})
    ev = dataclasses.replace(_with(server), rehearsal=True, status="met", verdict_line="REHEARSAL MET", exit_code=0,
                             counts={"passed": 2})
    md = render_markdown(ev)
    assert md.startswith("# REHEARSAL MET\n")
    assert "a rehearsal, nothing is proven about GitHub and GHCR (exit status 0)" in md
    assert "| Correlation actor | none: GET /user refused (403): not a user's token |" in md


def test_a_rehearsal_lists_the_steps_the_emulator_did_not_run_once_each() -> None:
    lint: dict[str, JSON] = {"run_id": 101, "job": "test", "error": None,
            "message": "golangci/golangci-lint-action@v6 is not emulated: the step 'Lint' was not run (the emulator "
                       "treats it as passed)"}
    unread: dict[str, JSON] = {"run_id": 202, "job": "build (worker)", "message": None,
              "error": "cannot read the annotations: GET .../check-runs/9/annotations answered 502"}
    ev = dataclasses.replace(_with(EvidenceEntry("not_emulated", lint), EvidenceEntry("not_emulated", lint),
                                   EvidenceEntry("not_emulated", unread)),
                             rehearsal=True, status="met", verdict_line="REHEARSAL MET", exit_code=0,
                             counts={"passed": 2})
    md = render_markdown(ev)
    assert ("a rehearsal, nothing is proven about GitHub and GHCR; 2 steps could not be run by the emulator and "
            "count as passed (listed below) (exit status 0)") in md
    assert "## Steps the emulator did not run" in md
    assert md.count("golangci/golangci-lint-action@v6 is not emulated: the step 'Lint' was not run") == 1
    assert "| 202 | build (worker) | cannot read the annotations: GET .../check-runs/9/annotations answered 502 |" in md
    assert "could not be run by the emulator" not in render_markdown(evidence())
