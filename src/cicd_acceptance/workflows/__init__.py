"""Reading GitHub Actions workflows and deciding, statically, what they do.

* :mod:`.yamlnode` - safe, bounded YAML loading into :class:`Node` trees with line numbers;
* :mod:`.model` - :class:`Workflow` / :class:`Job` / :class:`Step` / :class:`Trigger` / :class:`Matrix`;
* :mod:`.expressions` - ``${{ }}`` evaluation where the value is known, :class:`Unknown` where it is not;
* :mod:`.publication` - :func:`publication_plan`: the images and tags a build workflow would push for an event
  (:mod:`.metadata` reproduces docker/metadata-action).
"""

from __future__ import annotations

from typing import Any

from cicd_acceptance.workflows.event import BuildEvent
from cicd_acceptance.workflows.expressions import ExprContext, Unknown, evaluate, evaluate_if, interpolate
from cicd_acceptance.workflows.model import (
    Job,
    Matrix,
    Permissions,
    Step,
    Trigger,
    Workflow,
    load_workflow,
    parse_workflow,
)
from cicd_acceptance.workflows.yamlnode import Node, load_yaml_file, load_yaml_text

__all__ = [
    "BuildEvent",
    "ExprContext",
    "ImagePublication",
    "Job",
    "Matrix",
    "Node",
    "Permissions",
    "PublicationPlan",
    "Step",
    "Trigger",
    "Unknown",
    "Workflow",
    "evaluate",
    "evaluate_if",
    "interpolate",
    "load_workflow",
    "load_yaml_file",
    "load_yaml_text",
    "parse_workflow",
    "publication_plan",
]


def __getattr__(name: str) -> Any:
    # The publication plan loads on first use: the emulator's executor imports the model and the evaluator from
    # this package and must not load the static plan (it executes workflows instead).
    if name in {"ImagePublication", "PublicationPlan", "publication_plan"}:
        from cicd_acceptance.workflows import publication

        return getattr(publication, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
