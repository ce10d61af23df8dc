"""Local composite actions (``uses: ./path``): ``action.yml`` read from the job's workspace (never outside it), its
``inputs``, steps and ``outputs`` parsed; the job runs the steps as its own, with their own ``steps`` and ``inputs``
contexts, and evaluates the outputs from them. Nesting is bounded; other kinds of local action are not emulated."""

from __future__ import annotations

from pathlib import Path

import yaml

from cicd_acceptance.errors import HarnessError
from cicd_acceptance.workflows.model import Step, parse_workflow
from cicd_acceptance.workflows.yamlnode import Node, load_yaml_file, load_yaml_text

__all__ = ["MAX_COMPOSITE_DEPTH", "CompositeAction", "load_composite"]

MAX_COMPOSITE_DEPTH = 9  # GitHub's limit of nested composite actions


class CompositeAction:
    """A parsed composite action: declared inputs (node per name), steps, and output expressions."""

    def __init__(self, path: str, inputs: dict[str, Node], steps: tuple[Step, ...], outputs: dict[str, Node]) -> None:
        self.path = path
        self.inputs = inputs
        self.steps = steps
        self.outputs = outputs


def load_composite(workspace: Path, uses: str) -> CompositeAction | None:
    """The composite action at ``./path`` in ``workspace``; None when it is another kind (not emulated)."""
    root = workspace.resolve()
    folder = (root / uses[2:]).resolve()
    if not folder.is_relative_to(root):
        raise HarnessError(f"{uses}: the action is outside the repository")
    found = next((folder / name for name in ("action.yml", "action.yaml") if (folder / name).is_file()), None)
    if found is None:
        raise HarnessError(f"Can't find 'action.yml' or 'action.yaml' under '{folder}'. Did you forget to run "
                           "actions/checkout before running your local action?")
    display = found.relative_to(root).as_posix()
    node = load_yaml_file(found, display_path=display, root=root)
    runs = node.get("runs")
    using = runs.get("using") if runs is not None and runs.is_mapping else None
    if using is None or using.scalar_text() != "composite":
        return None
    steps_node = runs.get("steps") if runs is not None else None
    # The model parses steps of jobs: the action's steps are wrapped as one job's (same shape rules, same messages).
    job = {"runs-on": "x", "steps": steps_node.plain() if steps_node is not None else []}
    wrapped = yaml.safe_dump({"on": "push", "jobs": {"composite": job}})
    steps = parse_workflow(load_yaml_text(wrapped, display_path=display), path=display).jobs["composite"].steps
    declared = node.get("inputs")
    outputs = node.get("outputs")
    return CompositeAction(
        display,
        dict(declared.items()) if declared is not None and declared.is_mapping else {},
        steps,
        {key: child.get("value") or child for key, child in outputs.items() if child.is_mapping}
        if outputs is not None and outputs.is_mapping else {})
