"""actions/upload-artifact and actions/download-artifact (v4) against the emulator's artifact store, so the
artifacts API serves what a workflow uploaded and a later job can download it.

Uploads are bounded (file count and bytes); paths never leave the workspace and symlinks are not followed;
a downloaded zip entry that would land outside its target folder fails the step.
"""

from __future__ import annotations

import glob
import io
import os
import zipfile
from pathlib import Path

from cicd_acceptance.emulator.runtime.jobrun import ActionResult, StepCall

__all__ = ["MAX_UPLOAD_BYTES", "MAX_UPLOAD_FILES", "download_artifact", "upload_artifact"]

MAX_UPLOAD_FILES = 10_000
MAX_UPLOAD_BYTES = 256 << 20


def _matches(workspace: Path, patterns: list[str]) -> list[Path]:
    found: dict[Path, None] = {}
    for pattern in patterns:
        negate = pattern.startswith("!")
        text = pattern[1:] if negate else pattern
        for match in glob.glob(str(workspace / text), recursive=True):
            path = Path(match)
            files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
            for file in files:
                if file.is_symlink() or not file.resolve().is_relative_to(workspace):
                    continue
                if negate:
                    found.pop(file, None)
                else:
                    found[file] = None
    return list(found)


def upload_artifact(call: StepCall) -> ActionResult:
    run = call.run
    artifacts = run.services.artifacts
    if artifacts is None:
        return ActionResult(emulated=False)
    name = call.inputs.get("name") or "artifact"
    workspace = run.workspace.resolve()
    patterns = [line.strip() for line in call.inputs.get("path", "").splitlines() if line.strip()]
    files = _matches(workspace, patterns)
    if not files:
        mode = call.inputs.get("if-no-files-found", "warn") or "warn"
        message = f"No files were found with the provided path: {', '.join(patterns)}. No artifacts will be uploaded."
        if mode == "error":
            run.log.error(message)
            return ActionResult(ok=False)
        if mode == "warn":
            run.log.warning(message)
        return ActionResult()
    if len(files) > MAX_UPLOAD_FILES or sum(file.stat().st_size for file in files) > MAX_UPLOAD_BYTES:
        run.log.error(f"the artifact {name!r} is larger than the emulator keeps ({MAX_UPLOAD_FILES} files, "
                      f"{MAX_UPLOAD_BYTES} bytes)")
        return ActionResult(ok=False)
    root = Path(os.path.commonpath([str(file.parent) for file in files]))
    contents = {file.relative_to(root).as_posix(): file.read_bytes() for file in files}
    try:
        artifact = artifacts.add(int(run.github["run_id"]), name, contents, now=run.moment)
    except ValueError as exc:
        run.log.error(f"Failed to upload artifact {name!r}: {exc}")
        return ActionResult(ok=False)
    run.log.write(f"With the provided path, there will be {len(files)} files uploaded")
    run.log.write(f"Artifact {name} successfully finalized. Artifact ID {artifact.id}")
    url = f"{run.services.server_url}/{run.services.repository}/actions/runs/{run.github['run_id']}/artifacts/" \
          f"{artifact.id}"
    return ActionResult(outputs={"artifact-id": str(artifact.id), "artifact-url": url, "artifact-digest": ""})


def download_artifact(call: StepCall) -> ActionResult:
    run = call.run
    artifacts = run.services.artifacts
    if artifacts is None:
        return ActionResult(emulated=False)
    name = call.inputs.get("name", "")
    available = artifacts.for_run(int(run.github["run_id"]))
    chosen = [artifact for artifact in available if not name or artifact.name == name]
    if name and not chosen:
        run.log.error(f"Unable to download artifact(s): Artifact not found for name: {name}")
        return ActionResult(ok=False)
    target = (run.workspace / call.inputs.get("path", "")).resolve()
    if not target.is_relative_to(run.workspace.resolve()):
        run.log.error(f"download path {call.inputs.get('path')!r} is outside the workspace")
        return ActionResult(ok=False)
    for artifact in chosen:
        folder = target if name else target / artifact.name
        with zipfile.ZipFile(io.BytesIO(artifact.content)) as archive:
            for entry in archive.infolist():
                destination = (folder / entry.filename).resolve()
                if not destination.is_relative_to(folder.resolve()):
                    run.log.error(f"artifact {artifact.name!r} has an entry outside its folder: {entry.filename}")
                    return ActionResult(ok=False)
                if entry.is_dir():
                    continue
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_bytes(archive.read(entry))
        run.log.write(f"Artifact download completed successfully: {artifact.name}")
    return ActionResult(outputs={"download-path": str(target)})
