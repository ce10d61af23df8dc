"""Which matrix entries of the test job the local test run runs.

Each matrix entry is a job of its own on GitHub. Most matrices vary what the run: steps never read (the Go
version given to setup-go, the runner's OS): those entries run the same commands, so one run stands for all of
them. A matrix the steps do read (a monorepo's ``working-directory: ${{ matrix.module }}``, ``go test -tags
${{ matrix.tags }}``) gives entries that run different commands: each distinct one is run, up to
:data:`MAX_RUNS`. Entries on a Windows or macOS runner (``runs-on: ${{ matrix.os }}``) are left to the live check.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cicd_acceptance.errors import HarnessError
from cicd_acceptance.workflows.expressions import ExprContext, Unknown, interpolate
from cicd_acceptance.workflows.model import Job, Workflow
from cicd_acceptance.workflows.yamlnode import Node

__all__ = ["MAX_RUNS", "Entries", "entries_to_run", "linux_labels"]

MAX_RUNS = 4
_STEP_KEYS = ("run", "working-directory", "shell", "if", "continue-on-error", "timeout-minutes")

Entries = list[dict[str, Any] | None]


def linux_labels(labels: Iterable[str]) -> bool:
    """Whether ``runs-on`` labels name a Linux runner: none names Windows or macOS (a label still written with an
    expression is unknown and does not count against it)."""
    known = [label.lower() for label in labels if "${{" not in label]
    return not any(label.startswith(("windows", "macos", "mac-", "osx")) for label in known)


def _text(text: str, ctx: ExprContext) -> str:
    try:
        value = interpolate(text, ctx)
    except HarnessError:
        return text
    return value.display() if isinstance(value, Unknown) else value


def _defaults(node: Node) -> list[Node]:
    defaults = node.get("defaults")
    run = defaults.get("run") if defaults is not None else None
    return [value for _, value in run.items()] if run is not None and run.is_mapping else []


def _signature(workflow: Workflow, job: Job, ctx: ExprContext) -> tuple[str, ...]:
    """What the run: steps of ``job`` would run in the matrix entry of ``ctx``: their texts, evaluated as far as the
    entry decides them (the rest as written)."""
    nodes = [*job.env.values(), *_defaults(job.node), *_defaults(workflow.node)]
    for step in job.steps:
        if step.run is not None:
            nodes += [*step.env.values(), *(n for key in _STEP_KEYS if (n := step.node.get(key)) is not None)]
    return tuple(_text(node.scalar_text(), ctx) if node.is_scalar else repr(node.plain()) for node in nodes)


def entries_to_run(workflow: Workflow, job: Job) -> tuple[Entries, int]:
    """The matrix entries to run (``[None]`` for a job without a known matrix), and how many distinct ones were
    left out past :data:`MAX_RUNS`. An empty list: every entry runs on Windows or macOS."""
    combos = job.matrix.combinations() if job.matrix is not None else None
    if not combos:
        return [None], 0
    distinct: dict[tuple[str, ...], dict[str, Any]] = {}
    base = ExprContext(path=workflow.path)
    for combo in combos:
        ctx = base.with_matrix(combo)
        if linux_labels(_text(label, ctx) for label in job.runs_on):
            distinct.setdefault(_signature(workflow, job, ctx), dict(combo))
    entries: Entries = list(distinct.values())
    if len(entries) == 1:
        return [entries[0]], 0  # one run stands for every entry
    return entries[:MAX_RUNS], max(0, len(entries) - MAX_RUNS)
