"""docker/metadata-action at run time: the project's emulation of the action (:mod:`workflows.metadata`) with the
run's concrete event, and every output the action sets (``tags``, ``labels``, ``annotations``, ``json``,
``version``, ``bake-file*``) plus the ``DOCKER_METADATA_OUTPUT_*`` environment variables."""

from __future__ import annotations

import json

from cicd_acceptance.emulator.clock import iso
from cicd_acceptance.emulator.runtime.jobrun import ActionResult, StepCall
from cicd_acceptance.errors import HarnessError
from cicd_acceptance.workflows.event import BuildEvent
from cicd_acceptance.workflows.expressions import Unknown
from cicd_acceptance.workflows.metadata import compute_metadata

__all__ = ["metadata"]


def _event(call: StepCall) -> BuildEvent:
    github = call.run.github
    return BuildEvent(event_name=str(github["event_name"]), ref=str(github["ref"]), sha=str(github["sha"]),
                      default_branch=call.run.services.default_branch, repository=str(github["repository"]),
                      actor=str(github["actor"]), inputs=github["event"].get("inputs"))


def _label_value(key: str, value: str | Unknown, created: str) -> str:
    if not isinstance(value, Unknown):
        return value
    if key == "org.opencontainers.image.created":
        return created
    # The repository's description and license: the emulated repository has neither.
    return ""


def metadata(call: StepCall) -> ActionResult:
    run = call.run
    try:
        result = compute_metadata(call.step, _event(call), call.ctx)
    except HarnessError as exc:
        run.log.error(str(exc))
        return ActionResult(ok=False)
    unknown = [value.display() for value in (*result.tags, *result.versions) if isinstance(value, Unknown)]
    if unknown:
        run.log.error(f"cannot compute {', '.join(unknown)} offline")
        return ActionResult(emulated=False)
    created = iso(run.moment)
    labels = {key: _label_value(key, value, created) for key, value in result.labels.items()}
    tags = [str(tag) for tag in result.tags]
    version = str(result.versions[0]) if result.versions else ""
    annotations = [f"manifest:{key}={value}" for key, value in labels.items()]
    run.log.group("Docker tags")
    for tag in tags:
        run.log.write(tag)
    run.log.endgroup()
    run.log.group("Docker labels")
    for key, value in labels.items():
        run.log.write(f"{key}={value}")
    run.log.endgroup()
    outputs = {
        "version": version,
        "tags": "\n".join(tags),
        "tag-names": "\n".join(str(v) for v in result.versions),
        "labels": "\n".join(f"{key}={value}" for key, value in labels.items()),
        "annotations": "\n".join(annotations),
        "json": json.dumps({"tags": tags, "labels": labels, "annotations": annotations}),
        "bake-file": "", "bake-file-tags": "", "bake-file-labels": "", "bake-file-annotations": "",
    }
    env = {f"DOCKER_METADATA_OUTPUT_{key.upper().replace('-', '_')}": value for key, value in outputs.items()
           if not key.startswith("bake-file")}
    return ActionResult(outputs=outputs, env=env)
