"""Sample evidence shared by the evidence tests."""

from __future__ import annotations

from cicd_acceptance.evidence.model import Evidence, EvidenceEntry, RunContext, ScenarioResult

SHA = "0123456789abcdef0123456789abcdef01234567"
CI_URL = "https://github.com/acme/stream-monitor/actions/runs/101"
BUILD_URL = "https://github.com/acme/stream-monitor/actions/runs/202"


def context() -> RunContext:
    return RunContext(
        repo_dir="/src/stream-monitor", repository="acme/stream-monitor", head_sha=SHA, branch="main",
        plan={"services": ["gateway", "worker", "webhook-demo"], "ci_workflow": ".github/workflows/ci.yml",
              "sha_tag_prefix": "sha-"},
        plan_sources={"services": "default (ExecPlan)", "ci_workflow": "acceptance.toml:ci_workflow",
                      "sha_tag_prefix": "default (ExecPlan)"},
        settings_sources={"repo_dir": "--repo-dir"}, live_mode="github", api_url="https://api.github.com",
        registry="ghcr.io",
    )


def run_entry(workflow: str, run_id: int, url: str, event: str) -> EvidenceEntry:
    return EvidenceEntry("run", {
        "workflow": workflow, "id": run_id, "url": url, "event": event, "head_sha": SHA,
        "status": "completed", "conclusion": "success", "created": "2026-11-27T14:00:00Z",
        "started": "2026-11-27T14:00:05Z", "completed": "2026-11-27T14:03:00Z",
        "jobs": [{"name": "build (gateway)", "conclusion": "success", "failing_step": None}],
    })


def image_entry(service: str) -> EvidenceEntry:
    return EvidenceEntry("image", {
        "service": service, "reference": f"ghcr.io/acme/stream-monitor-{service}", "tag": "sha-0123456",
        "digest": "sha256:" + "a" * 64,
        "platforms": [{"platform": "linux/amd64", "digest": "sha256:" + "b" * 64, "revision": SHA,
                       "created": "2026-11-27T14:02:00Z"}],
        "facts": [{"name": "new tag", "passed": True, "observed": "absent before the dispatch"}],
    })


def scenarios(*, failed: bool = False, skipped: bool = False) -> tuple[ScenarioResult, ...]:
    static = ScenarioResult(
        nodeid="features/test_features.py::test_ci_workflow_runs_go_test", feature="CI workflow",
        feature_file="static/ci.feature", line=4, scenario="CI workflow runs go test", markers=("static",),
        outcome="failed" if failed else "passed", reason="expected go test, found nothing" if failed else "",
        evidence=(EvidenceEntry("findings", {"findings": [
            {"path": ".github/workflows/ci.yml", "line": 12, "column": 9, "rule": "ci-test-command",
             "message": "expected `go test ./...`, found `go vet`", "blocking": True}]}),),
    )
    live = ScenarioResult(
        nodeid="features/test_features.py::test_images[gateway]", feature="Images", feature_file="live/images.feature",
        line=7, scenario="Images", markers=("live",), outcome="skipped" if skipped else "passed",
        reason="no token" if skipped else "", duration_s=1.5, row="gateway",
        evidence=(run_entry(".github/workflows/build-images.yml", 202, BUILD_URL, "workflow_dispatch"),
                  run_entry(".github/workflows/ci.yml", 101, CI_URL, "push"),
                  EvidenceEntry("dispatch", {"workflow": "build-images.yml", "ref": "main",
                                             "requested_at": "2026-11-27T13:59:58Z", "status_code": 200,
                                             "correlation": "run id in response", "run_id": 202}),
                  *(image_entry(s) for s in ("gateway", "worker", "webhook-demo")),
                  EvidenceEntry("api_budget", {"requests": 9, "counted": 7, "not_modified": 2,
                                               "rate_limit_remaining": 4990}),
                  EvidenceEntry("note", {"text": "a | pipe\nand <b>html</b>"})),
    )
    return static, live


def evidence(*, met: bool = True, line: str = "ACCEPTANCE MET", **kw: bool) -> Evidence:
    return Evidence(harness_version="0.1.0", started_at="2026-11-27T14:00:00Z", finished_at="2026-11-27T14:05:09Z",
                    context=context(), scenarios=scenarios(**kw), verdict_line=line, met=met,
                    api_budget={"requests": 9, "counted": 7, "not_modified": 2, "rate_limit_remaining": 4990,
                                "processes": 1})
