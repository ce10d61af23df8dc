"""Reusable workflows (``jobs.<id>.uses: ./.github/workflows/x.yml``) and local composite actions
(``uses: ./.github/actions/x``) of the same repository, loaded on demand.

The paths come from the target's workflows, so they are hostile: a path must stay inside the repository after
normalisation (``./../x`` is refused), symlinks may not leave it (:func:`load_yaml_file` checks), and each file is
loaded once. Nesting is bounded by the caller (:data:`MAX_DEPTH`, GitHub's own limit for reusable workflows).
"""

from __future__ import annotations

import posixpath
import threading
from dataclasses import dataclass
from pathlib import Path

from cicd_acceptance.errors import WorkflowLoadError
from cicd_acceptance.workflows.model import Step, Workflow, load_workflow, parse_steps
from cicd_acceptance.workflows.shapes import Shape
from cicd_acceptance.workflows.yamlnode import Node, load_yaml_file

__all__ = ["MAX_DEPTH", "Action", "LocalFiles", "local_path"]

MAX_DEPTH = 4


@dataclass(frozen=True)
class Action:
    """A local action: ``using`` (``composite``, ``docker``, ``node20``...), its inputs and, if composite, steps."""

    path: str
    using: str
    inputs: dict[str, Node]
    steps: tuple[Step, ...]


def local_path(uses: str) -> str | None:
    """``./.github/workflows/x.yml`` -> ``.github/workflows/x.yml``; ``None`` when it would leave the repository."""
    relative = posixpath.normpath(uses.removeprefix("./").split("@", 1)[0])
    if relative.startswith(("..", "/")) or relative in {".", ""}:
        return None
    return relative


class LocalFiles:
    """Loads and caches the repository's own workflows and actions (thread-safe)."""

    def __init__(self, repo_dir: Path) -> None:
        self.repo_dir = repo_dir
        self._lock = threading.Lock()
        self._cache: dict[str, Workflow | Action | WorkflowLoadError] = {}

    def workflow(self, uses: str) -> Workflow:
        """The reusable workflow named by ``uses``; a bad path or file is a ``WorkflowLoadError``."""
        result = self._load(uses, "workflow")
        if not isinstance(result, Workflow):
            raise WorkflowLoadError(f"{uses} is not a workflow", path=uses)
        return result

    def action(self, uses: str) -> Action:
        """The local action named by ``uses`` (its ``action.yml`` or ``action.yaml``)."""
        result = self._load(uses, "action")
        if not isinstance(result, Action):
            raise WorkflowLoadError(f"{uses} is not an action", path=uses)
        return result

    def _load(self, uses: str, kind: str) -> Workflow | Action:
        key = f"{kind}:{uses}"
        with self._lock:
            cached = self._cache.get(key)
        if cached is None:
            try:
                cached = self._read(uses, kind)
            except WorkflowLoadError as exc:
                cached = exc
            with self._lock:
                self._cache[key] = cached
        if isinstance(cached, WorkflowLoadError):
            raise cached
        return cached

    def _read(self, uses: str, kind: str) -> Workflow | Action:
        relative = local_path(uses)
        if relative is None:
            raise WorkflowLoadError(f"{uses!r} points outside the repository", path=uses)
        if kind == "workflow":
            return load_workflow(self.repo_dir, relative)
        for name in ("action.yml", "action.yaml"):
            if (self.repo_dir / relative / name).is_file():
                return _parse_action(load_yaml_file(self.repo_dir / relative / name,
                                                    display_path=f"{relative}/{name}", root=self.repo_dir,
                                                    merge_keys=False),
                                     f"{relative}/{name}")
        raise WorkflowLoadError(f"no action.yml in {relative}", path=relative)


def _parse_action(root: Node, path: str) -> Action:
    shape = Shape(path)
    shape.mapping(root, "the action")
    runs = root.get("runs")
    if runs is None:
        raise WorkflowLoadError("the action has no 'runs'", path=path, line=root.line)
    shape.mapping(runs, "'runs'")
    using = shape.optional_text(runs.get("using"), "'runs.using'") or ""
    inputs = root.get("inputs")
    steps = parse_steps(runs.get("steps"), shape, "'runs.steps'") if using == "composite" else ()
    return Action(path, using, shape.env(inputs, "'inputs'") if inputs is not None else {}, steps)
