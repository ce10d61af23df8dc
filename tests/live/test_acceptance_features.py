"""End to end: ``pytest features/ -m live`` in a child process, as a user runs it.

With no configuration the bundled emulator stands in for GitHub and GHCR and every live criterion passes in
seconds; on a defective target the owning scenarios fail with messages that name the job or the service and fact;
with live checks off the scenarios are skipped with the reason (never passed), and ``--require-live`` fails them.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from cicd_acceptance.evidence.verdict import EXIT_PARTIAL
from tests.emulator.sample_repo import BUILD_YML, CI_YML, make_sample_repo
from tests.live.acceptance_emulated import ROOT

LIVE_SCENARIOS = 7


def run_live(*args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "pytest", "features/", "-m", "live", "-p", "no:cacheprovider", "-rfEs", *args]
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def evidence(directory: Path) -> dict[str, object]:
    doc = json.loads((directory / "evidence.json").read_text())
    assert isinstance(doc, dict)
    return doc


def entries(doc: dict[str, object], kind: str) -> list[dict[str, object]]:
    scenarios = doc["scenarios"]
    assert isinstance(scenarios, list)
    return [entry["data"] for s in scenarios for entry in s["evidence"] if entry["kind"] == kind]


def test_with_no_configuration_the_emulator_accepts_the_bundled_sample(tmp_path: Path) -> None:
    result = run_live("--evidence-dir", str(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode == EXIT_PARTIAL, output  # -m live leaves the static criteria out
    assert f"{LIVE_SCENARIOS} passed" in result.stdout, output
    last = result.stdout.splitlines()[-1]
    assert last.startswith(f"PARTIAL: {LIVE_SCENARIOS} of "), last
    assert last.endswith("(rehearsal: the live checks ran on the bundled emulator)"), last
    assert "live: the bundled emulator stands in for GitHub" in result.stdout
    assert "Traceback" not in output
    doc = evidence(tmp_path)
    dispatches = entries(doc, "dispatch")
    assert len(dispatches) == 1, dispatches  # the image scenarios reuse the one build
    assert dispatches[0]["correlation"] == "run id in the dispatch response (return_run_details)"
    images = entries(doc, "image")
    assert sorted(str(image["service"]) for image in images) == ["gateway", "webhook-demo", "worker"]
    assert all(fact["passed"] for image in images for fact in image["facts"])  # type: ignore[attr-defined]
    live = doc["live"]
    assert isinstance(live, dict)
    assert live["mode"] == "emulator"
    verdict = doc["verdict"]
    assert isinstance(verdict, dict)
    assert (verdict["status"], verdict["rehearsal"], verdict["accepted"]) == ("partial", True, False)
    assert {str(server["kind"]) for server in entries(doc, "server")} == {"emulator"}
    go_tests = [log for log in entries(doc, "log") if log["purpose"] == "go test"]
    assert sorted(str(log["job"]) for log in go_tests) == ["test", "test"], go_tests  # push run and PR run
    pushes = {str(log["service"]): log for log in entries(doc, "log") if log["purpose"] == "push"}
    assert sorted(pushes) == ["gateway", "webhook-demo", "worker"]
    short = str(images[0]["tag"])
    for service, log in pushes.items():
        assert any(f"example/stream-monitor-{service}:{short}" in str(line) for line in log["lines"]), log  # type: ignore[attr-defined]
        assert log["digest_in_log"] is True, log
    md = (tmp_path / "evidence.md").read_text()
    assert "## Quoted from the job logs" in md
    assert md.startswith("# PARTIAL: ")
    budget = doc["api_budget"]
    assert isinstance(budget, dict)
    assert 0 < budget["counted"] <= 40


def test_a_defective_target_fails_exactly_the_owning_scenarios(tmp_path: Path) -> None:
    repo = make_sample_repo(tmp_path, build_yml=BUILD_YML.replace("[gateway, worker, webhook-demo]",
                                                                  "[gateway, worker]"))
    result = run_live("--emulator", "--repo-dir", str(repo), "--github-repo", "example/stream-monitor")
    output = result.stdout + result.stderr
    failed = sorted(re.findall(r"^FAILED features/test_features\.py::(\S+)", result.stdout, re.MULTILINE))
    assert result.returncode == 1, output
    assert failed == [
        "test_the_dispatched_build_run_is_found_and_completes_green_with_every_service_built",
        "test_the_service_image_is_published_for_the_pinned_commit[webhook-demo]",
    ], output
    assert "not met: " in result.stdout
    assert "no build job for webhook-demo" in result.stdout
    assert re.search(r"webhook-demo \(127\.0\.0\.1:\d+/example/stream-monitor-webhook-demo\): sha-tag-exists: "
                     r"FAILED \(expected sha-\w{7} or sha-\w{40} or \w{7} or \w{40} exists; observed .* absent "
                     r"\(HEAD 404\)\)",
                     result.stdout), output
    assert "5 passed" in result.stdout
    assert "Traceback" not in output


def test_a_rehearsal_lists_the_steps_the_emulator_could_not_run(tmp_path: Path) -> None:
    lint = "      - name: Lint\n        uses: golangci/golangci-lint-action@v6\n"
    repo = make_sample_repo(tmp_path, ci_yml=CI_YML.replace("      - name: Run the tests\n",
                                                            lint + "      - name: Run the tests\n"))
    result = run_live("--emulator", "--repo-dir", str(repo), "--github-repo", "example/stream-monitor",
                      "--evidence-dir", str(tmp_path / "evidence"))
    output = result.stdout + result.stderr
    assert result.returncode == EXIT_PARTIAL, output  # the step counts as passed, as the emulator says
    unrun = entries(evidence(tmp_path / "evidence"), "not_emulated")
    assert {(str(entry["job"]), entry["error"]) for entry in unrun} == {("test", None)}
    assert len({entry["run_id"] for entry in unrun}) == 2, unrun  # the push run and the pull request's run
    md = (tmp_path / "evidence" / "evidence.md").read_text()
    assert "2 steps could not be run by the emulator and count as passed (listed below)" in md
    assert "## Steps the emulator did not run" in md
    assert "golangci/golangci-lint-action@v6 is not emulated: the step 'Lint' was not run" in md


def test_live_off_skips_every_live_scenario_with_the_reason(tmp_path: Path) -> None:
    result = run_live("--github-api-url", "https://api.github.com", "--evidence-dir", str(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode == 1, output  # a skipped criterion is not met
    assert f"{LIVE_SCENARIOS} skipped" in result.stdout, output
    assert "live checks are off: no token" in result.stdout
    assert "ACCEPTANCE NOT MET" in result.stdout.splitlines()[-1]
    scenarios = evidence(tmp_path)["scenarios"]
    assert isinstance(scenarios, list)
    assert {s["outcome"] for s in scenarios} == {"skipped"}


def test_require_live_turns_the_skips_into_failures() -> None:
    result = run_live("--github-api-url", "https://api.github.com", "--require-live")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "--require-live: live checks are off: no token" in result.stdout
    assert "passed" not in result.stdout.splitlines()[-2]
    assert "ACCEPTANCE NOT MET" in result.stdout.splitlines()[-1]
    assert "Traceback" not in output


def test_under_xdist_one_worker_runs_every_live_scenario_so_the_build_is_dispatched_once(tmp_path: Path) -> None:
    result = run_live("-n", "3", "-v", "--evidence-dir", str(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode == EXIT_PARTIAL, output
    workers = set(re.findall(r"^\[(gw\d+)\] .* PASSED features/", result.stdout, re.MULTILINE))
    assert len(workers) == 1, output
    budget = evidence(tmp_path)["api_budget"]
    assert isinstance(budget, dict)
    assert budget["processes"] == 1


def test_the_default_run_is_a_rehearsal_that_quotes_go_test_and_push_lines(tmp_path: Path) -> None:
    """The README's default run: every criterion, on the emulator. Its evidence quotes the CI job's real
    ``go test`` result lines for the sample's packages and one push line with ``:sha-<short>`` per service."""
    argv = [sys.executable, "-m", "pytest", "features/", "-p", "no:cacheprovider", "-rfEs",
            "--evidence-dir", str(tmp_path)]
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    output = result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "REHEARSAL MET", output
    assert result.returncode == 0, output
    doc = evidence(tmp_path)
    logs = entries(doc, "log")
    go_tests = [log for log in logs if log["purpose"] == "go test"]
    assert len(go_tests) == 2, logs  # the push run of HEAD and the pull request's run
    for log in go_tests:
        lines = log["lines"]
        assert isinstance(lines, list)
        assert any(re.match(r"ok\s+github\.com/example/stream-monitor/internal/", str(line)) for line in lines), log
    short = str(entries(doc, "image")[0]["tag"])
    assert re.fullmatch(r"sha-[0-9a-f]{7}", short)
    md = (tmp_path / "evidence.md").read_text()
    assert md.startswith("# REHEARSAL MET\n")
    assert re.search(r"^ok\s+github\.com/example/stream-monitor/internal/", md, re.MULTILINE), md
    for service in ("gateway", "worker", "webhook-demo"):
        assert re.search(rf"^.*stream-monitor-{service}:{short}\b.*$", md, re.MULTILINE), md
