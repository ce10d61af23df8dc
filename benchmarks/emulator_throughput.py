"""Requests per second the emulator serves on this machine: threaded server on loopback, bounded request count.

Runs the emulator in-process on 127.0.0.1 (port 0) with the bundled sample (or ``--repo-dir``), then sends a fixed
number of GET requests from N client threads (httpx, keep-alive) to a mix of routes a run waiter uses, and prints
requests/s per route mix and concurrency. Nothing is asserted: this is a measurement, not a test.

    .venv/bin/python benchmarks/emulator_throughput.py [--requests 1000] [--threads 1 8] [--repo-dir PATH]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from cicd_acceptance.emulator import EmulatorConfig, EmulatorState, ThreadedServer, make_app

ROOT = Path(__file__).resolve().parents[1]


def _routes(state: EmulatorState) -> dict[str, list[str]]:
    repo = f"/repos/{state.repository}"
    run = state.github.visible_runs(state.now())[0]
    return {
        "run (GET /actions/runs/{id})": [f"{repo}/actions/runs/{run.id}"],
        "waiter mix (runs list, run, jobs)": [f"{repo}/actions/workflows/build-images.yml/runs?event=push",
                                              f"{repo}/actions/runs/{run.id}", f"{repo}/actions/runs/{run.id}/jobs"],
        "conditional (If-None-Match -> 304)": [f"{repo}/actions/runs/{run.id}"],
        "registry (GET /v2/)": ["/v2/"],
    }


def _measure(url: str, paths: list[str], *, total: int, threads: int, token: str, conditional: bool) -> float:
    def worker(count: int) -> None:
        with httpx.Client(base_url=url, headers={"Authorization": f"token {token}"}) as client:
            etags: dict[str, str] = {}
            for index in range(count):
                path = paths[index % len(paths)]
                headers = {"If-None-Match": etags[path]} if conditional and path in etags else {}
                response = client.get(path, headers=headers)
                if response.status_code >= 500:
                    raise SystemExit(f"GET {path} -> {response.status_code}")
                if "etag" in response.headers:
                    etags[path] = response.headers["etag"]

    per_thread = total // threads
    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, [per_thread] * threads))
    return per_thread * threads / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo-dir", type=Path, default=ROOT / "examples" / "stream-monitor")
    parser.add_argument("--requests", type=int, default=1000, help="requests per measurement (default 1000)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--repeat", type=int, default=3, help="measurements per cell; the median is printed")
    args = parser.parse_args(argv)
    state = EmulatorState(args.repo_dir, EmulatorConfig(speed=0, pat_limit=10**9))
    token = state.token.reveal()
    print(f"emulator throughput on 127.0.0.1 ({args.requests} requests per measurement, median of {args.repeat})")
    with ThreadedServer(make_app(state)) as server:
        for name, paths in _routes(state).items():
            for threads in args.threads:
                rates = [_measure(server.url, paths, total=args.requests, threads=threads, token=token,
                                  conditional=name.startswith("conditional")) for _ in range(args.repeat)]
                print(f"  {name:<40} threads={threads:<2} {statistics.median(rates):8.0f} req/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
