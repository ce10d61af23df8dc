"""Time the static acceptance suite as a user runs it, beside check-jsonschema on the same two workflow files.

    .venv/bin/python benchmarks/static_suite.py [--runs 7] [--repo-dir PATH [--github-repo OWNER/NAME]]

Each figure is the wall time of a whole process (interpreter start to exit), median of ``--runs`` runs after one
warm-up run (which fills Go's build cache, Python's bytecode cache and the OS page cache, as any second run of a
developer would, and the tool-result cache keeps actionlint's and zizmor's answers). The goal is a static suite
under 0.6 s median on a 2-core machine. The suite is also timed with ``ACCEPTANCE_TOOL_CACHE=0``: every run then
starts actionlint and zizmor, as the first run after a workflow change does. The load average and CPU time
(user + system, children included) are printed too: on a busy machine wall time measures the neighbours as much as
the suite, CPU time and the ratio to check-jsonschema much less so.

Python's bytecode cache is on for the measured processes even when ``PYTHONDONTWRITEBYTECODE`` is set here (some
sandboxes set it): without a cache every run compiles the harness, its step modules and any dependency installed
without bytecode from source again (0.1 s to 0.5 s of CPU), which no developer's second run does. The cache is a
fresh temporary folder (``PYTHONPYCACHEPREFIX``), so the benchmark writes nothing into the checkout or the venv.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cicd_acceptance.evidence.verdict import EXIT_PARTIAL
from cicd_acceptance.toolcache import CACHE_ENV

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "stream-monitor"
WORKFLOWS = (".github/workflows/ci.yml", ".github/workflows/build-images.yml")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(argv: list[str], cwd: Path, runs: int, env: dict[str, str],
          ok: tuple[int, ...] = (0,)) -> tuple[list[float], list[float]]:
    """Wall times and CPU times (user + system of the process and its children) of ``runs`` runs; another exit
    status than ``ok`` stops the benchmark."""
    walls, cpus = [], []
    for _ in range(runs + 1):  # the first run warms caches and is not counted
        started, cpu = time.perf_counter(), _cpu()
        proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
        walls.append(time.perf_counter() - started)
        cpus.append(_cpu() - cpu)
        if proc.returncode not in ok:
            sys.exit(f"`{' '.join(argv)}` exited {proc.returncode}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return walls[1:], cpus[1:]


def _line(name: str, figures: tuple[list[float], list[float]]) -> str:
    walls, cpus = figures
    return (f"{name:<58} wall median {statistics.median(walls):6.3f} s (min {min(walls):.3f}, max "
            f"{max(walls):.3f})   cpu median {statistics.median(cpus):6.3f} s   ({len(walls)} runs)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="measured runs per command (default 7)")
    parser.add_argument("--repo-dir", type=Path, default=SAMPLE, help="target checkout (default: the sample)")
    parser.add_argument("--github-repo", metavar="OWNER/NAME", help="passed on to pytest (a copy has no origin)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="static-suite-pycache-") as pycache:
        env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
        return _measure(args, {**env, "PYTHONPYCACHEPREFIX": pycache})


def _measure(args: argparse.Namespace, env: dict[str, str]) -> int:
    python = sys.executable
    suite = [python, "-m", "pytest", "features/", "-m", "static", "-q", "-p", "no:cacheprovider",
             "--repo-dir", str(args.repo_dir), *(["--github-repo", args.github_repo] if args.github_repo else [])]
    schema = [str(Path(python).parent / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
              *(str(args.repo_dir / w) for w in WORKFLOWS)]
    print(f"cores: {os.cpu_count()}   load average before: {os.getloadavg()[0]:.2f}   target: {args.repo_dir}")
    suite_figures = _time(suite, ROOT, args.runs, env, ok=(EXIT_PARTIAL,))  # -m static: PARTIAL when all passed
    cold_figures = _time(suite, ROOT, args.runs, {**env, CACHE_ENV: "0"}, ok=(EXIT_PARTIAL,))
    schema_figures = _time(schema, ROOT, args.runs, env)
    print(_line("pytest features/ -m static (whole process)", suite_figures))
    print(_line("  the same, without the tool-result cache", cold_figures))
    print(_line("check-jsonschema --builtin-schema vendor.github-workflows", schema_figures))
    ratio = statistics.median(suite_figures[0]) / statistics.median(schema_figures[0])
    print(f"static suite / check-jsonschema wall-time ratio: {ratio:.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
