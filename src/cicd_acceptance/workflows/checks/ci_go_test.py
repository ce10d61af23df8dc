"""ci-go-test: the test job runs the plan's test command (``go test ./...``) at the repository root, and a test
failure fails the job (no ``continue-on-error`` on the step or the job, no ``|| true`` or pipe that hides the
command's status: see :mod:`~cicd_acceptance.workflows.checks.commands`). A ``working-directory`` from the matrix
runs at the root in the entries where it evaluates to it; one only a run knows (``${{ vars.DIR }}``) is undecided.
A script is read per matrix entry (``run: ${{ matrix.cmd }}``), and one whose command only a run knows
(``run: ${{ vars.TEST_COMMAND }}``) leaves the rule undecided, never "no go test"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cicd_acceptance.workflows.checks.commands import (
    CommandSite,
    checkout_root,
    find_command,
    may_hide_command,
    root_in_an_entry,
    scripts_per_entry,
)
from cicd_acceptance.workflows.checks.common import TEST_EVENTS
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected, undecided
from cicd_acceptance.workflows.event import github_context
from cicd_acceptance.workflows.expressions import ExprContext, evaluate_if
from cicd_acceptance.workflows.model import Job, Workflow

__all__ = ["RULE"]

ID = "ci-go-test"
SETTLED_BY = "live: 'CI is green for the latest commit of the default branch'"


def _not_run(workflow: Workflow, job: Job, command: str, found: list[CommandSite],
             skipped: dict[int, list[str]], masked: list[CommandSite], github: Mapping[str, Any]) -> Finding:
    if found:  # present, but only in a step whose if: is false for an event
        step = found[0].step
        return Finding(workflow.path, step.node.key_line("if"), 0, ID, expected(
            f"'{command}' to run on {' and '.join(TEST_EVENTS)}",
            f"if: {step.if_} (false on {', '.join(skipped[id(found[0])])})"))
    if masked:  # the command runs, but the script carries on whatever it returns
        site = masked[0]
        return Finding(workflow.path, site.line, 0, ID, expected(
            f"a failing '{command}' to fail the job", f"'{site.text}', whose status the script ignores"))
    runs = [line.strip() for step in job.steps for line in (step.run or "").splitlines() if line.strip()]
    shown = "run: " + "; ".join(runs) if runs else "no run steps"
    unknown = next((step for step in job.steps if step.run is not None and any(
        may_hide_command(script, command) for script in scripts_per_entry(workflow, job, step.run, github))), None)
    if unknown is not None:  # the command may be in what only a run knows (a secret, a variable, an input)
        return undecided(workflow.path, unknown.line, ID, expected(
            f"job '{job.id}' to run '{command}'", f"{shown}, which only a run on GitHub knows"), SETTLED_BY)
    return Finding(workflow.path, job.line, 0, ID, expected(f"job '{job.id}' to run '{command}'", shown))


def _tolerated_everywhere(ctx: CheckContext, workflow: Workflow, job: Job, value: object) -> bool:
    """Whether ``continue-on-error: value`` may hold in every matrix entry on a pull request or a push.
    ``${{ matrix.experimental }}`` true for one extra entry (Go tip) still leaves the others failing the run when
    the tests fail: not tolerated; ``${{ github.event_name == 'pull_request' }}`` is."""
    if not isinstance(value, str) or "${{" not in value:
        return value is not False
    combos = job.matrix.combinations() if job.matrix is not None else None
    for event in TEST_EVENTS:
        github = ExprContext(github=github_context(ctx.event(event)), path=workflow.path)
        base = github.with_env_nodes(workflow.env).with_env_nodes(job.env)
        if all(evaluate_if(value, base.with_matrix(combo, known=combos is not None)) is not False
               for combo in combos or [None]):
            return True
    return False


def _failure_tolerated(ctx: CheckContext, workflow: Workflow, job: Job, site: CommandSite,
                       command: str) -> list[Finding]:
    for node, line in ((site.step.node, site.step.line), (job.node, job.line)):
        tolerated = node.get("continue-on-error")
        if tolerated is not None and _tolerated_everywhere(ctx, workflow, job, tolerated.value):
            message = expected(f"a failing '{command}' to fail the job",
                               f"continue-on-error: {tolerated.scalar_text()}")
            return [Finding(workflow.path, node.key_line("continue-on-error") or line, 0, ID, message)]
    return []


def _check(ctx: CheckContext) -> list[Finding]:
    workflow, job = ctx.ci(), ctx.test_job()
    if job is None:
        return []  # ci-test-job reports the missing job
    command = ctx.plan.test_command
    github = github_context(ctx.event("push"))
    everywhere = find_command(workflow, job, command, ctx.repo_dir, github)
    masked = [site for site in everywhere if not site.fails_step]
    found = [site for site in everywhere if site.fails_step]
    # A step whose if: is false on a pull request or a push does not run the tests there.
    skipped = {id(site): ctx.skipped_on(workflow, site.step.if_, TEST_EVENTS) for site in found}
    sites = [site for site in found if not skipped[id(site)]]
    if not sites:
        return [_not_run(workflow, job, command, found, skipped, masked, github)]
    at_root = [site for site in sites if site.directory is None]
    if not at_root:
        root = checkout_root(job, sites[0].step)
        where = "" if root == "." else f" (actions/checkout put the repository in '{root}')"
        message = expected(f"'{command}' at the repository root", f"working directory '{sites[0].directory}'{where}")
        if any(root_in_an_entry(workflow, job, site.directory or ".", root) is None for site in sites):
            return [undecided(workflow.path, sites[0].line, ID, message + ", which only a run on GitHub knows",
                              SETTLED_BY)]
        return [Finding(workflow.path, sites[0].line, 0, ID, message)]
    return _failure_tolerated(ctx, workflow, job, at_root[0], command)


RULE = Rule(ID, "the test job runs go test ./... at the repository root", _check)
