"""Registry requests per service for image verification, with 10 vs 10,000 tags in the repository.

Runs in-process against the emulated ghcr.io (``make_registry_app`` through ``httpx.WSGITransport``): for each tag
count it pushes an old build with that many tags, takes the before-snapshot, pushes the new build (two platforms
plus buildx attestations), verifies it, and counts every request the client sent (challenges, token fetches,
HEADs, manifests, config blobs). Beside it, the cost of the crane/skopeo way of checking a tag (list every tag,
GHCR pages at 100) is counted on the same repository.

Usage: ``.venv/bin/python benchmarks/registry_requests.py [--tags 10 10000]``. Exit status 1 if the verification
cost is not the same for every tag count.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime

import httpx

from cicd_acceptance.emulator.clock import EmulatedClock
from cicd_acceptance.emulator.registry.app import make_registry_app
from cicd_acceptance.emulator.registry.state import RegistryState
from cicd_acceptance.httpbounds import HttpSettings
from cicd_acceptance.live.images import snapshot_before, verify_published
from cicd_acceptance.registry import RegistryClient

HOST = "127.0.0.1:5000"
NAME = "octo-org/stream-monitor-gateway"
SHA = "0123456789abcdef0123456789abcdef01234567"
REVISION = "org.opencontainers.image.revision"


def _client(state: RegistryState, clock: EmulatedClock) -> RegistryClient:
    app = make_registry_app(state, check_basic=lambda _u, _p: False, now=clock.now)
    return RegistryClient(registry=HOST, scheme="http", http=HttpSettings(transport=httpx.WSGITransport(app=app)))


def measure(tag_count: int) -> dict[str, object]:
    """One service's before-snapshot + verification on a repository holding ``tag_count`` old tags."""
    clock = EmulatedClock(start=datetime(2026, 11, 27, 8, 0, tzinfo=UTC), speed=0)
    state = RegistryState(now=clock.now)
    state.push_image(NAME, ["latest", *(f"build-{i:05d}" for i in range(tag_count - 1))],
                     labels={REVISION: "f" * 40})
    client = _client(state, clock)
    started = time.perf_counter()
    before = snapshot_before(client, f"{HOST}/{NAME}", "sha-0123456")
    dispatched = clock.now()
    clock.advance(240)
    state.push_image(NAME, ["sha-0123456", "latest"], labels={REVISION: SHA}, platforms=["linux/amd64", "linux/arm64"])
    verdict = verify_published(client, before, sha=SHA, sha_tags=["sha-0123456"], dispatched_at=dispatched,
                               service="gateway")
    elapsed_ms = (time.perf_counter() - started) * 1000
    by_kind = client.stats.snapshot()
    listing = _client(state, clock)
    listing.list_tags(NAME)
    return {"tags": tag_count, "passed": verdict.passed, "snapshot": before.requests,
            "verify": verdict.requests, "total": before.requests + verdict.requests, "by_kind": by_kind,
            "ms": elapsed_ms, "list_all_tags": listing.stats.total}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tags", type=int, nargs="+", default=[10, 10_000], help="old tag counts to compare")
    args = parser.parse_args(argv)
    rows = [measure(count) for count in args.tags]
    print(f"{'tags before':>12} {'verdict':>7} {'snapshot':>8} {'verify':>6} {'per service':>11} "
          f"{'list all tags':>13} {'ms':>7}  requests by kind")
    for row in rows:
        verdict = "pass" if row["passed"] else "FAIL"
        print(f"{row['tags']:>12} {verdict:>7} {row['snapshot']:>8} {row['verify']:>6} {row['total']:>11} "
              f"{row['list_all_tags']:>13} {row['ms']:>7.1f}  {row['by_kind']}")
    totals = sorted({int(str(row["total"])) for row in rows})
    constant = len(totals) == 1 and all(row["passed"] for row in rows)
    print(f"registry requests per service: {'constant' if constant else 'NOT constant'} {totals}; "
          f"for the three services: {[3 * t for t in totals]}")
    return 0 if constant else 1


if __name__ == "__main__":
    sys.exit(main())
