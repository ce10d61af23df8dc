"""Expression parser and evaluator figures: long ``||`` chains, and the differential run against GitHub's evaluator.

    .venv/bin/python benchmarks/expressions.py [--examples 250] [--skip-oracle]

Chains: a chain of N ``env.Xi`` terms, parsed by the public path (GitHub refuses anything over 21,000 characters, so
12,000 and 30,000 terms are refused at once) and by the parser alone with the length limit lifted (what a linear
parser costs); wall time and the peak of Python allocations (tracemalloc), best of 3. Oracle: how many generated
expressions the differential test compares, the time to generate them, to evaluate them here and in one node process
running npm ``@actions/expressions``, and the differences found (accepted deviations counted apart).
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cicd_acceptance.errors import WorkflowLoadError  # noqa: E402
from cicd_acceptance.workflows.expr_lexer import tokenize  # noqa: E402
from cicd_acceptance.workflows.expr_parser import parse_tokens  # noqa: E402
from cicd_acceptance.workflows.expressions import ExprContext, evaluate  # noqa: E402


def measure(work: Callable[[], Any], runs: int = 3) -> tuple[float, float, int]:
    """Best wall and CPU time of ``runs`` (on a shared machine CPU time says more), and the peak traced allocation
    of one run (bytes)."""
    best = best_cpu = float("inf")
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        work()
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    tracemalloc.start()
    try:
        work()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return best, best_cpu, peak


def chains() -> None:
    ctx = ExprContext(env={})
    print("chain terms     chars   public path (evaluate): wall, CPU, peak   parser alone (no length limit)")
    for terms in (12_000, 30_000):
        source = " || ".join(f"env.X{i}" for i in range(terms))

        def public(text: str = source) -> None:
            with contextlib.suppress(WorkflowLoadError):  # refused: longer than GitHub's limit
                evaluate(text, ctx)

        def parser(text: str = source) -> None:
            parse_tokens(tokenize(text, max_length=None))

        public_s, public_cpu, public_peak = measure(public)
        parse_s, parse_cpu, parse_peak = measure(parser)
        print(f"{terms:>11,}  {len(source):>8,}  {public_s * 1000:7.1f} ms {public_cpu * 1000:7.1f} ms "
              f"{public_peak / 2**20:6.2f} MiB   {parse_s * 1000:7.1f} ms {parse_cpu * 1000:7.1f} ms "
              f"{parse_peak / 2**20:6.2f} MiB")


def oracle(examples: int) -> None:
    from hypothesis import HealthCheck, Phase, given, settings

    from tests.workflows.expr_oracle import ACCEPTED_DEVIATIONS, PACKAGE, Case, batches, compare, ours, run_oracle

    node = shutil.which("node")
    if node is None or not (PACKAGE / "package.json").is_file():
        print("oracle: skipped (node or @actions/expressions missing; run .ci/install-tools.sh)")
        return
    collected: list[Case] = []

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(batches())
    def collect(batch: list[Case]) -> None:
        collected.extend(batch)

    start = time.perf_counter()
    collect()
    generated = time.perf_counter()
    drawn = len(collected)
    collected = list({(case.expr, repr(case.context)): case for case in collected}.values())
    mine = [ours(case) for case in collected]
    evaluated = time.perf_counter()
    theirs = run_oracle(node, collected)
    done = time.perf_counter()
    result = compare(collected, mine, theirs)
    print(f"oracle: {result.compared} distinct (expression, context) pairs compared, of {drawn} drawn; "
          f"{len({case.expr for case in collected})} distinct expressions ({sum('ok' in m for m in mine)} values, "
          f"{sum('error' in m for m in mine)} errors); generate {generated - start:.1f} s, evaluate here "
          f"{evaluated - generated:.2f} s, npm @actions/expressions (one node process) {done - evaluated:.2f} s")
    print(f"oracle: {len(result.differences)} differences; accepted deviations "
          + ", ".join(f"{name}: {result.accepted[name]}" for name in ACCEPTED_DEVIATIONS))
    for case, a, b in result.differences[:10]:
        print(f"  {case.expr!r}\n    ours:   {a}\n    GitHub: {b}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=250, help="generated contexts (8-16 expressions each)")
    parser.add_argument("--skip-oracle", action="store_true")
    args = parser.parse_args()
    chains()
    if not args.skip_oracle:
        oracle(args.examples)


if __name__ == "__main__":
    main()
