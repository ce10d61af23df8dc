"""What executing a run needs from the emulator, as one object (so the runtime imports no emulator state)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from cicd_acceptance.runner import Limits

if TYPE_CHECKING:
    from cicd_acceptance.emulator.auth import TokenStore
    from cicd_acceptance.emulator.github.artifacts import ArtifactStore
    from cicd_acceptance.emulator.registry.state import RegistryState
    from cicd_acceptance.emulator.runtime.logs import JobLog

__all__ = ["GHCR", "DockerEndpoint", "DockerJob", "Services", "TokenScopes"]

GHCR = "ghcr.io"


@dataclass
class TokenScopes:
    """The permissions of every ``GITHUB_TOKEN`` the emulator minted (value -> scope -> level)."""

    granted: dict[str, dict[str, str]] = field(default_factory=dict)

    def level(self, token: str, scope: str) -> str | None:
        """``none``/``read``/``write`` for a minted token, None for any other token (a PAT)."""
        scopes = self.granted.get(token)
        return None if scopes is None else scopes.get(scope, "none")


class DockerJob(Protocol):
    """What the docker stand-in's endpoint reads and records of the job that calls it (a ``JobRun``)."""

    services: Services
    logins: dict[str, str]
    log: JobLog
    workspace: Path
    pushed: list[str]


class DockerEndpoint(Protocol):
    """The loopback endpoint the docker stand-in calls (``DockerService``): a session per job."""

    def start(self) -> str: ...
    def open(self, run: DockerJob) -> str: ...
    def close(self, key: str) -> None: ...


@dataclass(frozen=True)
class Services:
    """The target checkout (``root``, its ``prefix`` in its repository), the registry and tokens, the clock, and
    the bounds of a step (``limits``, in real time). ``registry_hosts`` are the names images of the emulated
    registry go by."""

    root: Path
    prefix: str
    repository: str
    default_branch: str
    server_url: str
    api_url: str
    registry: RegistryState
    tokens: TokenStore
    scopes: TokenScopes
    now: Callable[[], datetime]
    limits: Limits
    go_cache: Path
    work_base: Path  # runner directories (stable paths, see workdirs)
    registry_hosts: frozenset[str] = frozenset({GHCR})
    secrets: Mapping[str, str] = field(default_factory=dict)
    variables: Mapping[str, str] = field(default_factory=dict)
    artifacts: ArtifactStore | None = None
    docker: DockerEndpoint | None = None  # the loopback endpoint of the docker stand-in
    monotonic: Callable[[], float] = time.monotonic  # real time, for timeout-minutes (the steps' work is real)
