"""Time the workflow model on the corpus: load, publication plan for two events, and the tool-free rules.

    .venv/bin/python benchmarks/model_corpus.py [--rounds 5]

For every workflow a user starts in ``tests/corpus/<case>/`` (reusable workflows and composite actions are read
through the calls), each round loads the file afresh, computes the publication plan of a push to the default
branch and of a dispatch there, and runs the build criterion's pure rules on a context whose build workflow is that
file. Prints milliseconds per file (median over rounds). The goal is 20 ms per file.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cicd_acceptance.criteria import check_criterion  # noqa: E402
from cicd_acceptance.errors import WorkflowLoadError  # noqa: E402
from cicd_acceptance.plan import Plan  # noqa: E402
from cicd_acceptance.target import Target  # noqa: E402
from cicd_acceptance.workflows.checks.context import CheckContext  # noqa: E402
from tests.static.corpus import CASES, CORPUS_DIR, SHA, entry_workflows  # noqa: E402


def _one(case_dir: Path, rel: str) -> None:
    target = Target(repo_dir=case_dir, git_root=case_dir, prefix="", head_sha=SHA, branch="main",
                    repository="acme/shop")
    ctx = CheckContext(target, Plan(services=("api", "worker"), build_workflow=rel))
    try:
        ctx.publication("push")
        ctx.publication("workflow_dispatch")
    except WorkflowLoadError:
        pass  # a file GitHub would refuse (a merge key): refusing it is the model's whole answer; the rules say so
    check_criterion("build-workflow", ctx, include_tools=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    files = [(CORPUS_DIR / case, rel) for case in CASES for rel in entry_workflows(CORPUS_DIR / case)]
    per_file: list[float] = []
    cpu_per_file: list[float] = []
    for _ in range(args.rounds + 1):
        started, cpu = time.perf_counter(), time.process_time()
        for case_dir, rel in files:
            _one(case_dir, rel)
        per_file.append((time.perf_counter() - started) / len(files) * 1000)
        cpu_per_file.append((time.process_time() - cpu) / len(files) * 1000)
    figures = per_file[1:]  # the first round warms imports and caches
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (wall time measures the neighbours too)")
    print(f"model on the corpus: {len(files)} files, median {statistics.median(figures):.1f} ms/file wall, "
          f"{statistics.median(cpu_per_file[1:]):.1f} ms/file cpu (wall min {min(figures):.1f}, max "
          f"{max(figures):.1f}; {args.rounds} rounds; goal 20 ms/file)")
    case_dir, rel = max(files, key=lambda item: (item[0] / item[1]).stat().st_size)
    lines = len((case_dir / rel).read_text(encoding="utf-8").splitlines())
    largest, largest_cpu = [], []
    for _ in range(args.rounds + 1):
        started, cpu = time.perf_counter(), time.process_time()
        _one(case_dir, rel)
        largest.append((time.perf_counter() - started) * 1000)
        largest_cpu.append((time.process_time() - cpu) * 1000)
    print(f"largest file ({case_dir.name}, {lines} lines): median {statistics.median(largest[1:]):.1f} ms wall, "
          f"{statistics.median(largest_cpu[1:]):.1f} ms cpu")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
