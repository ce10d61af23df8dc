"""Command line of the emulator: ``python -m cicd_acceptance.emulator --repo-dir PATH [options]``.

Prints exactly one JSON line ``{"api_url", "registry", "token", "repository"}`` on stdout once it is ready, then
serves until SIGINT/SIGTERM and exits 0. Bad arguments print one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from cicd_acceptance.emulator.app import make_app
from cicd_acceptance.emulator.faults import parse_fault_spec
from cicd_acceptance.emulator.github.graphql_schema import preload_schema
from cicd_acceptance.emulator.github.runs import Timings
from cicd_acceptance.emulator.server import ThreadedServer, tls_context
from cicd_acceptance.emulator.state import EmulatorConfig, EmulatorState
from cicd_acceptance.errors import HarnessError

__all__ = ["build_parser", "main"]

PROG = "python -m cicd_acceptance.emulator"


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (no usage dump), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog=PROG, description="A local GitHub REST + GHCR-like registry emulator.")
    parser.add_argument("--repo-dir", required=True, type=Path, help="the checkout whose repository to emulate")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: a free port)")
    parser.add_argument("--tls-cert", help="PEM certificate: serve https (needs --tls-key)")
    parser.add_argument("--tls-key", help="PEM private key for --tls-cert")
    parser.add_argument("--speed", type=float, default=1.0, help="emulated seconds per real second (default 1)")
    parser.add_argument("--fault", action="append", default=[], metavar="SPEC",
                        help="inject a fault, e.g. 'GET /repos/*/actions/runs/*:503x2' (repeatable)")
    parser.add_argument("--token", help="the token to accept (default: a random one, printed)")
    parser.add_argument("--read-only-token", help="an extra token without write access")
    parser.add_argument("--repository", help="OWNER/NAME (default: the checkout's origin, else example/stream-monitor)")
    parser.add_argument("--old-ghes", action="store_true",
                        help="behave like GHES 3.20: /meta installed_version 3.20.0, return_run_details refused")
    parser.add_argument("--graphql-schema", type=Path,
                        help="GitHub's schema.graphql for /graphql (default: the one .ci/install-tools.sh installs)")
    parser.add_argument("--visibility-delay", type=float, default=Timings.visibility_delay,
                        help="emulated seconds before a dispatched run is listed")
    parser.add_argument("--queue-seconds", type=float, default=Timings.queued, help="emulated seconds queued")
    parser.add_argument("--job-seconds", type=float, default=Timings.job, help="emulated seconds per job")
    return parser


def _state(args: argparse.Namespace) -> EmulatorState:
    if bool(args.tls_cert) != bool(args.tls_key):
        raise HarnessError("--tls-cert and --tls-key go together")
    faults = [parse_fault_spec(spec) for spec in args.fault]
    config = EmulatorConfig(repository=args.repository, token=args.token, read_only_token=args.read_only_token,
                            old_ghes=args.old_ghes, speed=args.speed, graphql_schema=args.graphql_schema,
                            timings=Timings(args.visibility_delay, args.queue_seconds, args.job_seconds))
    state = EmulatorState(args.repo_dir, config)
    for fault in faults:
        state.add_fault(fault)
    return state


def main(argv: Sequence[str] | None = None, *, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr,
         stop: threading.Event | None = None) -> int:
    """Run the emulator until SIGINT/SIGTERM (or ``stop`` is set); returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        state = _state(args)
        context = tls_context(args.tls_cert, args.tls_key) if args.tls_cert else None
        server = ThreadedServer(make_app(state), args.host, args.port, ssl_context=context).start()
        preload_schema(state.config.graphql_schema)
    except HarnessError as exc:
        print(f"{PROG}: error: {exc}", file=stderr)
        return 2
    done = stop or threading.Event()
    if stop is None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: done.set())
    line = {"api_url": server.url, "registry": server.address, "token": state.token.reveal(),
            "repository": state.repository}
    print(json.dumps(line), file=stdout, flush=True)
    try:
        done.wait()
    finally:
        server.stop()
    return 0
