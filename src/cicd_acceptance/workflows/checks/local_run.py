"""local-test-run: the ``run:`` commands of the test job succeed in the target (the plan's first validation).

Each ``run:`` step runs as a GitHub runner would run it (bash -eo pipefail) in its working directory, with the
literal ``env:`` values of workflow, job and step. A script that still holds a ``${{ }}`` expression cannot be run
faithfully outside GitHub: that is reported, not guessed.

These are the target's own commands, run on this machine (GitHub credentials are removed from their environment
by :func:`cicd_acceptance.tools.run_command`): accept only checkouts you would build yourself.
"""

from __future__ import annotations

import re

from cicd_acceptance.tools import run_command
from cicd_acceptance.workflows.checks.commands import working_directory
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected
from cicd_acceptance.workflows.yamlnode import Node

__all__ = ["RULE"]

ID = "local-test-run"
_OUTPUT_LINES = 8
_QUIET = re.compile(r"^(\?|ok)\s+\S+\s")


def _literal_env(*scopes: dict[str, Node]) -> dict[str, str]:
    env: dict[str, str] = {}
    for scope in scopes:
        env.update({k: v.scalar_text() for k, v in scope.items() if "${{" not in v.scalar_text()})
    return env


def _tail(text: str) -> str:
    # go test prints one line per passing or test-less package; only the failing part explains the failure.
    lines = [line for line in text.strip().splitlines() if line.strip() and not _QUIET.match(line)]
    return " | ".join(lines[-_OUTPUT_LINES:]) or "no output"


def _check(ctx: CheckContext) -> list[Finding]:
    workflow, job = ctx.ci(), ctx.test_job()
    if job is None:
        return []  # ci-test-job reports the missing job
    findings: list[Finding] = []
    for step in job.steps:
        if step.run is None:
            continue
        if "${{" in step.run:
            findings.append(Finding(workflow.path, step.line, 0, ID, expected(
                "a script that runs outside GitHub", "a ${{ }} expression in it")))
            continue
        directory = working_directory(workflow, job, step) or "."
        env = _literal_env(workflow.env, job.env, step.env)
        result = run_command(step.run, cwd=ctx.repo_dir / directory, env=env)
        if not result.ok:
            output = _tail(result.stdout + result.stderr)
            findings.append(Finding(workflow.path, step.line, 0, ID, expected(
                f"'{step.run.strip()}' to succeed", f"exit code {result.returncode}: {output}")))
            break  # later steps would run after a failed one only with if: always()
    return findings


RULE = Rule(ID, "the test job's commands succeed in the target", _check, tool="go")
