"""Time the sample's local test run (the local-test-run rule: sandboxed runner steps) beside `go test ./...` alone.

    .venv/bin/python benchmarks/local_run.py [--runs 7] [--repo-dir PATH]

Both after one warm-up run (which fills the run's Go build cache). The difference is the runner's cost: the
sandbox (bwrap or unshare) start-up, the script file and the file commands, and the expression evaluation.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from pathlib import Path

from cicd_acceptance.plan import Plan
from cicd_acceptance.runner import default_sandbox
from cicd_acceptance.target import open_target
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
    for name, measure in (("local-test-run rule", _rule), ("go test ./... directly", _go_test)):
        times = [measure(args.repo_dir) for _ in range(args.runs + 1)][1:]
        print(f"{name}: median {statistics.median(times):.3f}s, min {min(times):.3f}s over {args.runs} runs")
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
