"""The live acceptance as library code: one :class:`LiveSession` per run, one verdict per criterion.

    session = LiveSession.open(github, registry, LiveTarget(repository="octo/app", plan=Plan(),
                                                            registry_host="ghcr.io"))
    session.workflows_active()        # both workflows listed and active
    session.ci_green_for_head()       # CI push run of the pinned commit: success, job "test" succeeded
    session.ci_green_for_merged_pr()  # CI pull_request run of the merged PR's head commit
    session.build_acceptance()        # dispatch once, find our run, wait, verify every image (cached)

The default branch's HEAD is pinned once, in :meth:`LiveSession.open`, through the branches API: every criterion is
about that one commit even if the branch moves meanwhile. :meth:`LiveSession.build_acceptance` dispatches at most
once per session, whatever happens (a failed dispatch is cached like a successful one). No method raises for a red
result or an API error: each returns a verdict whose ``reason`` says what failed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from cicd_acceptance.committags import CommitTagForm
from cicd_acceptance.errors import HarnessError
from cicd_acceptance.github.client import GitHubClient
from cicd_acceptance.github.models import Job
from cicd_acceptance.live.build import BuildTarget, quote_build_logs, run_build_acceptance
from cicd_acceptance.live.ci_status import CiStatus, ci_status, merged_pull_request
from cicd_acceptance.live.logs import LogLimits
from cicd_acceptance.live.quotes import failure_quotes, go_test_quotes, not_emulated_steps
from cicd_acceptance.live.server import ServerKind
from cicd_acceptance.live.timing import LiveTiming
from cicd_acceptance.live.verdicts import BuildAcceptance, CiVerdict, WorkflowsVerdict
from cicd_acceptance.live.waiter import RunChange, settle_by_waiting
from cicd_acceptance.plan import Plan
from cicd_acceptance.registry.client import RegistryClient

__all__ = ["LiveSession", "LiveTarget"]


@dataclass(frozen=True)
class LiveTarget:
    """The repository on GitHub, the plan, the registry host that image names use, (optionally) the login the token
    acts as, which lets correlation tell our dispatch from someone else's, and how the build workflow spells the
    commit tag (:mod:`cicd_acceptance.live.tagforms`)."""

    repository: str
    plan: Plan
    registry_host: str
    actor: str | None = None
    sha_forms: tuple[CommitTagForm, ...] = ()


class LiveSession:
    """Clients, the pinned commit and the cached build; see the module docstring. Build with :meth:`open`."""

    def __init__(self, github: GitHubClient, registry: RegistryClient, target: LiveTarget, head_sha: str,
                 timing: LiveTiming, on_change: Callable[[RunChange], None] | None = None) -> None:
        self.github = github
        self.registry = registry
        self.target = target
        self.head_sha = head_sha
        self.timing = timing
        self._on_change = on_change
        self._lock = threading.Lock()
        self._build: BuildAcceptance | None = None
        self.dispatches = 0
        self.logs = LogLimits()
        # Who answered (set by the opener): the emulator makes this run a rehearsal.
        self.server: ServerKind | None = None
        self.actor_source = "given" if target.actor else "none"

    @classmethod
    def open(cls, github: GitHubClient, registry: RegistryClient, target: LiveTarget,
             timing: LiveTiming | None = None, *,
             on_change: Callable[[RunChange], None] | None = None) -> LiveSession:
        """Pin the default branch's HEAD (one ``GET .../branches/{branch}``). Raises a HarnessError naming the call
        when the repository or branch cannot be read (bad token, no access, wrong name)."""
        head = github.get_branch(target.repository, target.plan.default_branch).commit_sha
        return cls(github, registry, target, head, timing or LiveTiming(), on_change)

    @property
    def plan(self) -> Plan:
        return self.target.plan

    @property
    def short_sha(self) -> str:
        return self.head_sha[:7]

    # -- criteria ----------------------------------------------------------------------------------------------

    def workflows_active(self) -> WorkflowsVerdict:
        """Both of the plan's workflows are listed by GitHub Actions (default branch) and ``active``."""
        wanted = (self.plan.ci_workflow, self.plan.build_workflow)
        try:
            listed = {w.path: w.state for w in self.github.list_workflows(self.target.repository)}
        except HarnessError as exc:
            return WorkflowsVerdict(False, f"cannot list the workflows: {exc}")
        found = tuple((path, listed.get(path, "not listed")) for path in wanted)
        bad = [f"{path} is {state}" for path, state in found if state != "active"]
        if bad:
            others = ", ".join(sorted(set(listed) - set(wanted))) or "none"
            return WorkflowsVerdict(False, "; ".join(bad) + f" (other workflows: {others})", found)
        return WorkflowsVerdict(True, f"{' and '.join(wanted)} are active", found)

    def ci_green_for_head(self) -> CiVerdict:
        """CI's ``push`` run of the pinned commit succeeded and its test job succeeded."""
        return self._ci(self.head_sha, "push", self.plan.default_branch)

    def ci_green_for_merged_pr(self) -> CiVerdict:
        """CI's ``pull_request`` run of the head commit of the pull request merged to make the pinned commit."""
        try:
            pull = merged_pull_request(self.github, self.target.repository, self.head_sha,
                                       base=self.plan.default_branch)
        except HarnessError as exc:
            return CiVerdict(False, f"cannot look up the merged pull request: {exc}", self.head_sha, "pull_request")
        if pull is None:
            return CiVerdict(False, f"no pull request merged into {self.plan.default_branch} produced "
                                    f"{self.short_sha} (was it pushed directly?)", self.head_sha, "pull_request")
        verdict = self._ci(pull.head_sha, "pull_request", None)
        reason = f"pull request #{pull.number} (head {pull.head_sha[:7]}): {verdict.reason}"
        return replace(verdict, reason=reason, pull=pull)

    def _ci(self, sha: str, event: str, branch: str | None) -> CiVerdict:
        # An unfinished CI run is waited for (cheaply); a timeout surfaces as the verdict's reason.
        settle = settle_by_waiting(self.github, self.target.repository, self.timing, on_change=self._on_change)
        try:
            status = ci_status(self.github, self.target.repository, workflow=self.plan.ci_workflow_file,
                               head_sha=sha, event=event, branch=branch, required_jobs=(self.plan.test_job,),
                               timing=self.timing, settle=settle)
        except HarnessError as exc:
            return CiVerdict(False, f"CI status of {sha[:7]} ({event}) unknown: {exc}", sha, event)
        judged = status.verdict
        skipped = self._not_emulated(judged.run.id, judged.jobs) if judged and judged.run.completed else ()
        return CiVerdict(status.green, status.reason, sha, event, status, logs=self._ci_logs(status),
                         not_emulated=skipped)

    def _not_emulated(self, run_id: int, jobs: Sequence[Job]) -> tuple[dict[str, object], ...]:
        """For a rehearsal, the run's steps the emulator did not run (read from its annotations); on GitHub no
        request is spent: every step runs there."""
        if self.server is None or not self.server.rehearsal:
            return ()
        return tuple(not_emulated_steps(self.github, self.target.repository, run_id, jobs))

    def _ci_logs(self, status: CiStatus) -> tuple[dict[str, object], ...]:
        """The test job's ``go test`` lines of a green run; the failing jobs' log tails of a red one."""
        verdict = status.verdict
        if verdict is None or not verdict.run.completed:
            return ()
        repo, run_id = self.target.repository, verdict.run.id
        if status.green:
            return tuple(go_test_quotes(self.github, repo, run_id, verdict.jobs, self.plan.test_job, self.logs))
        return tuple(failure_quotes(self.github, repo, run_id, verdict.jobs, self.logs))

    def build_acceptance(self) -> BuildAcceptance:
        """Snapshot, dispatch, find, wait, verify, at most once per session (the result is cached)."""
        with self._lock:
            if self._build is None:
                self.dispatches += 1
                target = BuildTarget(self.target.repository, self.plan, self.head_sha, self.target.registry_host,
                                     self.target.actor, self.target.sha_forms)
                build = quote_build_logs(
                    self.github, target, run_build_acceptance(self.github, self.registry, target, self.timing,
                                                              on_change=self._on_change), self.logs)
                result = build.run.result
                if result is not None and result.verdict.run.completed:
                    build = replace(build, not_emulated=self._not_emulated(result.verdict.run.id,
                                                                           result.verdict.jobs))
                self._build = build
            return self._build

    # -- evidence ----------------------------------------------------------------------------------------------

    def budget(self) -> dict[str, object]:
        """Requests spent so far (evidence kind ``api_budget``): GitHub totals, counted, 304s, and the registry's."""
        stats = self.github.stats
        return {"requests": stats.requests, "counted": stats.counted, "not_modified": stats.not_modified,
                "retries": stats.retries, "rate_limit_remaining": stats.rate_limit_remaining,
                "registry_requests": self.registry.stats.total, "registry_by_kind": self.registry.stats.snapshot()}

    def close(self) -> None:
        self.github.close()
        self.registry.close()
