"""The parts of a GitHub Actions workflow that acceptance checks reason about, built from :class:`Node` trees.

Every dataclass keeps its ``line`` and its source ``node``, so a check can point at ``path:line`` and can look at
anything this model does not lift out. The model is deliberately shallow: values stay as written (expressions are
left to :mod:`cicd_acceptance.workflows.expressions`); only the *shape* is validated, and a wrong shape (``jobs``
as a list, a step that is a string) is a :class:`WorkflowLoadError` naming ``path:line``.

YAML quirks handled here: ``on`` may be a string, a list or a mapping; ``workflow_dispatch:`` with nothing after
it is a trigger whose node is null, so trigger presence is membership in :attr:`Workflow.triggers`, never truthiness.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cicd_acceptance.errors import TargetError, WorkflowLoadError
from cicd_acceptance.workflows.matrix import Matrix, parse_matrix
from cicd_acceptance.workflows.shapes import Shape
from cicd_acceptance.workflows.triggers import Trigger, parse_triggers
from cicd_acceptance.workflows.yamlnode import Node, load_yaml_file

__all__ = [
    "ALL_SCOPES",
    "Job",
    "Matrix",
    "Permissions",
    "Step",
    "Trigger",
    "Workflow",
    "load_workflow",
    "parse_steps",
    "parse_workflow",
    "split_uses",
]

_LEVELS = {"none": 0, "read": 1, "write": 2}


@dataclass(frozen=True)
class Permissions:
    """A ``permissions:`` block: a preset (``read-all``/``write-all``) or explicit ``scopes`` (``{}`` = none)."""

    line: int
    scopes: dict[str, str]
    preset: str | None
    node: Node

    def level(self, scope: str) -> str:
        """``none``, ``read`` or ``write`` for ``scope``; scopes left out of an explicit block are ``none``."""
        if self.preset == "read-all":
            return "read"
        if self.preset == "write-all":
            return "write"
        return self.scopes.get(scope, "none")

    def broader_than(self, allowed: dict[str, str]) -> dict[str, str]:
        """Scopes granted above ``allowed`` (scope -> granted level); a preset is checked against every scope."""
        scopes = set(self.scopes) | set(allowed) if self.preset is None else set(ALL_SCOPES) | set(allowed)
        return {scope: self.level(scope) for scope in sorted(scopes)
                if _LEVELS.get(self.level(scope), 2) > _LEVELS.get(allowed.get(scope, "none"), 0)}


ALL_SCOPES = (
    "actions", "attestations", "checks", "contents", "deployments", "discussions", "id-token", "issues", "models",
    "packages", "pages", "pull-requests", "repository-projects", "security-events", "statuses",
)


@dataclass(frozen=True)
class Step:
    """One step. ``action`` is ``owner/repo[/path]`` of a ``uses:`` action (``./x`` and ``docker://x`` verbatim)."""

    index: int
    line: int
    name: str | None
    id: str | None
    uses: str | None
    action: str | None
    ref: str | None
    run: str | None
    with_: dict[str, Node]
    env: dict[str, Node]
    if_: str | None
    working_directory: str | None
    node: Node

    def uses_action(self, action: str) -> bool:
        """True when this step uses ``action`` (``owner/repo[/path]``; GitHub compares these case-insensitively)."""
        return self.action is not None and self.action.lower() == action.lower()

    def with_text(self, key: str) -> str | None:
        """The ``with:`` input ``key`` as text (``None`` when absent)."""
        node = self.with_.get(key)
        return None if node is None else node.scalar_text()

    @property
    def label(self) -> str:
        """How to name the step in a message: its name, its ``uses:``, or its first ``run:`` line."""
        if self.name:
            return self.name
        if self.uses:
            return self.uses
        first = (self.run or "").strip().splitlines()
        return f"run: {first[0]}" if first else f"step {self.index + 1}"


@dataclass(frozen=True)
class Job:
    """One job; ``uses`` is set for a reusable-workflow call (which has no steps)."""

    id: str
    line: int
    name: str | None
    runs_on: tuple[str, ...]
    if_: str | None
    permissions: Permissions | None
    env: dict[str, Node]
    matrix: Matrix | None
    steps: tuple[Step, ...]
    uses: str | None
    node: Node
    needs: tuple[str, ...] = ()
    with_: dict[str, Node] = field(default_factory=dict)

    def steps_using(self, action: str) -> tuple[Step, ...]:
        """Steps that use ``action`` (``owner/repo[/path]``), in order."""
        return tuple(step for step in self.steps if step.uses_action(action))


@dataclass(frozen=True)
class Workflow:
    """A parsed workflow file; ``path`` is the display path (relative to the repository) used in messages."""

    path: str
    name: str | None
    node: Node
    triggers: dict[str, Trigger]
    permissions: Permissions | None
    env: dict[str, Node]
    jobs: dict[str, Job]

    def where(self, line: int | None) -> str:
        """``path:line`` for a message."""
        return f"{self.path}:{line}" if line is not None else self.path

    def effective_permissions(self, job: Job) -> Permissions | None:
        """The job's own block when it has one (it replaces the workflow's), else the workflow's."""
        return job.permissions if job.permissions is not None else self.permissions


def load_workflow(repo_dir: Path, rel_path: str) -> Workflow:
    """Load and parse ``repo_dir/rel_path``; messages name ``rel_path``; symlinks may not leave ``repo_dir``."""
    if not repo_dir.is_dir():
        raise TargetError("repository directory not found", path=str(repo_dir))
    # GitHub reads workflows without merge keys: a plan computed from merged keys would be one GitHub never runs.
    root = load_yaml_file(repo_dir / rel_path, display_path=rel_path, root=repo_dir, merge_keys=False)
    return parse_workflow(root, path=rel_path)


def parse_workflow(root: Node, *, path: str) -> Workflow:
    """Build a :class:`Workflow` from a loaded document; a wrong shape raises ``WorkflowLoadError`` (path:line)."""
    shape = Shape(path)
    shape.mapping(root, "the workflow")
    jobs_node = root.get("jobs")
    if jobs_node is None:
        raise WorkflowLoadError("the workflow has no 'jobs'", path=path, line=root.line)
    shape.mapping(jobs_node, "'jobs'")
    jobs = {job_id: _parse_job(job_id, node, shape, jobs_node.key_line(job_id)) for job_id, node in jobs_node.items()}
    return Workflow(
        path=path,
        name=shape.optional_text(root.get("name"), "'name'"),
        node=root,
        triggers=parse_triggers(root.get("on"), shape, line=root.key_line("on")),
        permissions=_parse_permissions(root.get("permissions"), shape, root.key_line("permissions")),
        env=shape.env(root.get("env"), "'env'"),
        jobs=jobs,
    )


def _parse_permissions(node: Node | None, shape: Shape, line: int) -> Permissions | None:
    if node is None:
        return None
    if node.is_null:  # `permissions:` with nothing after it is an empty block, as GitHub reads it
        return Permissions(line, {}, None, node)
    if isinstance(node.value, str):
        if node.value not in {"read-all", "write-all"}:
            raise shape.error(f"expected 'read-all', 'write-all' or a mapping for 'permissions', found {node.value!r}",
                              node)
        return Permissions(line, {}, node.value, node)
    shape.mapping(node, "'permissions'")
    scopes = {scope: shape.text(level, f"permission {scope!r}") for scope, level in node.items()}
    return Permissions(line, scopes, None, node)


def _parse_job(job_id: str, node: Node, shape: Shape, line: int) -> Job:
    shape.mapping(node, f"job {job_id!r}")
    steps = parse_steps(node.get("steps"), shape, f"'steps' of job {job_id!r}")
    strategy = node.get("strategy")
    matrix_node = strategy.get("matrix") if strategy is not None and strategy.is_mapping else None
    return Job(
        id=job_id,
        line=line,
        name=shape.optional_text(node.get("name"), f"'name' of job {job_id!r}"),
        runs_on=_runs_on(node.get("runs-on"), shape),
        if_=shape.optional_text(node.get("if"), f"'if' of job {job_id!r}"),
        permissions=_parse_permissions(node.get("permissions"), shape, node.key_line("permissions")),
        env=shape.env(node.get("env"), f"'env' of job {job_id!r}"),
        matrix=None if matrix_node is None else parse_matrix(matrix_node, shape, _strategy_line(strategy)),
        steps=steps,
        uses=shape.optional_text(node.get("uses"), f"'uses' of job {job_id!r}"),
        node=node,
        needs=shape.text_list(node.get("needs"), f"'needs' of job {job_id!r}"),
        with_=shape.env(node.get("with"), f"'with' of job {job_id!r}"),
    )


def _strategy_line(strategy: Node | None) -> int:
    """Line of ``matrix:`` inside ``strategy:`` (where a matrix finding should point)."""
    return strategy.key_line("matrix") if strategy is not None else 0


def _runs_on(node: Node | None, shape: Shape) -> tuple[str, ...]:
    if node is None:
        return ()
    if node.is_mapping:  # {group: ..., labels: ...}
        return shape.text_list(node.get("labels"), "'runs-on.labels'")
    return shape.text_list(node, "'runs-on'")


def parse_steps(node: Node | None, shape: Shape, what: str) -> tuple[Step, ...]:
    """A ``steps:`` sequence (of a job, or of a composite action's ``runs``)."""
    if node is None:
        return ()
    shape.sequence(node, what)
    return tuple(_parse_step(index, child, shape) for index, child in enumerate(node.elements()))


def _parse_step(index: int, node: Node, shape: Shape) -> Step:
    shape.mapping(node, f"step {index + 1}")
    uses = shape.optional_text(node.get("uses"), "'uses'")
    action, ref = split_uses(uses)
    return Step(
        index=index,
        line=node.line,
        name=shape.optional_text(node.get("name"), "'name'"),
        id=shape.optional_text(node.get("id"), "'id'"),
        uses=uses,
        action=action,
        ref=ref,
        run=shape.optional_text(node.get("run"), "'run'"),
        with_=shape.env(node.get("with"), "'with'"),
        env=shape.env(node.get("env"), "'env'"),
        if_=shape.optional_text(node.get("if"), "'if'"),
        working_directory=shape.optional_text(node.get("working-directory"), "'working-directory'"),
        node=node,
    )


def split_uses(uses: str | None) -> tuple[str | None, str | None]:
    """``owner/repo/path@ref`` -> (``owner/repo/path``, ``ref``); local and ``docker://`` uses have no ref."""
    if uses is None:
        return None, None
    if uses.startswith(("./", "docker://")):
        return uses, None
    action, sep, ref = uses.partition("@")
    return action, (ref if sep else None)
