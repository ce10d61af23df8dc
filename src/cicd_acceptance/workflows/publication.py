"""What a build workflow would push for a given event, computed statically.

:func:`publication_plan` first asks whether the event runs the workflow at all (its trigger and, for ``push``,
the branch/tag filters): when not, the plan says so (:attr:`PublicationPlan.no_run`) and has no entries. Then it
walks every job whose ``if:`` can be true for the event (job ``if:`` is evaluated without a matrix, as GitHub
does), every matrix combination (``${{ }}`` in the matrix evaluated; one from ``fromJSON(needs.x.outputs...)`` is
unknown), and every step in order (:mod:`.pubsteps`). A job that calls a reusable workflow of the same repository
(``uses: ./.github/workflows/x.yml``) is expanded with the callee's inputs (the caller's ``with:``, else the
callee's defaults) and the caller's event; local composite actions are expanded likewise. Nesting is bounded.

Values that cannot be known offline are kept as :class:`Unknown` and shown as written; when a condition is
unknown the entry is kept and :attr:`ImagePublication.condition` says why it might not run. An expression that
cannot be evaluated makes that one value unknown (and adds a note), never the whole workflow unreadable.

``tags`` are bare tags of ``image`` (``sha-0123abc``, ``latest``); ``references`` are the full ``image:tag``.
build-push-action defaults: ``push`` false; ``context`` is the checkout (shown as ``.``); ``file`` is
``{context}/Dockerfile``, while an explicit ``file:`` is relative to the repository root, not to the context.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from cicd_acceptance.errors import HarnessError
from cicd_acceptance.workflows.event import BuildEvent, github_context
from cicd_acceptance.workflows.expr_values import PartialObject
from cicd_acceptance.workflows.expressions import ExprContext, Unknown, env_text, evaluate_if, resolve
from cicd_acceptance.workflows.localfiles import MAX_DEPTH, LocalFiles
from cicd_acceptance.workflows.matrix import evaluated_combinations
from cicd_acceptance.workflows.model import Job, Workflow
from cicd_acceptance.workflows.pubsteps import (
    BUILD_PUSH_ACTION,
    METADATA_ACTION,
    ImagePublication,
    JobWalk,
    LoginRecord,
    PlanFault,
    PlanState,
    finish,
    may_publish,
    remote_call,
    safe_env,
)
from cicd_acceptance.workflows.yamlnode import Node

__all__ = [
    "BUILD_PUSH_ACTION",
    "METADATA_ACTION",
    "BuildEvent",
    "ImagePublication",
    "LoginRecord",
    "PlanFault",
    "PublicationPlan",
    "Unknown",
    "publication_plan",
]


@dataclass(frozen=True)
class PublicationPlan:
    """Every image the workflow would build for ``event``, and notes on what could not be decided.

    ``no_run`` is set (and ``entries`` is empty) when the event does not run the workflow at all.
    """

    event: BuildEvent
    entries: tuple[ImagePublication, ...]
    notes: tuple[str, ...] = field(default=())
    no_run: str | None = None
    logins: tuple[LoginRecord, ...] = ()
    faults: tuple[PlanFault, ...] = ()  # files the build's tools would refuse (a bake file that is not HCL)

    @property
    def pushed(self) -> tuple[ImagePublication, ...]:
        """Entries that push (``push`` true or unknown); a plain build with ``push: false`` publishes nothing."""
        return tuple(entry for entry in self.entries if entry.push is not False)

    @property
    def runs(self) -> bool:
        return self.no_run is None


def publication_plan(workflow: Workflow, event: BuildEvent, *, files: LocalFiles | None = None) -> PublicationPlan:
    """The images and tags ``workflow`` would push when run for ``event``; ``files`` reads the repository's own
    reusable workflows and composite actions (without it, calls to them are noted, not expanded)."""
    no_run = _no_run(workflow, event)
    if no_run is not None:
        return PublicationPlan(event, (), (f"{workflow.path}: {no_run}",), no_run)
    state = PlanState(files=files)
    inputs = _dispatch_inputs(workflow, event)
    ctx = ExprContext(github=github_context(event), inputs=inputs, inputs_complete=True, path=workflow.path)
    _plan_jobs(workflow, event, safe_env(ctx, workflow.env, state.notes), state, depth=0, prefix="", outer={})
    finish(state)
    return PublicationPlan(event, tuple(state.entries), tuple(state.notes), logins=tuple(state.logins),
                           faults=tuple(dict.fromkeys(state.faults)))


def _no_run(workflow: Workflow, event: BuildEvent) -> str | None:
    """Why ``event`` does not start ``workflow`` (``None`` when it does)."""
    trigger = workflow.triggers.get(event.event_name)
    if trigger is None:
        return f"no run for this event: the workflow is not triggered by {event.event_name}"
    if event.event_name == "push" and not trigger.admits_ref(event.ref):
        return f"no run for this event: the push filters do not admit {event.ref}"
    return None


def _plan_jobs(workflow: Workflow, event: BuildEvent, ctx: ExprContext, state: PlanState, *, depth: int,
               prefix: str, outer: dict[str, Any]) -> None:
    """Plan every job; ``prefix`` and ``outer`` (the calling job's id and matrix combination) name the entries of a
    reusable workflow after the job that called it."""
    skipped: set[str] = set()
    outputs: dict[str, Any] = {}  # job id -> its `needs.<id>` object, for the jobs whose outputs were computed
    for job in workflow.jobs.values():
        if _needs_skipped(job, skipped):
            skipped.add(job.id)
            state.notes.append(f"{workflow.where(job.line)}: job {job.id!r} is skipped: it needs a job that does "
                               f"not run")
            continue
        needs = {name: outputs[name] for name in job.needs if name in outputs}
        ran, computed = _plan_job(workflow, job, event, replace(ctx, needs=needs), state, depth=depth,
                                  prefix=prefix, outer=outer)
        if not ran:
            skipped.add(job.id)
        elif computed is not None:
            outputs[job.id] = PartialObject({"outputs": PartialObject(computed, f"needs.{job.id}.outputs")},
                                            f"needs.{job.id}")


def _needs_skipped(job: Job, skipped: set[str]) -> bool:
    # A job whose `needs` were skipped is skipped too, unless its if: asks for always()/failure()/cancelled().
    if not skipped.intersection(job.needs):
        return False
    condition = (job.if_ or "").lower()
    return not any(name in condition for name in ("always(", "failure(", "cancelled("))


def _dispatch_inputs(workflow: Workflow, event: BuildEvent) -> dict[str, Any]:
    """The ``inputs`` context of a run: dispatch inputs with their defaults; empty for other events."""
    trigger = workflow.triggers.get(event.event_name)
    if event.event_name != "workflow_dispatch" or trigger is None:
        return {}
    return _input_values(trigger.inputs, dict(event.inputs or {}))


def _input_values(specs: dict[str, Node], given: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, spec in specs.items():
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


def _plan_job(workflow: Workflow, job: Job, event: BuildEvent, ctx: ExprContext, state: PlanState, *,
              depth: int, prefix: str, outer: dict[str, Any]) -> tuple[bool, dict[str, Any] | None]:
    """Add the job's entries. Returns whether the job runs at all, and its ``outputs:`` as far as known (None when
    not computed: a matrix job's outputs come from whichever leg finishes last, a call's from the callee)."""
    job_ctx = ctx.with_matrix(None, known=False).at(job.line)
    runs = _safe_if(job.if_, job_ctx, workflow, state)
    if runs is False:
        state.notes.append(f"{workflow.where(job.line)}: job {job.id!r} does not run for {event.event_name} "
                           f"({job.if_})")
        return False, None
    condition = runs if isinstance(runs, Unknown) else None
    declared = job.node.get("outputs")
    if job.uses is None and not any(may_publish(step) for step in job.steps) and declared is None:
        return True, None  # lint, test...: nothing in it can build, log in or push, and it offers no outputs
    combos = _combinations(workflow, job, job_ctx, state)
    computed: dict[str, Any] | None = None
    for combo in combos if combos is not None else (None,):
        combo_ctx = ctx.with_matrix(combo, known=combos is not None)
        if job.uses is not None:
            _call(workflow, job, event, combo_ctx.at(job.line), state, depth=depth, prefix=prefix,
                  outer={**outer, **(combo or {})}, condition=condition)
            continue
        walk = JobWalk(workflow.path, f"{prefix}{job.id}", event, {**outer, **(combo or {})}, condition, state)
        walk.run_dir = _run_default(job.node, "working-directory") or _run_default(workflow.node, "working-directory")
        after = walk.run(job.steps, safe_env(combo_ctx, job.env, state.notes), depth=depth)
        if declared is not None and declared.is_mapping and combos == (None,):
            computed = _job_outputs(declared, after, workflow, state)
    return True, computed


def _job_outputs(declared: Node, ctx: ExprContext, workflow: Workflow, state: PlanState) -> dict[str, Any]:
    """The job's outputs the plan knows, as the runner sets them (strings), partly known ones included. One that is
    just another job's expression is left out, so that ``${{ needs.x.outputs.y }}`` reads as written where used."""
    computed: dict[str, Any] = {}
    for name, node in declared.items():
        value = _safe_resolve(node, ctx, workflow, state)
        if not isinstance(value, Unknown):
            computed[name] = env_text(value)
        elif value.template:
            computed[name] = value
    return computed


def _run_default(node: Node, key: str) -> str | None:
    """``defaults.run.<key>`` of a job or workflow node, as written."""
    defaults = node.get("defaults")
    run = defaults.get("run") if defaults is not None and defaults.is_mapping else None
    value = run.get(key) if run is not None and run.is_mapping else None
    return value.scalar_text() if value is not None and value.is_scalar else None


def _combinations(workflow: Workflow, job: Job, ctx: ExprContext,
                  state: PlanState) -> tuple[dict[str, Any] | None, ...] | None:
    """``(None,)`` without a matrix; the evaluated combinations; ``None`` when the matrix is unknown offline."""
    if job.matrix is None:
        return (None,)
    if not job.matrix.is_symbolic and not _has_expression(job.matrix.node):
        return job.matrix.combinations() or ()

    def evaluate(text: str) -> Any:
        try:
            return resolve(text, ctx)
        except HarnessError:
            return Unknown(text, template=True)

    combos = evaluated_combinations(job.matrix, evaluate, lambda value: isinstance(value, Unknown))
    if combos is None:
        state.notes.append(f"{workflow.where(job.matrix.line)}: the matrix of job {job.id!r} is known only at run "
                           f"time; not expanded")
    return combos


def _has_expression(node: Node) -> bool:
    if node.is_string:
        return "${{" in node.scalar_text()
    return any(_has_expression(child) for child in (*node.elements(), *(child for _, child in node.items())))


def _safe_if(condition: str | None, ctx: ExprContext, workflow: Workflow, state: PlanState) -> bool | Unknown:
    try:
        return evaluate_if(condition, ctx)
    except HarnessError as exc:
        state.notes.append(f"{workflow.where(ctx.line)}: the condition {condition!r} cannot be evaluated ({exc})")
        return Unknown(condition or "", template=True)


def _call(workflow: Workflow, job: Job, event: BuildEvent, ctx: ExprContext, state: PlanState, *, depth: int,
          prefix: str, outer: dict[str, Any], condition: Unknown | None) -> None:
    """Expand a reusable workflow of the same repository: the callee sees the caller's event and its inputs.
    One of another repository may push anything: an undecided entry, never "no images"."""
    uses = job.uses or ""
    where = workflow.where(job.line)
    if not uses.startswith("./") or state.files is None:
        state.notes.append(f"{where}: job {job.id!r} calls {uses}; its builds are not expanded")
        if not uses.startswith("./"):
            remote_call(state, workflow.path, f"{prefix}{job.id}", outer, job.line, uses, condition)
        return
    if depth >= MAX_DEPTH:
        state.notes.append(f"{where}: job {job.id!r} calls {uses} deeper than {MAX_DEPTH} levels; not expanded")
        return
    try:
        callee = state.files.workflow(uses)
    except HarnessError as exc:
        state.notes.append(f"{where}: job {job.id!r} calls {uses}, which cannot be read ({exc})")
        return
    trigger = callee.triggers.get("workflow_call")
    if trigger is None:
        state.notes.append(f"{where}: {uses} has no workflow_call trigger; GitHub would refuse the call")
        return
    given = {name: _safe_resolve(node, ctx, workflow, state) for name, node in job.with_.items()}
    inputs = _input_values(trigger.inputs, given)
    callee_ctx = ExprContext(github=ctx.github, inputs=inputs, inputs_complete=True, path=callee.path)
    _plan_jobs(callee, event, safe_env(callee_ctx, callee.env, state.notes), state, depth=depth + 1,
               prefix=f"{prefix}{job.id}/", outer=outer)


def _safe_resolve(node: Node, ctx: ExprContext, workflow: Workflow, state: PlanState) -> Any:
    try:
        return resolve(node, ctx.at(node.line))
    except HarnessError as exc:
        state.notes.append(f"{workflow.where(node.line)}: {exc}")
        return Unknown(node.scalar_text(), template=True)
