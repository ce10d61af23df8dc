"""What the emulator needs from a workflow file: its id and name, whether it can be dispatched, and its jobs.

Built on the static workflow model (:func:`cicd_acceptance.workflows.model.load_workflow`). A file the model cannot
read is still listed (GitHub lists broken workflows too, named by their path) but has no jobs and cannot be
dispatched. Jobs are expanded per matrix combination and named as GitHub names them: the job's ``name:`` with
``${{ matrix.* }}`` filled in, else ``job_id (value, value)``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cicd_acceptance.errors import HarnessError
from cicd_acceptance.workflows.model import Job, Workflow, load_workflow

__all__ = ["JobPlan", "WorkflowInfo", "read_workflow", "workflow_id_for"]

_MATRIX_REF = re.compile(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}")


@dataclass(frozen=True)
class JobPlan:
    """One job a run will have: ``job_id`` in the YAML, display ``name``, its matrix combination and step names."""

    job_id: str
    name: str
    matrix: dict[str, Any]
    steps: tuple[str, ...]
    needs: tuple[str, ...]


@dataclass(frozen=True)
class WorkflowInfo:
    """A workflow as the Actions API lists it. ``workflow`` is None when the file could not be parsed."""

    workflow_id: int
    path: str
    name: str
    workflow: Workflow | None
    error: str | None

    @property
    def file_name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def events(self) -> frozenset[str]:
        return frozenset(self.workflow.triggers) if self.workflow else frozenset()

    @property
    def dispatchable(self) -> bool:
        return "workflow_dispatch" in self.events

    def jobs(self) -> list[JobPlan]:
        """Every job of a run, matrix-expanded, in file order (a symbolic matrix runs as one job)."""
        if self.workflow is None:
            return []
        return [plan for job in self.workflow.jobs.values() for plan in _expand(job)]


def workflow_id_for(path: str) -> int:
    """A stable, GitHub-sized numeric id derived from the path (ids survive emulator restarts)."""
    return 100_000_000 + int(hashlib.sha256(path.encode()).hexdigest()[:8], 16) % 900_000_000


def read_workflow(repo_dir: Path, path: str) -> WorkflowInfo:
    """Load ``path`` (relative to ``repo_dir``) through the workflow model; errors are kept, not raised."""
    try:
        workflow = load_workflow(repo_dir, path)
    except HarnessError as exc:
        return WorkflowInfo(workflow_id_for(path), path, path, None, str(exc))
    return WorkflowInfo(workflow_id_for(path), path, workflow.name or path, workflow, None)


def _expand(job: Job) -> list[JobPlan]:
    combos = job.matrix.combinations() if job.matrix is not None else None
    steps = ("Set up job", *(_step_name(step.name, step.uses, step.run) for step in job.steps), "Complete job")
    if not combos:
        return [JobPlan(job.id, _job_name(job, {}), {}, steps, job.needs)]
    return [JobPlan(job.id, _job_name(job, combo), dict(combo), steps, job.needs) for combo in combos]


def _job_name(job: Job, combo: dict[str, Any]) -> str:
    if job.name:
        return _MATRIX_REF.sub(lambda m: _text(combo.get(m.group(1), "")), job.name)
    if combo:
        return f"{job.id} ({', '.join(_text(value) for value in combo.values())})"
    return job.id


def _text(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _step_name(name: str | None, uses: str | None, run: str | None) -> str:
    if name:
        return name
    if uses:
        return f"Run {uses}"
    first = (run or "").strip().splitlines()
    return f"Run {first[0]}" if first else "Run step"
