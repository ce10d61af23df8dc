"""The static acceptance criteria: which rules make up each criterion, and running them.

One criterion is one Gherkin scenario (``features/static/*.feature``). Each rule of a criterion is one ``Then``
step, whose text is the rule's description, so the feature files and this registry cannot drift apart without a
test noticing (``tests/static/test_registry.py``). Library code: no pytest here.

:data:`HARNESS_CRITERIA` are checked on the harness's own checkout, never on a target
(``features/project/*.feature``): its manual acceptance job is manual only and holds least privilege.

Decisions where the ExecPlan leaves room (each documented again in its rule's module):

* no ``permissions:`` block counts as too broad (the repository default may grant write access);
* the build may also run on ``pull_request`` (or any other event) only when it provably pushes nothing then;
  a ``push`` trigger that admits other branches or tags publishes from them and fails;
* the published images must be exactly the plan's in the plan's registry (a copy elsewhere, such as a Docker Hub
  mirror, is not the plan's concern); tags must include the commit (``sha-<sha>``: any tag holding 7 or
  more leading hex digits of it, with any prefix or suffix, :mod:`cicd_acceptance.committags`) and ``latest``
  on the default branch, and may include more ("the image tags will include ...");
* the Go version passes when what actions/setup-go would install (the newest release its spec admits) is at least
  go.mod's ``go`` line; in a matrix every entry must be;
* zizmor findings below the plan's severity do not block but are listed in the report.

Usage::

    ctx = CheckContext(target, plan)
    findings = check_criterion("ci-workflow", ctx)          # every rule, tool rules included
    findings = run_criteria(ctx, include_tools=False)       # {criterion id: findings} for all pure criteria
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cicd_acceptance.plan import Plan
from cicd_acceptance.target import open_target
from cicd_acceptance.workflows.checks import (
    acceptance_checkout_credentials,
    acceptance_evidence_upload,
    acceptance_manual_only,
    acceptance_no_schedule,
    acceptance_permissions,
    acceptance_pinned_actions,
    actionlint,
    build_cache,
    build_login,
    build_matrix,
    build_permissions,
    build_publication,
    build_push,
    build_revision,
    build_setup,
    build_triggers,
    ci_actions,
    ci_go_test,
    ci_go_version,
    ci_no_schedule,
    ci_permissions,
    ci_test_job,
    ci_triggers,
    files_committed,
    files_exist,
    files_tracked,
    local_run,
    workflow_schema,
    zizmor,
)
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, sort_findings

__all__ = [
    "CRITERIA",
    "HARNESS_CRITERIA",
    "CheckContext",
    "Criterion",
    "RuleResults",
    "check_criterion",
    "criterion",
    "harness_context",
    "rule",
    "run_criteria",
]


@dataclass(frozen=True)
class Criterion:
    """One acceptance criterion. ``subject`` completes the step ``When I check <subject>``."""

    id: str
    subject: str
    rules: tuple[Rule, ...]

    @property
    def tools(self) -> tuple[str, ...]:
        return tuple(r.tool for r in self.rules if r.tool)


CRITERIA: tuple[Criterion, ...] = (
    Criterion("workflows-committed", "that the workflow files are committed",
              (files_exist.RULE, files_tracked.RULE, files_committed.RULE)),
    Criterion("ci-workflow", "the CI workflow",
              (ci_triggers.RULE, ci_no_schedule.RULE, ci_test_job.RULE, ci_actions.RULE, ci_go_version.RULE,
               ci_go_test.RULE, ci_permissions.RULE)),
    Criterion("build-workflow", "the build workflow",
              (build_triggers.RULE, build_permissions.RULE, build_setup.RULE, build_login.RULE, build_matrix.RULE,
               build_push.RULE, build_cache.RULE, build_publication.RULE, build_revision.RULE)),
    Criterion("workflow-validity", "that the workflow files are valid", (workflow_schema.RULE, actionlint.RULE)),
    Criterion("workflow-security", "the workflows' security", (zizmor.RULE,)),
    Criterion("local-test-run", "the test commands locally", (local_run.RULE,)),
)

HARNESS_CRITERIA: tuple[Criterion, ...] = (
    Criterion("acceptance-job", "the harness repository's own acceptance workflow",
              (acceptance_manual_only.RULE, acceptance_no_schedule.RULE, acceptance_permissions.RULE,
               acceptance_pinned_actions.RULE, acceptance_checkout_credentials.RULE, acceptance_evidence_upload.RULE)),
)

_BY_ID = {c.id: c for c in CRITERIA + HARNESS_CRITERIA}
_RULES = {r.id: r for c in CRITERIA + HARNESS_CRITERIA for r in c.rules}


def criterion(criterion_id: str) -> Criterion:
    """The criterion ``criterion_id``; an unknown id (a step naming no criterion) is a ValueError listing the known
    ones."""
    try:
        return _BY_ID[criterion_id]
    except KeyError:
        raise ValueError(f"unknown criterion {criterion_id!r} (known: {', '.join(_BY_ID)})") from None


def rule(rule_id: str) -> Rule:
    """The rule ``rule_id``; an unknown id (a step naming no rule) is a ValueError listing the known ones."""
    try:
        return _RULES[rule_id]
    except KeyError:
        raise ValueError(f"unknown rule {rule_id!r} (known: {', '.join(_RULES)})") from None


def harness_context(root: Path) -> CheckContext:
    """The context of the :data:`HARNESS_CRITERIA`: the harness's own checkout at ``root`` (its rules read fixed
    paths of this repository, so the plan is the default one and unused)."""
    return CheckContext(open_target(root), Plan())


def check_criterion(criterion_id: str, ctx: CheckContext, *, include_tools: bool = True) -> list[Finding]:
    """Findings of every rule of the criterion (tool rules only with ``include_tools``)."""
    rules = [r for r in criterion(criterion_id).rules if include_tools or r.tool is None]
    return sort_findings(f for r in rules for f in r(ctx))


def run_criteria(ctx: CheckContext, *, include_tools: bool = True,
                 only: Iterable[str] | None = None) -> dict[str, list[Finding]]:
    """``{criterion id: findings}`` for every criterion of a target (or those in ``only``), in registry order."""
    wanted = set(only) if only is not None else None
    return {c.id: check_criterion(c.id, ctx, include_tools=include_tools)
            for c in CRITERIA if wanted is None or c.id in wanted}


class RuleResults:
    """Rule findings computed once per context and shared; rules may be started early, in the background.

    Tool rules spend their time in child processes (actionlint, zizmor, go), so starting them all at once and
    collecting each result when its step asks overlaps them with everything else. Pure rules are Python only:
    under the GIL more threads for them add no parallelism, only contention with the tool rules' own Python work
    (the local run's copy of the checkout, before its go test can start), so they run one at a time, in one
    thread of their own.
    """

    def __init__(self, ctx: CheckContext, *, workers: int = 4) -> None:
        self.ctx = ctx
        self._tools = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="acceptance-tool-rule")
        self._pure = ThreadPoolExecutor(max_workers=1, thread_name_prefix="acceptance-rule")
        self._futures: dict[str, Future[list[Finding]]] = {}

    def start(self, rule_ids: Iterable[str]) -> None:
        """Begin computing ``rule_ids`` in the background (each at most once)."""
        for rule_id in rule_ids:
            if rule_id not in self._futures:
                found = rule(rule_id)
                self._futures[rule_id] = (self._tools if found.tool else self._pure).submit(found, self.ctx)

    def findings(self, rule_id: str) -> list[Finding]:
        """The rule's findings; re-raises what the rule raised (ToolMissing, ToolError)."""
        self.start([rule_id])
        return self._futures[rule_id].result()

    def computed(self) -> dict[str, list[Finding]]:
        """Findings of the rules that already finished without error."""
        return {rule_id: future.result() for rule_id, future in self._futures.items()
                if future.done() and future.exception() is None}

    def close(self) -> None:
        """Stop accepting work; waits for rules that are still running (child processes are not orphaned)."""
        for pool in (self._pure, self._tools):
            pool.shutdown(wait=True, cancel_futures=True)
