"""The steps of one job in one matrix combination, as the publication plan reads them.

* ``docker/metadata-action`` is computed (:mod:`.metadata`); its outputs are offered to later steps through
  ``steps.<id>.outputs`` (``tags``, ``labels``, ``version``, ``json``) and ``DOCKER_METADATA_OUTPUT_*``.
* ``docker/build-push-action`` yields one :class:`ImagePublication` per image it tags; with
  ``outputs: type=image,push-by-digest=true,...`` it pushes a digest only (``by_digest``), and the tags come from a
  later ``docker buildx imagetools create`` (the merge step, which then owns the publication).
* ``run:`` steps are read for ``docker build``/``buildx build``/``tag``/``push``/``imagetools create``
  (:mod:`.shell`); images built earlier in the job are remembered, so a later ``docker push`` knows its Dockerfile.
* ``uses: ./path`` of a composite action runs its steps with the action's inputs (bounded nesting).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cicd_acceptance.errors import HarnessError
from cicd_acceptance.workflows.actioninputs import BUILD_PUSH_BOOLEANS, boolean_input
from cicd_acceptance.workflows.bake import BakeRequest, BakeSource, BakeTarget, compute_bake
from cicd_acceptance.workflows.bakefile import data_file
from cicd_acceptance.workflows.event import BuildEvent
from cicd_acceptance.workflows.expr_parser import Name, Property, parse_expression
from cicd_acceptance.workflows.expr_values import PartialObject, to_text
from cicd_acceptance.workflows.expressions import (
    ExprContext,
    Unknown,
    env_text,
    evaluate,
    evaluate_if,
    find_expressions,
    resolve,
)
from cicd_acceptance.workflows.listinput import input_text, parse_attributes, split_items, text_or_unknown
from cicd_acceptance.workflows.localfiles import MAX_DEPTH, LocalFiles
from cicd_acceptance.workflows.metadata import MetadataResult, compute_metadata
from cicd_acceptance.workflows.model import Step
from cicd_acceptance.workflows.shell import (
    Bake,
    Build,
    Imagetools,
    Login,
    Publisher,
    Push,
    ShellScript,
    Tag,
    read_script,
    runs_image_tools,
)
from cicd_acceptance.workflows.yamlnode import Node

__all__ = ["BUILD_PUSH_ACTION", "LOGIN_ACTION", "METADATA_ACTION", "ImagePublication", "JobWalk", "LoginRecord",
           "PlanFault", "PlanState", "finish", "may_publish", "remote_call", "safe_env"]

BUILD_PUSH_ACTION = "docker/build-push-action"
METADATA_ACTION = "docker/metadata-action"
LOGIN_ACTION = "docker/login-action"
BAKE_ACTION = "docker/bake-action"
_DEFAULT_CONTEXT = "{{defaultContext}}"
REVISION_LABEL = "org.opencontainers.image.revision"  # build-push-action's Git context of the commit
GORELEASER_ACTION = "goreleaser/goreleaser-action"
SETUP_KO_ACTION = "ko-build/setup-ko"
BUILDAH_ACTION = "redhat-actions/buildah-build"
PUSH_TO_REGISTRY_ACTION = "redhat-actions/push-to-registry"
# Owners of actions that can build, push or log in: a job without any of them (and no script running an image
# tool) cannot publish, so the walk skips it.
_IMAGE_ACTION_OWNERS = ("docker/", "redhat-actions/", "goreleaser/", "ko-build/")
# Another author's action that builds and pushes images (kaniko, "build-push-image", "push-to-ghcr"...): named so,
# and given what a push needs. What it pushes is undecided; scanners, signers and description updaters push none.
_IMAGE_ACTION_NAME = re.compile(r"docker|container|kaniko|ghcr|buildah|podman|oci|image|build-push|publish",
                                re.IGNORECASE)
_NOT_A_PUSHER = re.compile(r"description|scan|lint|trivy|grype|scout|sbom|cosign|sign|attest|delete|clean|prune|"
                           r"retention|setup|install|cache|test|inspect|upload|download", re.IGNORECASE)
_SCRIPT_PUBLISHER = re.compile(
    r"^\s*(?:sudo\s+)?(?:make|just|task|mage|bash|sh|\./|scripts/|hack/|ci/|build/)\S*[^\n]*?"
    r"(?:docker|image|push|publish|release|container|ghcr)", re.MULTILINE | re.IGNORECASE)
_PUSH_INPUTS = {"push", "tags", "tag", "image", "images", "image-name", "image_name", "image-tags", "image_tags",
                "registry", "destination"}

Value = str | Unknown


@dataclass(frozen=True)
class ImagePublication:
    """One image that one step pushes (or builds, when ``push`` is false) in one matrix combination.

    ``path`` is the file of the step (a reusable workflow or composite action when the build lives there);
    ``via`` says how it publishes; ``by_digest`` marks a push of a digest without tags; ``labels_from`` says where
    the labels come from (``labels:`` input, metadata-action, ``--label``).
    """

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
    path: str = ""
    via: str = BUILD_PUSH_ACTION
    by_digest: bool = False
    labels_from: str = ""
    build_args: dict[str, Value] = field(default_factory=dict)
    labels_line: int = 0
    order: int = 0
    uncomputed: bool = False  # a tool pushes what its own configuration says (bake file, .goreleaser.yaml...)
    refused: str = ""  # an input the action refuses (`push: yes`), as written: the step fails, nothing is pushed
    # The build cache of a bake target (a build-push-action step's cache is read from the step itself).
    cache_from: tuple[Value, ...] = ()
    cache_to: tuple[Value, ...] = ()
    no_cache: bool | Unknown = False


@dataclass(frozen=True)
class PlanFault:
    """A file the build reads that its tool would refuse (a bake file that is not HCL): the build fails there."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


@dataclass(frozen=True)
class LoginRecord:
    """A registry login of a job (docker/login-action or ``docker login``); ``password`` is its source as written
    (the input, or what is piped into ``--password-stdin``); ``order`` places it among the job's pushes."""

    job_id: str
    path: str
    line: int
    registry: Value
    username: Value | None
    password: str
    via: str
    order: int


@dataclass
class PlanState:
    """What the walk accumulates across jobs: entries, logins, notes, and the repository's own files."""

    files: LocalFiles | None
    entries: list[ImagePublication] = field(default_factory=list)
    logins: list[LoginRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    faults: list[PlanFault] = field(default_factory=list)
    counter: int = 0
    # Scripts that call a build tool named for images (`make docker-push`, `./scripts/publish-images.sh`): what
    # they push is not read. They speak for the plan only when nothing else in it publishes (see `finish`).
    scripts: list[ImagePublication] = field(default_factory=list)

    def next_order(self) -> int:
        self.counter += 1
        return self.counter


@dataclass(frozen=True)
class _Built:
    """An image built in this job (remembered by reference, so that a later push knows where it came from)."""

    dockerfile: Value
    context: Value
    platforms: tuple[Value, ...]
    labels: dict[str, Value]
    labels_from: str
    build_args: dict[str, Value]
    labels_line: int = 0


def may_publish(step: Step) -> bool:
    """Whether a step can matter to the plan: a docker action, a local action, another image-pushing action, or a
    script that runs docker (or ko, compose, goreleaser...)."""
    if step.uses is not None:
        return (step.uses.startswith("./") or (step.action or "").lower().startswith(_IMAGE_ACTION_OWNERS)
                or _other_image_action(step))
    return runs_image_tools(step.run or "") or _SCRIPT_PUBLISHER.search(step.run or "") is not None


def _other_image_action(step: Step) -> bool:
    action = step.action or ""
    if action.lower().startswith(("actions/", "docker/")) or action.startswith(("./", "docker://")):
        return False
    return (_IMAGE_ACTION_NAME.search(action) is not None and _NOT_A_PUSHER.search(action) is None
            and any(key.lower() in _PUSH_INPUTS for key in step.with_))


def safe_env(ctx: ExprContext, env: Mapping[str, Node], notes: list[str]) -> ExprContext:
    """Layer an ``env:`` block; a value that cannot be evaluated is unknown (with a note), the others are kept."""
    values: dict[str, Any] = {}
    for name, node in env.items():
        try:
            values[name] = env_text(resolve(node, ctx.at(node.line)))
        except HarnessError as exc:
            notes.append(f"{_located(exc, ctx.path, node.line)} (env {name} is unknown)")
            values[name] = Unknown(node.scalar_text(), template=True)
    return ctx.with_env(values)


def _located(exc: HarnessError, path: str, line: int) -> str:
    """The error's message with ``path:line`` in front, once."""
    text = str(exc)
    return text if text.startswith(f"{path}:") else f"{path}:{line}: {text}"


def _safe_input(node: Node | None, ctx: ExprContext, notes: list[str]) -> str | None:
    try:
        return input_text(node, ctx)
    except HarnessError as exc:
        assert node is not None  # input_text(None) cannot fail
        notes.append(_located(exc, ctx.path, node.line))
        return _confined(node.scalar_text(), ctx.at(node.line))


def _confined(text: str, ctx: ExprContext) -> str:
    """``text`` with each ``${{ }}`` evaluated on its own: one that fails stays as written (unknown), the others
    are substituted. Unterminated braces make the whole value one unknown (without the braces no reader could
    parse again)."""
    try:
        spans = find_expressions(text, path=ctx.path, line=ctx.line)
    except HarnessError:
        return "${{ " + text.replace("${{", "").replace("}}", "").strip() + " }}"
    pieces: list[str] = []
    position = 0
    for start, end, source in spans:
        pieces.append(text[position:start])
        try:
            value = evaluate(source, ctx)
        except HarnessError:
            value = Unknown(text[start:end], template=True)
        pieces.append(value.display() if isinstance(value, Unknown) else to_text(value))
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


class JobWalk:
    """The steps of one job in one matrix combination."""

    def __init__(self, path: str, job_id: str, event: BuildEvent, combo: dict[str, Any],
                 condition: Unknown | None, state: PlanState) -> None:
        self.path, self.job_id, self.event, self.combo = path, job_id, event, combo
        self.condition = condition
        self.state = state
        self.metadata: dict[str, MetadataResult] = {}
        self.latest_metadata: MetadataResult | None = None
        self.built: dict[str, _Built] = {}
        self.names: dict[str, Value] = {}  # the references behind the keys of ``built``, known or not
        self.run_dir: str | None = None  # `defaults.run.working-directory` of the job, else of the workflow
        self.workdir: Value = "."  # where the current script runs (relative to the checkout)

    @property
    def notes(self) -> list[str]:
        return self.state.notes

    def where(self, line: int, path: str | None = None) -> str:
        return f"{path or self.path}:{line}"

    def run(self, steps: tuple[Step, ...], ctx: ExprContext, *, depth: int, path: str | None = None) -> ExprContext:
        """Walk ``steps`` (of the job, or of a composite action in ``path``); returns the context after them."""
        path = path or self.path
        for step in steps:
            step_ctx = safe_env(ctx.at(step.line, path), step.env, self.notes)
            try:
                runs = evaluate_if(step.if_, step_ctx)
            except HarnessError as exc:
                self.notes.append(f"{self.where(step.line, path)}: the step's if: cannot be evaluated ({exc})")
                runs = Unknown(step.if_ or "", template=True)
            if runs is False:
                continue
            condition = runs if isinstance(runs, Unknown) else self.condition
            if step.uses_action(METADATA_ACTION):
                ctx = self.metadata_step(step, step_ctx, ctx)
            elif step.uses_action(BUILD_PUSH_ACTION):
                self.build(step, step_ctx, condition, path)
            elif step.uses_action(LOGIN_ACTION):
                self.login(step, step_ctx, path)
            elif step.run is not None:
                ctx = self.script(step, step_ctx, ctx, condition, path)
            elif step.uses is not None and step.uses.startswith("./"):
                self.composite(step, step_ctx, depth, path)
            else:
                ctx = self.tool_action(step, step_ctx, ctx, condition, path)
        return ctx

    # --- docker/metadata-action ----------------------------------------------------------------------------
    def metadata_step(self, step: Step, step_ctx: ExprContext, ctx: ExprContext) -> ExprContext:
        try:
            result = compute_metadata(step, self.event, step_ctx)
        except HarnessError as exc:
            self.notes.append(f"{self.where(step.line, step_ctx.path)}: metadata cannot be computed ({exc})")
            return ctx
        self.notes.extend(f"{self.where(step.line, step_ctx.path)}: {note}" for note in result.notes)
        self.latest_metadata = result
        outputs = _outputs(result)
        if result.outputs is not None:  # DOCKER_METADATA_OUTPUT_* reach later steps through GITHUB_ENV
            ctx = ctx.with_env(result.outputs.env())
        if step.id:
            self.metadata[step.id] = result
            if isinstance(outputs.get("version"), Unknown):
                # A version only a run decides reads as written (`${{ steps.meta.outputs.version }}`), not as
                # the list of candidates the metadata step holds.
                outputs["version"] = Unknown(f"steps.{step.id}.outputs.version")
            ctx = ctx.with_step_outputs(step.id, PartialObject(
                {"outputs": PartialObject(outputs, f"steps.{step.id}.outputs")}, f"steps.{step.id}"))
        return ctx

    # --- docker/login-action -----------------------------------------------------------------------------
    def login(self, step: Step, ctx: ExprContext, path: str) -> None:
        registry = _safe_input(step.with_.get("registry"), ctx, self.notes)
        username = _safe_input(step.with_.get("username"), ctx, self.notes)
        self.state.logins.append(LoginRecord(
            self.job_id, path, step.line, text_or_unknown(registry) if registry else "docker.io",
            text_or_unknown(username) if username else None, (step.with_text("password") or "").strip(),
            LOGIN_ACTION, self.state.next_order()))

    # --- docker/build-push-action -------------------------------------------------------------------------
    def build(self, step: Step, ctx: ExprContext, condition: Unknown | None, path: str) -> None:
        notes = self.notes
        context = text_or_unknown(_safe_input(step.with_.get("context"), ctx, notes) or ".")
        file_text = _safe_input(step.with_.get("file"), ctx, notes)
        file = text_or_unknown(file_text) if file_text is not None else None
        if isinstance(context, str) and context.startswith(_DEFAULT_CONTEXT):
            # The Git context of the commit, at a subdirectory: `file:` is then relative to that subdirectory.
            context = posixpath.normpath(context[len(_DEFAULT_CONTEXT):].removeprefix(":") or ".")
            if isinstance(file, str):
                file = posixpath.join(context, file)
        dockerfile = _dockerfile(context, file)
        outputs = _safe_input(step.with_.get("outputs"), ctx, notes)
        push = _push(_safe_input(step.with_.get("push"), ctx, notes), outputs)
        refused = _refused_boolean(step, ctx, notes)
        if refused is not None:
            push = False  # the action throws before it builds: nothing is published
        by_digest = outputs is not None and "push-by-digest=true" in outputs.replace(" ", "").lower()
        platforms = tuple(text_or_unknown(item) for item in
                          split_items(_safe_input(step.with_.get("platforms"), ctx, notes) or "", commas=True))
        labels, labels_from = self.labels(step, ctx)
        build_args = _key_values(_safe_input(step.with_.get("build-args"), ctx, notes))
        built = _Built(dockerfile, context, platforms, labels, labels_from, build_args, _line_of(step, "labels"))
        references = self.references(step, ctx)
        if by_digest:
            names = _output_names(outputs or "") or [_split_reference(reference)[0] for reference in references]
            for name in dict.fromkeys(names):
                self.add(step, path, built, name, (), push=push, condition=condition, by_digest=True,
                         line=refused[1] if refused else _line_of(step, "outputs"),
                         refused=refused[0] if refused else "")
            return
        by_image: dict[Value, list[Value]] = {}
        for reference in references:
            if _whole_expression(reference):
                # `tags: ${{ needs.meta.outputs.tags }}`: a list of references only a run knows, not one image
                # tagged `latest` by docker's default.
                self.add(step, path, built, reference, (), push=push, condition=condition,
                         line=refused[1] if refused else step.line, uncomputed=True,
                         refused=refused[0] if refused else "")
                continue
            image, tag = _split_reference(reference)
            by_image.setdefault(image, []).append(tag)
            self.built[str(reference)] = built
            self.names[str(reference)] = reference
        if not references:
            self.notes.append(f"{self.where(step.line, path)}: the build step has no tags")
        for image, tags in by_image.items():
            line = refused[1] if refused else (
                _line_of(step, "push") if push is False and "push" in step.with_ else step.line)
            self.add(step, path, built, image, tuple(tags), push=push, condition=condition, line=line,
                     refused=refused[0] if refused else "")

    def add(self, step: Step, path: str, built: _Built, image: Value, tags: tuple[Value, ...], *,
            push: bool | Unknown, condition: Unknown | None, line: int, via: str = BUILD_PUSH_ACTION,
            by_digest: bool = False, uncomputed: bool = False, refused: str = "",
            target: BakeTarget | None = None) -> None:
        extra: dict[str, Any] = {"by_digest": by_digest, "uncomputed": uncomputed, "refused": refused}
        if target is not None:  # a bake target's build cache (a build-push-action step's is read from the step)
            extra.update(cache_from=target.cache_from, cache_to=target.cache_to, no_cache=target.no_cache)
        if isinstance(image, str) and not image.strip():
            # `-t :sha-x` names no image (docker refuses it): shown as written, never as an empty name.
            written = [f"{image}:{tag}" for tag in tags] or [image]
            self.notes.append(f"{self.where(line, path)}: {', '.join(repr(w) for w in written)} names no image: "
                              f"docker refuses a reference without a name")
            for reference in written:
                self._append(step, path, built, reference, (), push=push, condition=condition, line=line, via=via,
                             extra=extra)
            return
        self._append(step, path, built, image, tags, push=push, condition=condition, line=line, via=via, extra=extra)

    def _append(self, step: Step, path: str, built: _Built, image: Value, tags: tuple[Value, ...], *,
                push: bool | Unknown, condition: Unknown | None, line: int, via: str, extra: dict[str, Any]) -> None:
        self.state.entries.append(ImagePublication(
            job_id=self.job_id, matrix=dict(self.combo), line=line, step_name=step.label,
            dockerfile=built.dockerfile, context=built.context, image=image, tags=tags,
            references=tuple(_join_reference(image, tag) for tag in tags), push=push, platforms=built.platforms,
            labels=built.labels, condition=condition, path=path, via=via,
            labels_from=built.labels_from, build_args=built.build_args, labels_line=built.labels_line,
            order=self.state.next_order(), **extra,
        ))

    def references(self, step: Step, ctx: ExprContext) -> list[Value]:
        node = step.with_.get("tags")
        linked = self.linked_metadata(node, "tags", ctx.path)
        if linked is not None:
            return list(linked.tags)
        return [text_or_unknown(item) for item in split_items(_safe_input(node, ctx, self.notes) or "", commas=True)]

    def labels(self, step: Step, ctx: ExprContext) -> tuple[dict[str, Value], str]:
        node = step.with_.get("labels")
        if node is None:
            return {}, ""
        linked = self.linked_metadata(node, "labels", ctx.path)
        if linked is not None:
            return dict(linked.labels), f"docker/metadata-action's labels output ({node.scalar_text().strip()})"
        labels = _key_values(_safe_input(node, ctx, self.notes))
        for key in [key for key, value in labels.items() if "${{" in key and value == ""]:
            # `${{ needs.x.outputs.labels }}`: a whole list only a run knows, the revision label maybe among them.
            del labels[key]
            labels.setdefault(REVISION_LABEL, Unknown(key, template=True))
        return labels, f"the labels: input at line {node.line}"

    def linked_metadata(self, node: Node | None, output: str, path: str) -> MetadataResult | None:
        """The metadata step behind ``${{ steps.<id>.outputs.<output> }}`` when that is the whole input."""
        if node is None or not node.is_string:
            return None
        text = node.scalar_text().strip()
        try:
            found = find_expressions(text, path=path, line=node.line)
            if len(found) != 1 or found[0][0] != 0 or found[0][1] != len(text):
                return None
            tree = parse_expression(found[0][2], path=path, line=node.line)
        except HarnessError:
            return None
        if not (isinstance(tree, Property) and tree.name.lower() == output and isinstance(tree.target, Property)
                and tree.target.name.lower() == "outputs" and isinstance(tree.target.target, Property)
                and isinstance(tree.target.target.target, Name) and tree.target.target.target.name == "steps"):
            return None
        return self.metadata.get(tree.target.target.name)

    # --- run: scripts --------------------------------------------------------------------------------------
    def script(self, step: Step, step_ctx: ExprContext, ctx: ExprContext, condition: Unknown | None,
               path: str) -> ExprContext:
        def expression(source: str) -> Value:
            try:
                value = evaluate(source, step_ctx)
            except HarnessError:
                return Unknown(source)
            return value if isinstance(value, Unknown) else to_text(value)

        env = {name: value if isinstance(value, Unknown) else to_text(value) for name, value in step_ctx.env.items()}
        env.update(_runner_env(self.event))
        script = read_script(step.run or "", env=env, expression=expression,
                             metadata_tags=lambda: self.latest_metadata.tags if self.latest_metadata else None)
        first = _script_line(step)
        self.notes.extend(f"{self.where(first, path)}: {note}" for note in script.notes)
        run = step.run or ""
        if not script.commands and (found := _SCRIPT_PUBLISHER.search(run)) is not None:
            start = run.rfind("\n", 0, found.start()) + 1
            end = run.find("\n", found.end())
            self.publishing_script(step, run[start:end if end != -1 else len(run)].strip(), condition, path,
                                   first + run.count("\n", 0, start))
        self.workdir = self.working_directory(step.working_directory or self.run_dir, step_ctx)
        self.shell_commands(step, script, condition, path, first)
        # What the shell computed stays unknown, shown (in later `${{ }}`) as the expression that reads it.
        if script.github_env:
            ctx = ctx.with_env({name: Unknown(f"env.{name}") if isinstance(value, Unknown) else value
                                for name, value in script.github_env.items()})
        if step.id and script.github_output:
            outputs = {name: Unknown(f"steps.{step.id}.outputs.{name}") if isinstance(value, Unknown) else value
                       for name, value in script.github_output.items()}
            ctx = ctx.with_step_outputs(step.id, PartialObject(
                {"outputs": PartialObject(outputs, f"steps.{step.id}.outputs")}, f"steps.{step.id}"))
        return ctx

    def publishing_script(self, step: Step, command: str, condition: Unknown | None, path: str, line: int) -> None:
        tool = f"run: {command[:60]}"
        unknown = Unknown(f"the images {tool} pushes", template=True)
        self.state.scripts.append(ImagePublication(
            job_id=self.job_id, matrix=dict(self.combo), line=line, step_name=step.label,
            dockerfile=Unknown(f"the Dockerfiles {tool} builds", template=True), context=unknown, image=unknown,
            tags=(), references=(), push=Unknown(f"whether {tool} pushes", template=True), platforms=(),
            labels={}, condition=condition, path=path, via=tool, order=self.state.next_order(), uncomputed=True))

    def working_directory(self, written: str | None, ctx: ExprContext) -> Value:
        if not written:
            return "."
        try:
            value = resolve(written, ctx)
        except HarnessError:
            return Unknown(written, template=True)
        return _workspace_relative(value if isinstance(value, Unknown) else to_text(value))

    def shell_commands(self, step: Step, script: ShellScript, condition: Unknown | None, path: str,
                       first: int) -> None:
        for command in script.commands:
            line = first + command.line
            if command.conditional and condition is None:
                # Inside a shell `if`/loop or after `&&`: whether it runs is decided by the script at run time.
                condition = Unknown(f"the shell condition around line {line}: {command.text}", template=True)
            if isinstance(command, Build):
                self.shell_build(step, command, condition, path, line)
            elif isinstance(command, Tag):
                source = self.built.get(str(command.source)) or self.only_build()
                if source is not None:
                    self.built[str(command.target)] = source
                    self.names[str(command.target)] = command.target
            elif isinstance(command, Push):
                references = [command.reference]
                if command.all_tags:
                    image = _split_reference(command.reference)[0]
                    references = [ref for ref in self.names.values()
                                  if str(_split_reference(ref)[0]) == str(image)]
                for reference in references:
                    built = self.built.get(str(reference)) or self.only_build() or _unknown_build(reference)
                    image, tag = _split_reference(reference)
                    self.add(step, path, built, image, (tag,), push=True, condition=condition, line=line,
                             via="run: docker push")
            elif isinstance(command, Imagetools):
                self.imagetools(step, command, condition, path, line)
            elif isinstance(command, Bake):
                self.bake_run(step, command, condition, path, line)
            elif isinstance(command, Publisher):
                self.publisher(step, command, condition, path, line)
            elif isinstance(command, Login):
                self.state.logins.append(LoginRecord(self.job_id, path, line, command.registry, command.username,
                                                     command.password or "", "run: docker login",
                                                     self.state.next_order()))

    def shell_build(self, step: Step, command: Build, condition: Unknown | None, path: str, line: int) -> None:
        # The context and `-f` are relative to the directory the script runs in (`working-directory`).
        context = _under(self.workdir, command.context)
        file = _under(self.workdir, command.file) if command.file is not None else None
        dockerfile = file if file is not None else _dockerfile(context, None)
        if isinstance(dockerfile, str):
            dockerfile = posixpath.normpath(dockerfile)
        built = _Built(dockerfile, context, command.platforms, dict(command.labels),
                       "--label" if command.labels else "", {}, line)
        for tag in command.tags:
            self.built[str(tag)] = built
            self.names[str(tag)] = tag
        if command.by_digest:
            names = list(command.output_names) or [_split_reference(tag)[0] for tag in command.tags]
            for name in dict.fromkeys(names):
                self.add(step, path, built, name, (), push=True, condition=condition, line=line,
                         via="run: docker buildx build", by_digest=True)
            return
        by_image: dict[Value, list[Value]] = {}
        for tag in command.tags:
            image, bare = _split_reference(tag)
            by_image.setdefault(image, []).append(bare)
        for tags in by_image.values():
            tags.extend(command.unknown_words)  # each may add `-t image:tag` at run time
        if not command.push:
            return  # a local build publishes nothing; a later `docker push` of its tags does (and knows its origin)
        for image, tags in by_image.items():
            self.add(step, path, built, image, tuple(tags), push=True, condition=condition, line=line,
                     via="run: docker buildx build --push")

    def publisher(self, step: Step, command: Publisher, condition: Unknown | None, path: str, line: int) -> None:
        push: bool | Unknown = True if command.push else Unknown(f"whether {command.tool} pushes", template=True)
        if command.configured:
            self.uncomputed(step, path, command.tool, push, condition, line, via=f"run: {command.tool}")
            return
        unknown = Unknown(f"no Dockerfile: {command.tool} builds its own way", template=True)
        built = _Built(unknown, ".", command.platforms, dict(command.labels),
                       f"{command.tool} --image-label" if command.labels else "", {}, line)
        self.add(step, path, built, command.image, command.tags, push=push, condition=condition, line=line,
                 via=f"run: {command.tool}")

    def imagetools(self, step: Step, command: Imagetools, condition: Unknown | None, path: str, line: int) -> None:
        by_image: dict[Value, list[Value]] = {}
        for reference in command.tags:
            image, tag = _split_reference(reference)
            by_image.setdefault(image, []).append(tag)
        for image, tags in by_image.items():
            built = self.digest_build(image)
            self.add(step, path, built, image, tuple(tags), push=True, condition=condition, line=line,
                     via="run: docker buildx imagetools create")

    def digest_build(self, image: Value) -> _Built:
        """What the by-digest builds of ``image`` (in earlier jobs) were built from."""
        digests = [entry for entry in self.state.entries if entry.by_digest]
        same = [entry for entry in digests if str(entry.image).lower() == str(image).lower()] or (
            digests if len({str(entry.image) for entry in digests}) == 1 else [])
        if not same:
            return _unknown_build(image)
        platforms = tuple(dict.fromkeys(platform for entry in same for platform in entry.platforms))
        first = same[0]
        return _Built(first.dockerfile, first.context, platforms, first.labels, first.labels_from, first.build_args,
                      first.labels_line)

    def only_build(self) -> _Built | None:
        builds = {id(built): built for built in self.built.values()}  # the same build under several names
        return next(iter(builds.values())) if len(builds) == 1 else None

    # --- composite actions and other steps ----------------------------------------------------------------
    def composite(self, step: Step, ctx: ExprContext, depth: int, path: str) -> None:
        uses = step.uses or ""
        files = self.state.files
        if files is None or depth >= MAX_DEPTH:
            self.notes.append(f"{self.where(step.line, path)}: {uses} is not expanded")
            return
        try:
            action = files.action(uses)
        except HarnessError as exc:
            self.notes.append(f"{self.where(step.line, path)}: {uses} cannot be read ({exc})")
            return
        if action.using != "composite":
            self.notes.append(f"{self.where(step.line, path)}: {uses} is a {action.using} action; what it does is "
                              f"not computed")
            return
        given: dict[str, Any] = {}
        for name, node in step.with_.items():
            given[name] = _safe_input(node, ctx, self.notes)
        inputs: dict[str, Any] = {}
        for name, spec in action.inputs.items():
            default = spec.get("default") if spec.is_mapping else None
            inputs[name] = given.get(name, default.scalar_text() if default is not None else "")
        inner = ExprContext(github=ctx.github, env=ctx.env, matrix=ctx.matrix, matrix_known=ctx.matrix_known,
                            inputs=inputs, inputs_complete=True, path=action.path)
        saved = self.metadata
        self.metadata = {}
        self.run(action.steps, inner, depth=depth + 1, path=action.path)
        self.metadata = saved

    def tool_action(self, step: Step, step_ctx: ExprContext, ctx: ExprContext, condition: Unknown | None,
                    path: str) -> ExprContext:
        """Actions that build, push or log in their own way; what their configuration decides stays unknown."""
        if step.uses_action(SETUP_KO_ACTION):
            return self.setup_ko(step, step_ctx, ctx, path)
        if step.uses_action(BUILDAH_ACTION):
            return self.buildah(step, step_ctx, ctx, path)
        if step.uses_action(PUSH_TO_REGISTRY_ACTION):
            self.push_to_registry(step, step_ctx, condition, path)
        elif step.uses_action(BAKE_ACTION):
            self.bake(step, step_ctx, condition, path)
        elif step.uses_action(GORELEASER_ACTION):
            args = _safe_input(step.with_.get("args"), step_ctx, self.notes) or ""
            words = args.split()
            if "${{" in args:
                self.uncomputed(step, path, str(step.uses), Unknown(args, template=True), condition)
            elif words[:1] == ["release"] and "--snapshot" not in words and not any(
                    "publish" in word for word in words if word.startswith("--skip")):
                self.uncomputed(step, path, str(step.uses), True, condition)
        elif _other_image_action(step):
            push = _boolean(_safe_input(step.with_.get("push"), step_ctx, self.notes)) if "push" in step.with_ \
                else Unknown(f"whether {step.uses} pushes", template=True)
            if push is not False:
                self.uncomputed(step, path, str(step.uses), push, condition)
        return ctx  # anything else (setup-qemu, setup-buildx...) publishes nothing

    def uncomputed(self, step: Step, path: str, tool: str, push: bool | Unknown, condition: Unknown | None,
                   line: int = 0, via: str = "") -> None:
        """A step that pushes images its own configuration names: undecided, never "no images"."""
        self.notes.append(f"{self.where(line or step.line, path)}: {tool} may push images; its images and tags are "
                          f"not computed")
        unknown = Unknown(f"the images {tool} pushes", template=True)
        built = _Built(Unknown(f"the Dockerfiles {tool} builds", template=True), unknown, (), {}, "", {})
        self.add(step, path, built, unknown, (), push=push, condition=condition, line=line or step.line,
                 via=via or tool, uncomputed=True)

    # --- docker/bake-action and `docker buildx bake` ---------------------------------------------------------------
    def bake(self, step: Step, ctx: ExprContext, condition: Unknown | None, path: str) -> None:
        """docker/bake-action: ``files``, ``targets``, ``set``, ``push``, ``load``, ``workdir`` and ``source``."""
        notes = self.notes
        tool = str(step.uses)
        push = _boolean(_safe_input(step.with_.get("push"), ctx, notes))
        load = _boolean(_safe_input(step.with_.get("load"), ctx, notes))
        source = (_safe_input(step.with_.get("source"), ctx, notes) or "").strip()
        workdir = (_safe_input(step.with_.get("workdir"), ctx, notes) or ".").strip() or "."
        if (source and source != "." and not source.startswith(_DEFAULT_CONTEXT)) or "${{" in workdir:
            reason = f"source {source}" if source and source != "." else f"workdir {workdir}"
            self.notes.append(f"{self.where(step.line, path)}: {tool} reads its bake files from {reason}; not read")
            self.uncomputed(step, path, tool, push if push is not False else _PUSH_BY_OUTPUT, condition)
            return
        node = step.with_.get("files")
        sources = tuple(self.bake_source(item, ctx.at(node.line))
                        for item in split_items(node.scalar_text(), commas=True)) if node is not None else ()
        targets = tuple(text_or_unknown(item) for item in split_items(
            _safe_input(step.with_.get("targets"), ctx, notes) or "", commas=True))
        overrides = tuple(text_or_unknown(item) for item in split_items(
            _safe_input(step.with_.get("set"), ctx, notes) or "", commas=False))
        # `{{defaultContext}}:sub`: Bake reads the definition, and resolves its contexts, in that folder of the commit.
        folder = source[len(_DEFAULT_CONTEXT):].removeprefix(":") if source.startswith(_DEFAULT_CONTEXT) else ""
        request = BakeRequest(sources, targets, overrides, self.bake_env(ctx), push=push, load=load is True,
                              workdir=posixpath.normpath(posixpath.join(folder, workdir)))
        # A bake that does not push is reported at its `push: false`, as a build-push-action step is.
        line = _line_of(step, "push") if push is False and "push" in step.with_ else step.line
        self.bake_targets(step, path, tool, request, condition, line)

    def bake_run(self, step: Step, command: Bake, condition: Unknown | None, path: str, line: int) -> None:
        if isinstance(self.workdir, Unknown):
            self.uncomputed(step, path, "docker buildx bake", True if command.push else _PUSH_BY_OUTPUT, condition,
                            line, via="run: docker buildx bake")
            return
        env = {**command.env, **_runner_env(self.event)}
        sources = tuple(self.metadata_file(str(item)) or BakeSource(item) for item in command.files)
        request = BakeRequest(sources, command.targets, command.overrides, env, push=command.push,
                              load=command.load, workdir=self.workdir)
        self.bake_targets(step, path, "docker buildx bake", request, condition, line, via="run: docker buildx bake")

    def bake_source(self, item: str, ctx: ExprContext) -> BakeSource:
        """One line of bake-action's ``files``: metadata-action's bake file when it names one, else a path."""
        written = item.removeprefix("cwd://").strip()
        linked = self.linked_output(written, ctx.path)
        if linked is not None:
            metadata, output = linked
            if metadata.outputs is not None and output in metadata.outputs.bake_data:
                return BakeSource(written, data_file(f"{output} of step {metadata.step_id}",
                                                     metadata.outputs.bake_data[output]))
        text = _confined(written, ctx)
        return self.metadata_file(text) or BakeSource(text_or_unknown(text))

    def metadata_file(self, text: str) -> BakeSource | None:
        """The bake file of the one metadata step of the job whose path reads ``text`` (several steps write files
        whose paths read alike: only the single one is certain)."""
        steps = {id(result): result for result in (*self.metadata.values(), self.latest_metadata) if result}
        if len(steps) != 1:
            return None
        (result,) = steps.values()
        outputs = result.outputs
        names = [name for name, value in outputs.bake_paths.items() if str(value) == text] if outputs else []
        if outputs is None or len(names) != 1:
            return None
        return BakeSource(text, data_file(f"{names[0]} of the metadata step at line {result.line}",
                                          outputs.bake_data[names[0]]))

    def linked_output(self, text: str, path: str) -> tuple[MetadataResult, str] | None:
        """``${{ steps.<id>.outputs.<name> }}`` as the whole text: the metadata step and the output name."""
        try:
            found = find_expressions(text, path=path)
            if len(found) != 1 or found[0][0] != 0 or found[0][1] != len(text):
                return None
            tree = parse_expression(found[0][2], path=path)
        except HarnessError:
            return None
        if (isinstance(tree, Property) and isinstance(tree.target, Property) and tree.target.name.lower() == "outputs"
                and isinstance(tree.target.target, Property) and isinstance(tree.target.target.target, Name)
                and tree.target.target.target.name == "steps" and tree.target.target.name in self.metadata):
            return self.metadata[tree.target.target.name], tree.name.lower()
        return None

    def bake_env(self, ctx: ExprContext) -> dict[str, Value]:
        """The environment Bake reads its variables from: the step's, and the runner's own variables."""
        env: dict[str, Value] = {name: value if isinstance(value, Unknown) else to_text(value)
                                 for name, value in ctx.env.items()}
        env.update(_runner_env(self.event))
        return env

    def bake_targets(self, step: Step, path: str, tool: str, request: BakeRequest, condition: Unknown | None,
                     line: int, via: str = "") -> None:
        """One entry per image of each target Bake builds; the tool's undecided entry when they are not known."""
        files = self.state.files
        where = self.where(line, path)
        if files is None:
            if request.push is False and request.load:
                return  # loaded into the runner's docker: nothing leaves the runner unless a bake file says so
            self.notes.append(f"{where}: {tool}: the repository's bake files are not available")
            result_open = True
        else:
            result = compute_bake(files.repo_dir, request)
            self.notes.extend(f"{where}: {note}" for note in dict.fromkeys(result.notes))
            self.notes.extend(f"{where}: {tool} is not computed: {reason}" for reason in result.open)
            self.state.faults.extend(PlanFault(fault.path, fault.line, fault.message) for fault in result.faults)
            result_open = bool(result.open or result.faults)
        if result_open:
            push = request.push if request.push is not False else _PUSH_BY_OUTPUT
            self.uncomputed(step, path, tool, push, condition, line, via=via or tool)
            return
        for target in result.targets:
            self.bake_target(step, path, target, condition, line, via or tool)

    def bake_target(self, step: Step, path: str, target: BakeTarget, condition: Unknown | None, line: int,
                    via: str) -> None:
        labels = dict(target.labels)
        if target.labels_unknown is not None:
            labels.setdefault(REVISION_LABEL, target.labels_unknown)
        origin = f"{target.path}:{target.line}" if target.line else target.path
        built = _Built(target.dockerfile, target.context, target.platforms, labels,
                       f"the labels of bake target {target.name} ({origin})" if labels else "", dict(target.args),
                       line)
        if not target.tags:
            self.notes.append(f"{self.where(line, path)}: bake target {target.name!r} has no tags"
                              + ("; Bake refuses to push it" if target.push is True else ""))
            return
        by_image: dict[Value, list[Value]] = {}
        for reference in target.tags:
            if _whole_bake_expression(reference):
                # A tag list or reference only Bake computes (a function, a conditional): not one image.
                self.add(step, path, built, reference, (), push=target.push, condition=condition, line=line,
                         via=via, uncomputed=True, target=target)
                continue
            image, tag = _split_reference(reference)
            by_image.setdefault(image, []).append(tag)
            self.built[str(reference)] = built
            self.names[str(reference)] = reference
        for image, tags in by_image.items():
            self.add(step, path, built, image, tuple(tags), push=target.push, condition=condition, line=line,
                     via=via, target=target)

    def setup_ko(self, step: Step, step_ctx: ExprContext, ctx: ExprContext, path: str) -> ExprContext:
        """ko-build/setup-ko: unless KO_DOCKER_REPO is set, it logs in to ghcr.io with the token input (the
        Actions token by default) and sets KO_DOCKER_REPO=ghcr.io/<owner>/<repo>, lowercased."""
        if "KO_DOCKER_REPO" in step_ctx.env:
            return ctx.with_env({"KO_DOCKER_REPO": step_ctx.env["KO_DOCKER_REPO"]})
        token = (step.with_text("token") or "${{ github.token }}").strip()
        self.state.logins.append(LoginRecord(self.job_id, path, step.line, "ghcr.io", "ko", token,
                                             SETUP_KO_ACTION, self.state.next_order()))
        return ctx.with_env({"KO_DOCKER_REPO": f"ghcr.io/{self.event.repository}".lower()})

    def buildah(self, step: Step, step_ctx: ExprContext, ctx: ExprContext, path: str) -> ExprContext:
        """redhat-actions/buildah-build builds locally (a later push-to-registry pushes): remember the build and
        offer its ``image``, ``tags`` and ``image-with-tag`` outputs."""
        notes = self.notes
        image = text_or_unknown(_safe_input(step.with_.get("image"), step_ctx, notes) or "")
        tags = [text_or_unknown(tag) for tag in _words(_safe_input(step.with_.get("tags"), step_ctx, notes))]
        files = split_items(_safe_input(step.with_.get("containerfiles") or step.with_.get("dockerfiles"), step_ctx,
                                        notes) or "", commas=False)
        context = text_or_unknown(_safe_input(step.with_.get("context"), step_ctx, notes) or ".")
        dockerfile = _dockerfile(context, text_or_unknown(files[0]) if files else None)
        labels = _key_values(_safe_input(step.with_.get("labels"), step_ctx, notes))
        platforms = tuple(text_or_unknown(item) for item in split_items(
            _safe_input(step.with_.get("platforms"), step_ctx, notes) or "", commas=True))
        built = _Built(dockerfile, context, platforms, labels, f"the labels: input at line {_line_of(step, 'labels')}"
                       if labels else "", {}, _line_of(step, "labels"))
        for tag in tags:
            reference = _join_reference(image, tag)
            self.built[str(reference)] = built
            self.names[str(reference)] = reference
        if not step.id:
            return ctx
        shown = " ".join(str(tag) for tag in tags)
        outputs: dict[str, Any] = {
            "image": image, "tags": Unknown(shown, template=True) if any(isinstance(t, Unknown) for t in tags)
            else shown, "image-with-tag": _join_reference(image, tags[0]) if tags else image}
        return ctx.with_step_outputs(step.id, PartialObject(
            {"outputs": PartialObject(outputs, f"steps.{step.id}.outputs")}, f"steps.{step.id}"))

    def push_to_registry(self, step: Step, ctx: ExprContext, condition: Unknown | None, path: str) -> None:
        """redhat-actions/push-to-registry pushes ``image:tag`` for each tag, under ``registry`` when given (it
        logs in itself when given a username and password)."""
        notes = self.notes
        image = _safe_input(step.with_.get("image"), ctx, notes)
        registry = _safe_input(step.with_.get("registry"), ctx, notes)
        tags = _words(_safe_input(step.with_.get("tags"), ctx, notes))
        if image is None:
            self.uncomputed(step, path, str(step.uses), True, condition)
            return
        password = (step.with_text("password") or "").strip()
        if password:
            username = _safe_input(step.with_.get("username"), ctx, notes)
            self.state.logins.append(LoginRecord(
                self.job_id, path, _line_of(step, "password"),
                text_or_unknown(registry.split("/")[0] if registry else image.split("/")[0]),
                text_or_unknown(username) if username else None, password, PUSH_TO_REGISTRY_ACTION,
                self.state.next_order()))
        for tag in tags:
            local = _join_reference(text_or_unknown(image), text_or_unknown(tag))
            built = self.built.get(str(local)) or self.only_build() or _unknown_build(local)
            full = text_or_unknown(f"{registry.rstrip('/')}/{image}" if registry else image)
            self.add(step, path, built, full, (text_or_unknown(tag),), push=True, condition=condition,
                     line=step.line, via=PUSH_TO_REGISTRY_ACTION)

def finish(state: PlanState) -> None:
    """When nothing the plan reads publishes, a script that calls a build tool named for images may: undecided."""
    if state.scripts and not any(entry.push is not False for entry in state.entries):
        for entry in state.scripts:
            state.notes.append(f"{entry.path}:{entry.line}: {entry.via} may push images; what it runs is not read")
        state.entries.extend(state.scripts)


def remote_call(state: PlanState, path: str, job_id: str, combo: dict[str, Any], line: int, uses: str,
                condition: Unknown | None) -> None:
    """A job that calls a reusable workflow of another repository: what it pushes is undecided offline."""
    unknown = Unknown(f"the images {uses} pushes", template=True)
    state.entries.append(ImagePublication(
        job_id=job_id, matrix=dict(combo), line=line, step_name=f"job {job_id}",
        dockerfile=Unknown(f"the Dockerfiles {uses} builds", template=True), context=unknown, image=unknown,
        tags=(), references=(), push=Unknown(f"whether {uses} pushes", template=True), platforms=(), labels={},
        condition=condition, path=path, via=uses, order=state.next_order(), uncomputed=True))


_PUSH_BY_OUTPUT = Unknown("push: false, unless the bake file's output pushes", template=True)


def _whole_bake_expression(value: Value) -> bool:
    """An unknown that is one expression Bake evaluates (``${tag("x")}``) or one ``${{ }}``: maybe several tags."""
    if not isinstance(value, Unknown):
        return False
    text = str(value).strip()
    return _whole_expression(value) or (text.startswith("${") and not text.startswith("${{") and text.endswith("}")
                                        and text.count("${") == 1)


def _workspace(event: BuildEvent) -> str:
    """Where the runner checks the repository out (``GITHUB_WORKSPACE``)."""
    return f"/home/runner/work/{event.name}/{event.name}"


def _workspace_relative(path: Value) -> Value:
    """``path`` relative to the checkout when it is under the runner's workspace (or relative already)."""
    if isinstance(path, Unknown):
        return path
    match = re.match(r"^/home/runner/work/[^/]+/[^/]+(?:/|$)", path)
    return posixpath.normpath(path[match.end():] or ".") if match else posixpath.normpath(path)


def _under(directory: Value, path: Value) -> Value:
    if directory == ".":
        return _workspace_relative(path) if isinstance(path, str) and path.startswith("/") else path
    if isinstance(path, str) and path.startswith("/"):
        return _workspace_relative(path)
    if isinstance(directory, Unknown) or isinstance(path, Unknown):
        return Unknown(f"{directory}/{path}", template=True)
    return posixpath.normpath(posixpath.join(directory, path))


def _runner_env(event: BuildEvent) -> dict[str, Value]:
    """The variables a runner sets that the event decides."""
    return {"GITHUB_WORKSPACE": _workspace(event), "GITHUB_SHA": event.sha, "GITHUB_REF": event.ref,
            "GITHUB_REF_NAME": event.ref_name, "GITHUB_REPOSITORY": event.repository,
            "GITHUB_REPOSITORY_OWNER": event.owner, "GITHUB_EVENT_NAME": event.event_name, "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REF_TYPE": "tag" if event.tag is not None else "branch"}


def _script_line(step: Step) -> int:
    node = step.node.get("run")
    if node is None:
        return step.line
    return node.line + (1 if "\n" in node.scalar_text() else 0)  # a block scalar starts on the next line


def _line_of(step: Step, key: str) -> int:
    node = step.with_.get(key)
    return node.line if node is not None else step.line


def _unknown_build(reference: Value) -> _Built:
    unknown = Unknown(f"the Dockerfile of {reference}", template=True)
    return _Built(unknown, unknown, (), {}, "", {})


def _outputs(result: MetadataResult) -> dict[str, Any]:
    if result.outputs is not None or result.tags == ():
        return dict(result.step_outputs())

    def joined(values: list[Value]) -> Value:
        if any(isinstance(value, Unknown) for value in values):
            return Unknown("\n".join(str(value) for value in values), template=True)
        return "\n".join(str(value) for value in values)
    version = result.versions[0] if result.versions else ""
    labels = [f"{key}={value}" for key, value in result.labels.items()]
    outputs: dict[str, Any] = {"tags": joined(list(result.tags)), "version": version,
                               "labels": Unknown("\n".join(labels), template=True)}
    if not any(isinstance(tag, Unknown) for tag in result.tags):
        outputs["json"] = json.dumps({"tags": list(result.tags), "labels": {
            key: str(value) for key, value in result.labels.items()}})
    return outputs


def _words(text: str | None) -> list[str]:
    """A list input of the redhat actions: tags separated by spaces or newlines (``latest`` when none)."""
    words: list[str] = []
    for item in split_items(text or "", commas=False):  # keeps an unknown ${{ }} in one piece
        words += [item] if "${{" in item else item.split()
    return words or ["latest"]


def _key_values(text: str | None) -> dict[str, Value]:
    values: dict[str, Value] = {}
    for item in split_items(text or "", commas=False):
        key, _, value = item.partition("=")
        values[key.strip()] = text_or_unknown(value.strip())
    return values


def _output_names(outputs: str) -> list[Value]:
    names: list[Value] = []
    for entry in split_items(outputs, commas=False):
        for key, value in parse_attributes(entry):
            if key == "name" and value:
                names += [text_or_unknown(name.strip()) for name in value.split(",") if name.strip()]
    return names


def _dockerfile(context: Value, file: Value | None) -> Value:
    """The Dockerfile a build reads, relative to the checkout: a path under the runner's workspace
    (``${{ github.workspace }}/Dockerfile.x``) names the checkout's file, not one outside the repository."""
    if file is None:
        if isinstance(context, Unknown):
            return Unknown(f"{context}/Dockerfile", template=True)
        return _workspace_relative(posixpath.join(context, "Dockerfile"))
    return _workspace_relative(file)


def _push(push: str | None, outputs: str | None) -> bool | Unknown:
    """``push:`` (default false), or an ``outputs:`` exporter that pushes (``type=registry``, ``push=true``)."""
    value = _boolean(push)
    if value is False and outputs is not None:
        exporter = outputs.replace(" ", "").lower()
        if "type=registry" in exporter or "push=true" in exporter:
            return True
    return value


def _refused_boolean(step: Step, ctx: ExprContext, notes: list[str]) -> tuple[str, int] | None:
    """The first boolean input build-push-action refuses (``push: yes``), as ``name: value``, and its line."""
    for name in BUILD_PUSH_BOOLEANS:
        node = step.with_.get(name)
        text = _safe_input(node, ctx, notes) if node is not None else None
        if node is None or text is None or not text.strip() or "${{" in text:
            continue  # absent or empty: the default (false); unknown: only a run tells
        if boolean_input(text) is None:
            return f"{name}: {text.strip()}", node.line
    return None


def _boolean(text: str | None) -> bool | Unknown:
    if text is None or not text.strip():
        return False
    if "${{" in text:
        return Unknown(text, template=True)
    return text.strip().lower() == "true"


def _whole_expression(value: Value) -> bool:
    """An unknown that is nothing but one ``${{ }}`` (it may stand for several values)."""
    if not isinstance(value, Unknown):
        return False
    text = str(value).strip()
    return text.startswith("${{") and text.endswith("}}") and text.count("${{") == 1


def _split_reference(reference: Value) -> tuple[Value, Value]:
    """``ghcr.io/a/b:tag`` -> (``ghcr.io/a/b``, ``tag``); a registry port's colon is not a tag separator, and
    ``ghcr.io/a/b:feature/x`` has the (invalid) tag ``feature/x``."""
    text = str(reference)
    masked = text
    try:
        spans = find_expressions(text)
    except HarnessError:
        spans = []
    for start, end, _ in spans:  # a ':' inside ${{ }} separates nothing
        masked = masked[:start] + "x" * (end - start) + masked[end:]
    masked = _mask_shell(masked)
    at = masked.find("@")
    if at != -1:
        text, masked = text[:at], masked[:at]  # a digest reference: the tag is not part of it
    # The tag starts at the first ':' after the registry host (a port's ':' comes before the first '/'); a tag
    # written with a '/' (a branch name) stays a tag, which the registry refuses, not part of the image name.
    slash = masked.find("/")
    colon = masked.find(":", slash + 1) if slash != -1 else masked.rfind(":")
    if colon != -1:
        image, tag = text[:colon], text[colon + 1:]
    else:
        image, tag = text, "latest"  # docker's default when no tag is given
    unknown = isinstance(reference, Unknown)
    return _part(image, unknown), _part(tag, unknown)


def _mask_shell(text: str) -> str:
    """Hide ``${...}`` and ``$(...)`` (their ``:`` and ``/`` separate nothing)."""
    out = list(text)
    index = 0
    while index < len(text) - 1:
        if text[index] == "$" and text[index + 1] in "{(":
            opening = text[index + 1]
            closing = "}" if opening == "{" else ")"
            depth, end = 0, index + 1
            while end < len(text):
                depth += 1 if text[end] == opening else -1 if text[end] == closing else 0
                if depth == 0:
                    break
                end += 1
            for position in range(index, min(end + 1, len(text))):
                out[position] = "x"
            index = end
        index += 1
    return "".join(out)


def _part(text: str, unknown: bool) -> Value:
    """A piece of a reference: unknown when it still holds an unknown part (``${{ }}``, ``$VAR``, ``$(...)``)."""
    if "${{" in text or (unknown and ("$" in text or "`" in text)):
        return Unknown(text, template=True)
    return text


def _join_reference(image: Value, tag: Value) -> Value:
    text = f"{image}:{tag}"
    return Unknown(text, template=True) if isinstance(image, Unknown) or isinstance(tag, Unknown) else text
