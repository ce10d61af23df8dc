"""Time the sample's local test run (the local-test-run rule: sandboxed runner steps) beside the way it ran before
(the script under ``bash -eo pipefail -c`` in the harness's own environment, unsandboxed) and `go test ./...` alone.

    .venv/bin/python benchmarks/local_run.py [--runs 7] [--repo-dir PATH]

The three are measured in turns (so a busy machine slows them alike), after one warm-up round which fills the Go
build caches. The difference is the runner's cost: the sandbox (bwrap or unshare) start-up, the script file and
the file commands, the expression evaluation.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from cicd_acceptance.plan import Plan
from cicd_acceptance.runner import JobWorkspace, Limits, StepSpec, default_sandbox
from cicd_acceptance.target import open_target
from cicd_acceptance.tools import run_command
from cicd_acceptance.workflows.checks import local_run
from cicd_acceptance.workflows.checks.context import CheckContext

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "stream-monitor"


def _rule(repo: Path) -> float:
    ctx = CheckContext(open_target(repo, repository="example/stream-monitor"), Plan())
    started = time.perf_counter()
    findings = local_run.RULE(ctx)
    elapsed = time.perf_counter() - started
    if findings:
        raise SystemExit(f"the local run is not green: {findings}")
    return elapsed


def _before(repo: Path) -> float:
    started = time.perf_counter()
    result = run_command("go test ./...", cwd=repo)
    if not result.ok:
        raise SystemExit(f"go test failed: {result.stderr[-500:]}")
    return time.perf_counter() - started


def _go_test(repo: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["go", "test", "./..."], cwd=repo, check=True, capture_output=True,
                   env={**os.environ, "GOTOOLCHAIN": "local"})
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--repo-dir", type=Path, default=SAMPLE)
    args = parser.parse_args()
    print(f"isolation: {default_sandbox().describe()}")
    measures = {"local-test-run rule (sandboxed runner)": _rule, "before: bash -eo pipefail -c, unsandboxed": _before,
                "go test ./... directly": _go_test}
    times: dict[str, list[float]] = {name: [] for name in measures}
    for round_ in range(args.runs + 1):
        for name, measure in measures.items():
            elapsed = measure(args.repo_dir)
            if round_:
                times[name].append(elapsed)
    for name, values in times.items():
        print(f"{name}: median {statistics.median(values):.3f}s, min {min(values):.3f}s over {args.runs} runs")
    print(f"runner overhead, a `true` step: median {statistics.median(_empty_steps(args.runs * 3)) * 1000:.1f} ms "
          f"(a bare `bash -c true`: {statistics.median(_bare(args.runs * 3)) * 1000:.1f} ms)")
    print(f"load average: {os.getloadavg()[0]:.2f}")


def _empty_steps(count: int) -> list[float]:
    times = []
    with tempfile.TemporaryDirectory() as folder, JobWorkspace(
            Path(folder), runner_env={"PATH": os.environ.get("PATH", "")}, limits=Limits()) as job:
        for _ in range(count):
            started = time.perf_counter()
            job.run(StepSpec("true", None, Path(folder), {}))
            times.append(time.perf_counter() - started)
    return times


def _bare(count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        subprocess.run(["bash", "-c", "true"], check=True)
        times.append(time.perf_counter() - started)
    return times


if __name__ == "__main__":
    main()
