"""A LiveSession on an in-process emulator whose clock only moves when the harness sleeps (no real waiting).

The emulator and the harness share one :class:`ManualClock`: the emulator's clock runs at speed 1 on it, and every
poll interval, retry back-off and rate-limit wait of the harness advances it. A client-side transport counts
dispatch POSTs (a connection reset never reaches the emulator's request log), and :meth:`Emulated.dispatch_runs`
counts the runs the emulator created for them: together they witness "never dispatched twice".
"""

from __future__ import annotations

from pathlib import Path

import httpx

from cicd_acceptance.committags import CommitTagForm
from cicd_acceptance.emulator import EmulatorConfig, EmulatorState, EmulatorTransport, make_app
from cicd_acceptance.emulator.github.runs import Timings
from cicd_acceptance.github import GitHubClient
from cicd_acceptance.httpbounds import HttpSettings
from cicd_acceptance.live.acceptance import LiveSession, LiveTarget
from cicd_acceptance.live.timing import LiveTiming
from cicd_acceptance.plan import Plan
from cicd_acceptance.polling import ManualClock
from cicd_acceptance.registry import RegistryClient
from cicd_acceptance.secret import Secret

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "stream-monitor"
TOKEN = "emu-token-0123456789abcdef"
READ_ONLY = "emu-readonly-0123456789abcdef"
FOREIGN_ACTOR = "another-actor"
REVISION = "org.opencontainers.image.revision"
SERVICES = ("gateway", "worker", "webhook-demo")
TEN_MINUTES = Timings(visibility_delay=3, queued=5, job=600)
ONE_MINUTE = Timings(visibility_delay=3, queued=5, job=60)


class Counting(httpx.BaseTransport):
    """Counts dispatch POSTs as the client sends them, and keeps every request's path."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.dispatch_posts = 0
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        if request.method == "POST" and request.url.path.endswith("/dispatches"):
            self.dispatch_posts += 1
        return self.inner.handle_request(request)


class Emulated:
    """One emulator, a clock, both clients and a session factory. Keyword options go to EmulatorConfig."""

    def __init__(self, *, repo_dir: Path = SAMPLE, base_url: str = "https://api.github.com", token: str = TOKEN,
                 registry_token: str | None = TOKEN, plan: Plan | None = None, actor: str | None = None,
                 **config: object) -> None:
        self.clock = ManualClock()
        options: dict[str, object] = {"token": TOKEN, "read_only_token": READ_ONLY, "timings": ONE_MINUTE}
        options.update(config)
        self.state = EmulatorState(repo_dir, EmulatorConfig(**options),  # type: ignore[arg-type]
                                   monotonic=self.clock, sleep=self.clock.sleep)
        self.repo = self.state.repository
        self.owner = self.state.identity.owner
        self.app = make_app(self.state)
        self.transport = Counting(EmulatorTransport(self.app))
        self.github = GitHubClient(base_url=base_url, token=Secret(token),
                                   http=HttpSettings(transport=self.transport, sleep=self.clock.sleep))
        secret = Secret(registry_token) if registry_token else None
        self.registry = RegistryClient(registry="ghcr.io", username="x-access-token" if secret else None, token=secret,
                                       http=HttpSettings(transport=EmulatorTransport(self.app), sleep=self.clock.sleep,
                                                         clock=self.clock))
        self.plan = plan or Plan()
        self.actor = actor
        self.timing = LiveTiming(sleep=self.clock.sleep, clock=self.clock)

    def session(self, sha_forms: tuple[CommitTagForm, ...] = ()) -> LiveSession:
        """Open a session (pins the default branch's HEAD); ``sha_forms``: how the build spells the commit tag."""
        target = LiveTarget(self.repo, self.plan, "ghcr.io", self.actor, sha_forms)
        return LiveSession.open(self.github, self.registry, target, self.timing)

    def image_name(self, service: str) -> str:
        return f"{self.repo}-{service}"

    def push_old(self, service: str, tags: list[str], revision: str) -> str:
        """Seed an image as an earlier build would have left it, then let ten emulated minutes pass."""
        digest = self.state.registry.push_image(self.image_name(service), tags, labels={REVISION: revision},
                                                platforms=("linux/amd64", "linux/arm64"))
        self.clock.advance(600)
        return digest

    def dispatch_runs(self) -> int:
        """workflow_dispatch runs the emulator created for our token (a foreign actor's are not ours)."""
        with self.state.github.lock:
            return sum(1 for run in self.state.github.runs
                       if run.event == "workflow_dispatch" and run.actor != FOREIGN_ACTOR)

    def assert_never_dispatched_twice(self) -> None:
        assert self.dispatch_runs() <= 1, f"{self.dispatch_runs()} runs dispatched"
