"""docker/metadata-action at run time: the project's emulation of the action
(:func:`cicd_acceptance.workflows.metadata.evaluate_metadata`) with the run's concrete event (its time, the
commit's date, the pull request), every output it sets, the ``DOCKER_METADATA_OUTPUT_*`` variables later steps
see, and the bake files written to ``RUNNER_TEMP``."""

from __future__ import annotations

from typing import Any

from cicd_acceptance.emulator.runtime.jobrun import ActionResult, StepCall
from cicd_acceptance.errors import HarnessError
from cicd_acceptance.workflows.event import BuildEvent
from cicd_acceptance.workflows.expressions import Unknown
from cicd_acceptance.workflows.metadata import MetadataInputs, evaluate_metadata

__all__ = ["metadata"]


def _event(call: StepCall) -> BuildEvent:
    github = call.run.github
    payload: dict[str, Any] = github["event"]
    pull = payload.get("pull_request") or {}
    return BuildEvent(event_name=str(github["event_name"]), ref=str(github["ref"]), sha=str(github["sha"]),
                      default_branch=call.run.services.default_branch, repository=str(github["repository"]),
                      actor=str(github["actor"]), inputs=payload.get("inputs"),
                      pull_number=pull.get("number"), head_ref=(pull.get("head") or {}).get("ref"),
                      head_sha=(pull.get("head") or {}).get("sha"), base_ref=(pull.get("base") or {}).get("ref"),
                      base_sha=(pull.get("base") or {}).get("sha"), payload_base_ref=payload.get("base_ref"),
                      commit_date=call.run.spec.commit_date, event_time=call.run.moment, repo_description="",
                      repo_license="", server_url=call.run.services.server_url)


def metadata(call: StepCall) -> ActionResult:
    run = call.run
    major = int(call.step.ref[1]) if call.step.ref and call.step.ref[:1] == "v" and call.step.ref[1:2].isdigit() else 5
    try:
        result = evaluate_metadata(MetadataInputs.from_with(call.inputs, major_version=major), _event(call),
                                   {**call.ctx.env}, bake_dir=str(run.temp))
    except HarnessError as exc:
        run.log.error(str(exc))
        return ActionResult(ok=False)
    outputs = result.outputs()
    unknown = [f"{name}: {value.display()}" for name, value in outputs.items() if isinstance(value, Unknown)]
    if unknown:
        run.log.warning("cannot compute offline: " + "; ".join(unknown))
        return ActionResult(emulated=False)
    for warning in result.warnings:
        run.log.warning(warning)
    for name, text in result.bake_files.items():
        path = result.bake_paths[name]
        if isinstance(path, str) and isinstance(text, str):
            (run.temp / path.rsplit("/", 1)[-1]).write_text(text, encoding="utf-8")
    run.log.group("Docker tags")
    for tag in result.tags:
        run.log.write(str(tag))
    run.log.endgroup()
    run.log.group("Docker labels")
    for key, value in result.labels.items():
        run.log.write(f"{key}={value}")
    run.log.endgroup()
    env = {key: str(value) for key, value in result.env().items()}
    return ActionResult(outputs={key: str(value) for key, value in outputs.items()}, env=env)
