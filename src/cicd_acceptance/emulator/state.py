"""``EmulatorState``: everything one emulator instance holds, passed explicitly (no module-level state).

It bundles the GitHub half (:class:`GitHubState`), the registry half (``RegistryState``), the emulated clock,
faults, the request log, tokens and rate limits, and offers the Python API that tests use (the ``/_emulator/``
HTTP control API calls the same methods). ``reset()`` returns to the freshly seeded state.

    >>> state = EmulatorState(Path("examples/stream-monitor"), EmulatorConfig(speed=0))   # doctest: +SKIP
    >>> run = state.dispatch("build-images.yml", ref="main")                                # doctest: +SKIP
    >>> state.advance(120)                                                                  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from cicd_acceptance.emulator.auth import PAT_LIMIT, WORKFLOW_TOKEN_LIMIT, TokenStore
from cicd_acceptance.emulator.clock import DEFAULT_EPOCH, EmulatedClock
from cicd_acceptance.emulator.errors import Unprocessable
from cicd_acceptance.emulator.faults import Fault, FaultSet
from cicd_acceptance.emulator.github.payloads_repo import RepoIdentity
from cicd_acceptance.emulator.github.repo import RepoSnapshot, load_snapshot
from cicd_acceptance.emulator.github.runs import RunOrigin, RunRecord, Timings
from cicd_acceptance.emulator.github.seed import seed_history
from cicd_acceptance.emulator.github.state import GitHubState, PlannedOutcome
from cicd_acceptance.emulator.ratelimit import RateLimiter
from cicd_acceptance.emulator.registry.state import RegistryState
from cicd_acceptance.emulator.requestlog import RequestLog
from cicd_acceptance.emulator.runtime.executor import Executor
from cicd_acceptance.errors import ConfigError

__all__ = ["DEFAULT_REPOSITORY", "EmulatorConfig", "EmulatorState"]

DEFAULT_REPOSITORY = "example/stream-monitor"


@dataclass(frozen=True)
class EmulatorConfig:
    """How an emulator instance behaves. ``repository`` None = the checkout's origin, else the default."""

    repository: str | None = None
    token: str | None = None
    read_only_token: str | None = None
    old_ghes: bool = False
    speed: float = 1.0
    start: datetime = DEFAULT_EPOCH
    timings: Timings = field(default_factory=Timings)
    pat_limit: int = PAT_LIMIT
    workflow_token_limit: int = WORKFLOW_TOKEN_LIMIT
    seed: bool = True
    html_base: str = "https://github.com"
    graphql_schema: Path | None = None  # GitHub's schema.graphql (None: where .ci/install-tools.sh puts it)


def _split_repository(value: str) -> tuple[str, str]:
    owner, sep, name = value.partition("/")
    if not sep or not owner or not name or "/" in name:
        raise ConfigError(f"expected OWNER/NAME, got {value!r}", source="--repository")
    return owner, name


class EmulatorState:
    """One emulator instance's state and its Python control API."""

    def __init__(self, repo_dir: Path, config: EmulatorConfig | None = None, *,
                 monotonic: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 snapshot: RepoSnapshot | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.sleep = sleep
        self.clock = EmulatedClock(start=self.config.start, speed=self.config.speed, monotonic=monotonic)
        self.snapshot = snapshot or load_snapshot(repo_dir)
        owner, name = _split_repository(self.config.repository or self._origin_repository())
        self.identity = RepoIdentity(owner=owner, name=name, repo_id=700_000_000 + len(owner + name),
                                     owner_id=90_000_000 + len(owner), default_branch=self.snapshot.default_branch,
                                     created_at=self.config.start - timedelta(days=90),
                                     pushed_at=self.config.start - timedelta(hours=1))
        self.github = GitHubState(self.snapshot, self.identity, now=self.clock.now, timings=self.config.timings)
        self.registry = RegistryState(now=self.clock.now)
        self.faults = FaultSet()
        self.requests = RequestLog()
        self.rate = RateLimiter(now=self.clock.now)
        self.internal_errors: list[str] = []  # handler bugs answered with 500 (see app._guarded)
        self.tokens = TokenStore(owner_login=owner)
        self.token = self.tokens.add(self.config.token, limit=self.config.pat_limit)
        self.read_only_token = (self.tokens.add(self.config.read_only_token, write=False, limit=self.config.pat_limit)
                                if self.config.read_only_token else None)
        self.executor = Executor(self)
        self.github.on_start = self.executor.on_start
        self.github.on_complete = self.executor.on_complete
        if self.config.seed:
            self._seed()

    def _origin_repository(self) -> str:
        remote = self.snapshot.remote
        return f"{remote[0]}/{remote[1]}" if remote else DEFAULT_REPOSITORY

    def _seed(self) -> None:
        seed_history(self.github, self.now())
        self.github.settle()

    # -- the Python control API ----------------------------------------------------------------------------
    @property
    def repository(self) -> str:
        """``owner/name`` of the emulated repository."""
        return self.identity.full_name

    def now(self) -> datetime:
        """Emulated time."""
        return self.clock.now()

    def advance(self, seconds: float) -> datetime:
        """Step emulated time and perform what became due: executions of attempts that started (waited for when
        they are due to have completed, so conclusions are decided) and completions."""
        self.clock.advance(seconds)
        self.github.settle()
        return self.clock.now()

    def add_fault(self, fault: Fault | str) -> Fault:
        """Inject a fault (a :class:`Fault` or a spec like ``GET /repos/*/actions/runs/*:503x2``)."""
        return self.faults.add(fault)

    def add_workflow_token(self, value: str | None = None, *, write: bool = True) -> str:
        """Accept a ``GITHUB_TOKEN``-like token (1,000 requests/hour by default); returns its value."""
        return self.tokens.add(value, write=write, limit=self.config.workflow_token_limit,
                               kind="github_token").reveal()

    def dispatch(self, workflow: str | int, *, ref: str | None = None, actor: str | None = None,
                 visibility_delay: float | None = None) -> RunRecord:
        """Create a ``workflow_dispatch`` run as the API would (no HTTP, no fault injection)."""
        info = self.github.require_workflow(workflow)
        branch = ref or self.identity.default_branch
        sha = self.github.branch_sha(branch)
        if sha is None:
            raise Unprocessable(f"no branch {branch!r} in the repository", message=f"No ref found for: {branch}",
                                field="ref")
        delay = self.config.timings.visibility_delay if visibility_delay is None else visibility_delay
        origin = RunOrigin("workflow_dispatch", branch, sha, actor or self.identity.owner)
        return self.github.add_run(info, origin, visibility_delay=delay)

    def seed_run(self, workflow: str | int, *, event: str = "push", branch: str | None = None,
                 head_sha: str | None = None, actor: str | None = None, conclusion: str = "success",
                 job: str | None = None, step: str | None = None, age_seconds: float = 3600.0) -> RunRecord:
        """Add a run that started ``age_seconds`` ago (so by default it has completed) with ``conclusion`` for the
        whole run or for one ``job``; ``head_sha`` defaults to the branch's tip. Its effects happen as usual."""
        info = self.github.require_workflow(workflow)
        ref = branch or self.identity.default_branch
        sha = head_sha or self.github.branch_sha(ref)
        if sha is None:
            raise Unprocessable(f"no branch {ref!r} in the repository; give head_sha", field="branch")
        created = self.now() - timedelta(seconds=age_seconds)
        run = self.github.add_run(info, RunOrigin(event, ref, sha, actor or self.identity.owner), created_at=created,
                                  outcome=PlannedOutcome(conclusion, job, step))
        self.github.settle()
        return run

    def plan_outcome(self, workflow: str | int, conclusion: str, *, job: str | None = None,
                     step: str | None = None) -> None:
        """Make the next run of ``workflow`` end with ``conclusion`` (for the whole run or one ``job``)."""
        self.github.plan_outcome(workflow, PlannedOutcome(conclusion, job, step))

    def set_outcome(self, run_id: int, conclusion: str, *, job: str | None = None, step: str | None = None) -> None:
        """Set the outcome of a run that has not completed (or of one of its jobs)."""
        self.github.set_outcome(run_id, PlannedOutcome(conclusion, job, step))

    def reset(self) -> None:
        """Back to the freshly seeded state: clock, runs, images, faults, request log and rate limits."""
        self.executor.stop_all()
        with self.github.lock:
            self.clock.reset()
            self.github.reset()
            self.registry.reset()
            self.faults.clear()
            self.requests.reset()
            self.rate.reset()
            if self.config.seed:
                seed_history(self.github, self.now())
        # Outside the lock: the seeded runs' executions record their results under it.
        self.github.settle()
