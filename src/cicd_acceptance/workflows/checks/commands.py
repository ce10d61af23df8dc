"""Finding a shell command (the plan's ``go test ./...``) in the ``run:`` scripts of a job, and where it runs.

A script line matches when it starts with the plan command's first two words (``go test``) and contains every
other word (``./...``): flags such as ``-race`` or ``-v`` are allowed, a different package pattern is not, and
neither are flags that run only some tests or none (``-run``, ``-skip``, ``-list``, ``-n``, ``-c``).
A command in a ``cd elsewhere && ...`` line, after a ``cd elsewhere`` line, or in a step with a
``working-directory`` (step, job ``defaults`` or workflow ``defaults``) runs somewhere other than the root.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from cicd_acceptance.workflows.model import Job, Step, Workflow
from cicd_acceptance.workflows.yamlnode import Node

__all__ = ["CommandSite", "find_command", "working_directory"]

_ROOT_DIRS = {".", "./", "${{ github.workspace }}", "$GITHUB_WORKSPACE", "${GITHUB_WORKSPACE}", '"$GITHUB_WORKSPACE"'}
_SUBSET_FLAGS = {"run", "skip", "list", "n", "c"}
_CD = re.compile(r"(?:^|&&|;)\s*cd\s+(?P<dir>[^&;]+)")


@dataclass(frozen=True)
class CommandSite:
    """Where a command appears: the step, the absolute line in the file, and the directory it runs in."""

    step: Step
    line: int
    text: str
    directory: str | None


def _words(text: str) -> list[str]:
    try:
        return shlex.split(text, comments=True)
    except ValueError:
        return text.split()


def _matches(line: str, command: str) -> bool:
    want, have = _words(command), _words(line)
    if len(have) < 2 or have[:2] != want[:2] or not all(word in have[2:] for word in want[2:]):
        return False
    # Flags that run a subset of the tests, or none at all, do not run "the tests".
    return not any(word.split("=")[0].lstrip("-") in _SUBSET_FLAGS for word in have[2:] if word.startswith("-"))


def _defaults_dir(node: Node) -> str | None:
    defaults = node.get("defaults")
    run = defaults.get("run") if defaults is not None else None
    directory = run.get("working-directory") if run is not None else None
    return directory.scalar_text() if directory is not None else None


def working_directory(workflow: Workflow, job: Job, step: Step) -> str | None:
    """The directory a ``run:`` step runs in, as written (None: the repository root)."""
    for candidate in (step.working_directory, _defaults_dir(job.node), _defaults_dir(workflow.node)):
        if candidate is not None:
            return None if candidate.strip() in _ROOT_DIRS else candidate
    return None


def _script_line(step: Step, offset: int) -> int:
    # A block scalar (``run: |``) starts on the line after its indicator; a plain one starts where it stands.
    run = step.node.get("run")
    if run is None:
        return step.line
    block = "\n" in (run.text or "")
    return run.line + (1 if block else 0) + offset


def find_command(workflow: Workflow, job: Job, command: str) -> list[CommandSite]:
    """Every place ``job`` runs ``command``, with the directory it runs in (None = the repository root)."""
    sites: list[CommandSite] = []
    for step in job.steps:
        if step.run is None:
            continue
        directory = working_directory(workflow, job, step)
        for offset, line in enumerate(step.run.splitlines()):
            for match in _CD.finditer(line):
                target = match["dir"].strip()
                directory = None if target in _ROOT_DIRS else target
            tail = re.split(r"&&|;", line)[-1]
            if _matches(tail, command):
                sites.append(CommandSite(step, _script_line(step, offset), line.strip(), directory))
    return sites
