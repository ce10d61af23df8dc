"""Wiring for the live acceptance: the bundled emulator on a socket, and the two clients for given settings.

:func:`start_emulator` serves an :class:`~cicd_acceptance.emulator.EmulatorState` of the target on
``127.0.0.1:<free port>`` with its clock running ``speed`` times faster than real time; :func:`open_live_session`
builds the GitHub and registry clients (transports injectable), pins the commit and returns the
:class:`~cicd_acceptance.live.acceptance.LiveSession`. Plain http is used only for a loopback registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from cicd_acceptance.config import Settings
from cicd_acceptance.github.client import GitHubClient
from cicd_acceptance.httpbounds import HttpSettings
from cicd_acceptance.live.acceptance import LiveSession, LiveTarget
from cicd_acceptance.live.server import TokenLogin, classify_server, token_login
from cicd_acceptance.live.tagforms import workflow_commit_forms
from cicd_acceptance.live.timing import CompressedTime, LiveTiming
from cicd_acceptance.live.waiter import RunChange
from cicd_acceptance.loopback import is_loopback_host
from cicd_acceptance.registry.client import RegistryClient
from cicd_acceptance.registry.credentials import registry_credential_policy
from cicd_acceptance.secret import Secret

if TYPE_CHECKING:
    # Imported when an emulator starts: a run against GitHub, or one that selects only static criteria,
    # does not pay for loading the emulator (about 0.14 s of start-up).
    from cicd_acceptance.emulator import EmulatorConfig, EmulatorState, ThreadedServer

__all__ = ["EMULATOR_SPEED", "LiveTransports", "RunningEmulator", "open_live_session", "registry_client_for",
           "registry_scheme", "start_emulator"]

# One emulated minute per real second: the sample's 45-second build takes under a second, a 10-minute one ten.
EMULATOR_SPEED = 60.0


@dataclass(frozen=True)
class LiveTransports:
    """httpx transports for the two clients (None: the network). Tests inject WSGI or mock transports."""

    github: httpx.BaseTransport | None = None
    registry: httpx.BaseTransport | None = None


@dataclass
class RunningEmulator:
    """An emulator served on a socket: its state (for tests and the request log), server and time."""

    state: EmulatorState
    server: ThreadedServer
    time: CompressedTime
    stopped: bool = field(default=False)

    @property
    def api_url(self) -> str:
        return self.server.url

    @property
    def registry(self) -> str:
        return self.server.address

    def settings_for(self, settings: Settings) -> Settings:
        """``settings`` pointed at this emulator (API URL, registry, its token, its repository)."""
        return settings.with_emulator(api_url=self.api_url, registry=self.registry, token=self.state.token,
                                      repository=self.state.repository)

    def timing(self, settings: Settings) -> LiveTiming:
        """The settings' bounds, read on the emulator's compressed time."""
        return LiveTiming(appear_timeout_s=settings.appear_timeout_s, run_timeout_s=settings.run_timeout_s,
                          sleep=self.time.sleep, clock=self.time.clock)

    def stop(self) -> None:
        if not self.stopped:
            self.server.stop()
            self.stopped = True


def start_emulator(repo_dir: Path, *, repository: str | None, speed: float = EMULATOR_SPEED,
                   config: EmulatorConfig | None = None) -> RunningEmulator:
    """Start the emulator of ``repo_dir`` on 127.0.0.1 (free port); ``config`` overrides the defaults."""
    from cicd_acceptance.emulator import EmulatorConfig, EmulatorState, ThreadedServer, make_app

    chosen = config or EmulatorConfig(repository=repository, speed=speed)
    time = CompressedTime(chosen.speed)
    # The emulator's own sleeps (slow faults) are real: it serves requests in real time.
    state = EmulatorState(repo_dir, chosen)
    server = ThreadedServer(make_app(state), "127.0.0.1", 0).start()
    return RunningEmulator(state, server, time)


def registry_scheme(registry: str) -> str:
    """``http`` for a loopback registry (the emulator, a local registry), else ``https``."""
    host = registry.rsplit(":", 1)[0] if not registry.endswith("]") else registry
    return "http" if is_loopback_host(host) else "https"


def registry_client_for(settings: Settings, *, transport: httpx.BaseTransport | None,
                        timing: LiveTiming) -> RegistryClient:
    """The registry client of a run: the token goes only to a registry the operator chose or GitHub's own."""
    policy = registry_credential_policy(settings.registry, api_url=settings.api_url,
                                        operator_chosen=settings.registry_chosen_by_operator(),
                                        chosen_by=settings.sources.get("registry", "the plan"))
    token = settings.token if policy.allowed else None
    return RegistryClient(registry=settings.registry, username=settings.registry_username if token else None,
                          token=token, scheme=registry_scheme(settings.registry), withheld=policy.withheld,
                          http=HttpSettings(transport=transport, sleep=timing.sleep, clock=timing.clock))


def open_live_session(settings: Settings, timing: LiveTiming, *, transports: LiveTransports | None = None,
                      actor: str | None = None, started_emulator: bool = False,
                      on_change: Callable[[RunChange], None] | None = None) -> LiveSession:
    """Build both clients for ``settings`` and open the session (pins the commit; may raise a HarnessError).

    The session learns who answers (:func:`~cicd_acceptance.live.server.classify_server`: ``started_emulator``, or
    the server's own answer) and, when no ``actor`` is given, the token's login from ``GET /user``.
    """
    chosen = transports or LiveTransports()
    server = classify_server(settings.api_url, started_emulator=started_emulator, transport=chosen.github)
    token: Secret | None = settings.token
    github = GitHubClient(base_url=settings.api_url, token=token,
                          http=HttpSettings(transport=chosen.github, sleep=timing.sleep))
    registry = registry_client_for(settings, transport=chosen.registry, timing=timing)
    try:
        login = TokenLogin(actor, "given") if actor or token is None else token_login(github)
        target = LiveTarget(settings.repository, settings.plan, settings.registry, login.login,
                            workflow_commit_forms(settings.target, settings.plan))
        session = LiveSession.open(github, registry, target, timing, on_change=on_change)
        session.server, session.actor_source = server, login.source
        return session
    except BaseException:
        github.close()
        registry.close()
        raise
