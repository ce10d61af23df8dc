"""docker/build-push-action at run time: the Dockerfile is read (:mod:`.dockerfile`), and with ``push: true``
exactly its ``tags`` are pushed to the emulator's registry with exactly its ``labels`` plus the Dockerfile's
``LABEL``s, one manifest per platform and, unless ``provenance: false``, the attestation buildx adds by default.
``outputs: type=image,name=...,push-by-digest=true,push=true`` pushes untagged (by digest).

A push needs a ``docker/login-action`` to that registry earlier in the job, with a token that may write
packages: a ``GITHUB_TOKEN`` minted without ``packages: write`` is refused as GHCR refuses it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from cicd_acceptance.emulator.runtime.dockerfile import BuildError, read_dockerfile
from cicd_acceptance.emulator.runtime.jobrun import NOT_EMULATED, ActionResult, StepCall
from cicd_acceptance.emulator.runtime.services import DockerJob
from cicd_acceptance.errors import HarnessError
from cicd_acceptance.workflows.actioninputs import BOOLEAN_SPELLINGS, BUILD_PUSH_BOOLEANS, boolean_input

__all__ = ["PushTarget", "build_push", "push_allowed", "split_reference"]


def _list(text: str, *, commas: bool) -> list[str]:
    items = []
    for line in text.splitlines():
        for item in (line.split(",") if commas else [line]):
            if item.strip():
                items.append(item.strip())
    return items


def split_reference(reference: str) -> tuple[str, str, str]:
    """``ghcr.io/acme/app:1.0`` -> (``ghcr.io``, ``acme/app``, ``1.0``); a missing tag is ``latest``."""
    name, tag = reference, "latest"
    slash = reference.rfind("/")
    colon = reference.rfind(":")
    if colon > slash:
        name, tag = reference[:colon], reference[colon + 1:]
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first.lower(), rest, tag
    return "docker.io", name if "/" in name else f"library/{name}", tag


@dataclass
class PushTarget:
    """One repository a build pushes to, with its tags (none: pushed by digest)."""

    host: str
    name: str
    tags: list[str] = field(default_factory=list)


def push_allowed(run: DockerJob, host: str) -> str | None:
    """None when the job may push to ``host``, else the registry's refusal."""
    if host not in run.services.registry_hosts:
        return f"push to {host} is outside the emulated registry ({', '.join(sorted(run.services.registry_hosts))})"
    password = run.logins.get(host)
    if password is None:
        return f"unauthorized: unauthenticated: User cannot be authenticated with the token provided. ({host})"
    level = run.services.scopes.level(password, "packages")
    if level is not None:
        if level != "write":
            return "denied: installation not allowed to Create organization package"
        return None
    info = run.services.tokens.lookup(password)
    if info is None or not info.write:
        return "denied: permission_denied: The token provided does not match expected scopes."
    return None


def _targets(call: StepCall) -> tuple[list[PushTarget], bool]:
    """Where the build goes and whether it is pushed at all."""
    push = call.flag("push")
    targets: dict[tuple[str, str], PushTarget] = {}
    for reference in _list(call.inputs.get("tags", ""), commas=True):
        host, name, tag = split_reference(reference)
        targets.setdefault((host, name), PushTarget(host, name)).tags.append(tag)
    for output in _list(call.inputs.get("outputs", ""), commas=False):
        attrs = dict(part.partition("=")[::2] for part in output.split(","))
        if attrs.get("type") not in {"image", "registry"}:
            continue
        if attrs.get("type") == "registry" or attrs.get("push") == "true":
            push = True
        by_digest = attrs.get("push-by-digest") == "true"
        for reference in attrs.get("name", "").split(";") if attrs.get("name") else []:
            host, name, tag = split_reference(reference.strip())
            target = targets.setdefault((host, name), PushTarget(host, name))
            if not by_digest and ":" in reference.rpartition("/")[2]:
                target.tags.append(tag)
    return list(targets.values()), push


def build_push(call: StepCall) -> ActionResult:
    run = call.run
    for name in BUILD_PUSH_BOOLEANS:
        value = call.inputs.get(name, "")
        if value.strip() and boolean_input(value) is None:  # getBooleanInput throws before anything is built
            run.log.error(f'Input does not meet YAML 1.2 "Core Schema" specification: {name} '
                          f"(supported: {BOOLEAN_SPELLINGS})")
            return ActionResult(ok=False)
    context_input = call.inputs.get("context", "")
    context = (run.workspace / context_input).resolve() if context_input else run.spec.source
    workspace_root = run.workspace.resolve()
    if context_input and not context.is_relative_to(workspace_root):
        run.log.error(f"context {context_input!r} is outside the workspace")
        return ActionResult(ok=False)
    file_input = call.inputs.get("file", "")
    dockerfile = (run.workspace / file_input).resolve() if file_input else context / "Dockerfile"
    display = file_input or "Dockerfile"
    if not dockerfile.is_relative_to(workspace_root) and not dockerfile.is_relative_to(run.spec.source):
        run.log.error(f"file {file_input!r} is outside the workspace")
        return ActionResult(ok=False)
    build_args = dict(item.partition("=")[::2] for item in _list(call.inputs.get("build-args", ""), commas=False))
    run.log.write(f"Building with {display} in context {context_input or '(git context)'}")
    try:
        facts = read_dockerfile(context, dockerfile, build_args, display=display)
    except BuildError as exc:
        run.log.error(f"buildx failed with: ERROR: {exc}")
        return ActionResult(ok=False)
    labels = {**facts.labels, **dict(item.partition("=")[::2] for item in
                                      _list(call.inputs.get("labels", ""), commas=False))}
    platforms = tuple(_list(call.inputs.get("platforms", ""), commas=True)) or ("linux/amd64",)
    attestation = call.inputs.get("provenance", "").strip().lower() not in {"false", "0"}
    targets, push = _targets(call)
    digest = ""
    if not push:
        run.log.write("Build finished; not pushed (push is not true)")
    foreign = [target for target in targets if target.host not in run.services.registry_hosts]
    if push and foreign:
        # A copy for another registry (a Docker Hub mirror) is beyond the emulator: the rehearsal names it, and the
        # images of the emulated registry are still pushed, as on GitHub.
        run.not_emulated.append(call.name)
        hosts = ", ".join(sorted({target.host for target in foreign}))
        run.log.warning(f"push to {hosts} is not emulated: {', '.join(f'{t.host}/{t.name}' for t in foreign)} not "
                        f"pushed (the emulator treats it as pushed)", title=NOT_EMULATED)
    for target in [target for target in targets if target not in foreign] if push else []:
        refused = push_allowed(run, target.host)
        if refused is not None:
            run.log.error(f"buildx failed with: ERROR: failed to push {target.host}/{target.name}: {refused}")
            return ActionResult(ok=False)
        if run.stopping():
            return ActionResult(ok=False)
        try:
            digest = run.services.registry.push_image(target.name, target.tags, labels=labels, platforms=platforms,
                                                      attestation=attestation)
        except HarnessError as exc:
            run.log.error(f"buildx failed with: ERROR: failed to push {target.host}/{target.name}: {exc}")
            return ActionResult(ok=False)
        reference = f"{target.host}/{target.name}"
        run.log.write("#1 pushing layers done")
        for tag in target.tags:
            run.log.write(f"#1 pushing manifest for {reference}:{tag}@{digest} done")
            run.log.write(f"pushed {reference}:{tag}")
            run.pushed.append(f"{reference}:{tag}")
        if not target.tags:
            run.log.write(f"#1 pushing manifest for {reference}@{digest} done")
            run.pushed.append(f"{reference}@{digest}")
        run.log.write(f"#1 exporting manifest list {digest} done")
        run.log.write(f"digest: {digest}")
    meta = {"containerimage.digest": digest, "image.name": ",".join(f"{t.host}/{t.name}" for t in targets)}
    return ActionResult(outputs={"digest": digest, "imageid": digest, "metadata": json.dumps(meta)})
