"""What a build workflow would push for a given event, computed statically.

:func:`publication_plan` walks every job whose ``if:`` can be true for the event (job ``if:`` is evaluated without
a matrix, as GitHub does), every matrix combination, and every step in order: ``docker/metadata-action`` steps are
computed (:mod:`.metadata`) and their outputs offered to later steps through ``steps.<id>.outputs``; each
``docker/build-push-action`` step whose ``if:`` can be true yields one :class:`ImagePublication` per image it
tags. Values that cannot be known offline are kept as :class:`Unknown` and shown as written; when a condition is
unknown the entry is kept and :attr:`ImagePublication.condition` says why it might not run.

``tags`` are bare tags of ``image`` (``sha-0123abc``, ``latest``); ``references`` are the full ``image:tag``.
build-push-action defaults: ``push`` false; ``context`` is the checkout (shown as ``.``); ``file`` is
``{context}/Dockerfile``, while an explicit ``file:`` is relative to the repository root, not to the context.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

from cicd_acceptance.workflows.event import BuildEvent, github_context
from cicd_acceptance.workflows.expr_parser import Name, Property, parse_expression
from cicd_acceptance.workflows.expressions import ExprContext, Unknown, evaluate_if, find_expressions
from cicd_acceptance.workflows.listinput import input_text, split_items, text_or_unknown
from cicd_acceptance.workflows.metadata import MetadataResult, compute_metadata
from cicd_acceptance.workflows.model import Job, Step, Workflow
from cicd_acceptance.workflows.yamlnode import Node

__all__ = [
    "BUILD_PUSH_ACTION",
    "METADATA_ACTION",
    "BuildEvent",
    "ImagePublication",
    "PublicationPlan",
    "Unknown",
    "publication_plan",
]

BUILD_PUSH_ACTION = "docker/build-push-action"
METADATA_ACTION = "docker/metadata-action"

Value = str | Unknown


@dataclass(frozen=True)
class ImagePublication:
    """One image that one build step pushes (or builds, when ``push`` is false) in one matrix combination."""

    job_id: str
    matrix: dict[str, Any]
    line: int
    step_name: str
    dockerfile: Value
    context: Value
    image: Value
    tags: tuple[Value, ...]
    references: tuple[Value, ...]
    push: bool | Unknown
    platforms: tuple[Value, ...]
    labels: dict[str, Value]
    condition: Unknown | None = None


@dataclass(frozen=True)
class PublicationPlan:
    """Every image the workflow would build for ``event``, and notes on what could not be decided."""

    event: BuildEvent
    entries: tuple[ImagePublication, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def pushed(self) -> tuple[ImagePublication, ...]:
        """Entries that push (``push`` true or unknown); a plain build with ``push: false`` publishes nothing."""
        return tuple(entry for entry in self.entries if entry.push is not False)


def publication_plan(workflow: Workflow, event: BuildEvent) -> PublicationPlan:
    """The images and tags ``workflow`` would push when run for ``event``."""
    inputs = _inputs(workflow, event)
    ctx = ExprContext(github=github_context(event), inputs=inputs, inputs_complete=inputs is not None,
                      path=workflow.path)
    ctx = ctx.with_env_nodes(workflow.env)
    entries: list[ImagePublication] = []
    notes: list[str] = []
    if event.event_name not in workflow.triggers:
        notes.append(f"{workflow.path}: the workflow is not triggered by {event.event_name}")
    skipped: set[str] = set()
    for job in workflow.jobs.values():
        if _needs_skipped(job, skipped):
            skipped.add(job.id)
            notes.append(f"{workflow.where(job.line)}: job {job.id!r} is skipped: it needs a job that does not run")
            continue
        job_entries = _job_entries(workflow, job, event, ctx, notes)
        if job_entries is None:
            skipped.add(job.id)
        else:
            entries.extend(job_entries)
    return PublicationPlan(event, tuple(entries), tuple(notes))


def _needs_skipped(job: Job, skipped: set[str]) -> bool:
    # A job whose `needs` were skipped is skipped too, unless its if: asks for always()/failure()/cancelled().
    if not skipped.intersection(job.needs):
        return False
    condition = (job.if_ or "").lower()
    return not any(name in condition for name in ("always(", "failure(", "cancelled("))


def _inputs(workflow: Workflow, event: BuildEvent) -> dict[str, Any] | None:
    """The ``inputs`` context, complete; ``None`` when unknowable (a reusable workflow's caller decides)."""
    if event.event_name == "workflow_call":
        return None
    trigger = workflow.triggers.get(event.event_name)
    if event.event_name != "workflow_dispatch" or trigger is None:
        return {}  # other events have an empty inputs context
    given = dict(event.inputs or {})
    values: dict[str, Any] = {}
    for name, spec in trigger.inputs.items():
        kind = spec.get("type")
        boolean = kind is not None and kind.scalar_text() == "boolean"
        default, required = spec.get("default"), spec.get("required")
        if name in given:
            values[name] = _input_value(given[name], boolean)
        elif default is not None and not default.is_null:
            values[name] = _input_value(default.plain(), boolean)
        elif required is not None and required.value is True:
            values[name] = Unknown(f"inputs.{name}")  # the dispatcher must supply it; we cannot know it
        else:
            values[name] = False if boolean else ""
    return values


def _input_value(value: Any, boolean: bool) -> Any:
    # Dispatch sends strings; a boolean input reaches expressions as a boolean.
    if boolean and isinstance(value, str):
        return value.strip().lower() == "true"
    return value


def _job_entries(workflow: Workflow, job: Job, event: BuildEvent, ctx: ExprContext,
                 notes: list[str]) -> list[ImagePublication] | None:
    """The job's entries; ``None`` when the job does not run at all."""
    job_ctx = ctx.with_matrix(None, known=False).at(job.line)
    runs = evaluate_if(job.if_, job_ctx)
    if runs is False:
        notes.append(f"{workflow.where(job.line)}: job {job.id!r} does not run for {event.event_name} ({job.if_})")
        return None
    if job.uses is not None:
        notes.append(f"{workflow.where(job.line)}: job {job.id!r} calls {job.uses}; its builds are not expanded")
        return []
    condition = runs if isinstance(runs, Unknown) else None
    combos: tuple[dict[str, Any] | None, ...] | None = (None,) if job.matrix is None else job.matrix.combinations()
    if combos is None:
        notes.append(f"{workflow.where(job.line)}: the matrix of job {job.id!r} is an expression; not expanded")
    entries: list[ImagePublication] = []
    for combo in combos if combos is not None else (None,):
        combo_ctx = ctx.with_matrix(combo, known=combos is not None).with_env_nodes(job.env)
        entries.extend(_Walk(workflow, job, event, combo or {}, condition, notes).run(combo_ctx))
    return entries


class _Walk:
    """The steps of one job in one matrix combination."""

    def __init__(self, workflow: Workflow, job: Job, event: BuildEvent, combo: dict[str, Any],
                 condition: Unknown | None, notes: list[str]) -> None:
        self.workflow, self.job, self.event, self.combo = workflow, job, event, combo
        self.condition = condition
        self.notes = notes
        self.metadata: dict[str, MetadataResult] = {}

    def run(self, ctx: ExprContext) -> list[ImagePublication]:
        entries: list[ImagePublication] = []
        for step in self.job.steps:
            step_ctx = ctx.at(step.line).with_env_nodes(step.env)
            runs = evaluate_if(step.if_, step_ctx)
            if runs is False:
                continue
            condition = runs if isinstance(runs, Unknown) else self.condition
            if step.uses_action(METADATA_ACTION):
                result = compute_metadata(step, self.event, step_ctx)
                self.notes.extend(f"{self.workflow.where(step.line)}: {note}" for note in result.notes)
                if step.id:
                    self.metadata[step.id] = result
                    ctx = ctx.with_step_outputs(step.id, _outputs(result))
                if result.outputs is not None:  # DOCKER_METADATA_OUTPUT_* reach later steps through GITHUB_ENV
                    ctx = ctx.with_env(result.outputs.env())
            elif step.uses_action(BUILD_PUSH_ACTION):
                entries.extend(self.build(step, step_ctx, condition))
            else:
                self.note_other_pushes(step)
        return entries

    def note_other_pushes(self, step: Step) -> None:
        """Say so when a step may push images in a way this plan does not compute (never silently ignore it)."""
        where = self.workflow.where(step.line)
        if step.action is not None and step.action.lower().startswith(("docker/bake-action", "redhat-actions/push")):
            self.notes.append(f"{where}: {step.uses} may push images; its tags are not computed")
        run = " ".join((step.run or "").split())
        if any(command in run for command in ("docker push", "docker buildx build", "docker image push", "skopeo")):
            self.notes.append(f"{where}: a run: step may push images from the shell; not computed")

    def build(self, step: Step, ctx: ExprContext, condition: Unknown | None) -> list[ImagePublication]:
        references = self.references(step, ctx)
        context = text_or_unknown(input_text(step.with_.get("context"), ctx) or ".")
        file_text = input_text(step.with_.get("file"), ctx)
        dockerfile = _dockerfile(context, text_or_unknown(file_text) if file_text is not None else None)
        push = _push(input_text(step.with_.get("push"), ctx), input_text(step.with_.get("outputs"), ctx))
        platforms = tuple(text_or_unknown(item) for item in
                          split_items(input_text(step.with_.get("platforms"), ctx) or "", commas=True))
        labels = self.labels(step, ctx)
        by_image: dict[Value, list[Value]] = {}
        for reference in references:
            image, tag = _split_reference(reference)
            by_image.setdefault(image, []).append(tag)
        if not by_image:
            self.notes.append(f"{self.workflow.where(step.line)}: the build step has no tags")
        return [ImagePublication(
            job_id=self.job.id, matrix=dict(self.combo), line=step.line, step_name=step.label,
            dockerfile=dockerfile, context=context, image=image, tags=tuple(tags),
            references=tuple(_join_reference(image, tag) for tag in tags), push=push, platforms=platforms,
            labels=labels, condition=condition,
        ) for image, tags in by_image.items()]

    def references(self, step: Step, ctx: ExprContext) -> list[Value]:
        node = step.with_.get("tags")
        linked = self.linked_metadata(node, "tags")
        if linked is not None:
            return list(linked.tags)
        return [text_or_unknown(item) for item in split_items(input_text(node, ctx) or "", commas=True)]

    def labels(self, step: Step, ctx: ExprContext) -> dict[str, Value]:
        node = step.with_.get("labels")
        linked = self.linked_metadata(node, "labels")
        if linked is not None:
            return dict(linked.labels)
        labels: dict[str, Value] = {}
        for item in split_items(input_text(node, ctx) or "", commas=False):
            key, _, value = item.partition("=")
            labels[key.strip()] = text_or_unknown(value.strip())
        return labels

    def linked_metadata(self, node: Node | None, output: str) -> MetadataResult | None:
        """The metadata step behind ``${{ steps.<id>.outputs.<output> }}`` when that is the whole input."""
        if node is None or not node.is_string:
            return None
        text = node.scalar_text().strip()
        found = find_expressions(text, path=self.workflow.path, line=node.line)
        if len(found) != 1 or found[0][0] != 0 or found[0][1] != len(text):
            return None
        tree = parse_expression(found[0][2], path=self.workflow.path, line=node.line)
        if not (isinstance(tree, Property) and tree.name.lower() == output and isinstance(tree.target, Property)
                and tree.target.name.lower() == "outputs" and isinstance(tree.target.target, Property)
                and isinstance(tree.target.target.target, Name) and tree.target.target.target.name == "steps"):
            return None
        return self.metadata.get(tree.target.target.name)


def _outputs(result: MetadataResult) -> dict[str, Any]:
    if result.outputs is not None or result.tags == ():
        return {"outputs": result.step_outputs()}
    def joined(values: list[Value]) -> Value:
        if any(isinstance(value, Unknown) for value in values):
            return Unknown("\n".join(str(value) for value in values), template=True)
        return "\n".join(str(value) for value in values)
    version = result.versions[0] if result.versions else ""
    labels = [f"{key}={value}" for key, value in result.labels.items()]
    return {"outputs": {"tags": joined(list(result.tags)), "version": version,
                        "labels": Unknown("\n".join(labels), template=True)}}


def _dockerfile(context: Value, file: Value | None) -> Value:
    if file is None:
        if isinstance(context, Unknown):
            return Unknown(f"{context}/Dockerfile", template=True)
        return posixpath.normpath(posixpath.join(context, "Dockerfile"))
    return file if isinstance(file, Unknown) else posixpath.normpath(file)


def _push(push: str | None, outputs: str | None) -> bool | Unknown:
    """``push:`` (default false), or an ``outputs:`` exporter that pushes (``type=registry``, ``push=true``)."""
    value = _boolean(push)
    if value is False and outputs is not None:
        exporter = outputs.replace(" ", "").lower()
        if "type=registry" in exporter or "push=true" in exporter:
            return True
    return value


def _boolean(text: str | None) -> bool | Unknown:
    if text is None or not text.strip():
        return False
    if "${{" in text:
        return Unknown(text, template=True)
    return text.strip().lower() == "true"


def _split_reference(reference: Value) -> tuple[Value, Value]:
    """``ghcr.io/a/b:tag`` -> (``ghcr.io/a/b``, ``tag``); a registry port's colon is not a tag separator."""
    text = str(reference)
    masked = text
    for start, end, _ in find_expressions(text):  # a ':' inside ${{ }} separates nothing
        masked = masked[:start] + "x" * (end - start) + masked[end:]
    colon = masked.rfind(":")
    if colon > masked.rfind("/"):
        image, tag = text[:colon], text[colon + 1:]
    else:
        image, tag = text, "latest"  # docker's default when no tag is given
    return text_or_unknown(image), text_or_unknown(tag)


def _join_reference(image: Value, tag: Value) -> Value:
    return text_or_unknown(f"{image}:{tag}")
