"""Native emulation of the actions build workflows use; any other action is reported as not emulated.

Each function receives the evaluated inputs of one step (:class:`StepCall`) and returns its outputs. The docker
actions act on the emulator's registry: docker/login-action checks host, user and password, and
docker/build-push-action (:mod:`.build`) pushes what a runner would push.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from cicd_acceptance.emulator.runtime.artifact_steps import download_artifact, upload_artifact
from cicd_acceptance.emulator.runtime.build import build_push
from cicd_acceptance.emulator.runtime.gitrepo import make_repository
from cicd_acceptance.emulator.runtime.jobrun import Action, ActionResult, StepCall
from cicd_acceptance.emulator.runtime.metadata_step import metadata
from cicd_acceptance.errors import TargetError

__all__ = ["NATIVE_ACTIONS"]

_GO_DIRECTIVE = re.compile(r"^\s*(go|toolchain)\s+(go)?(?P<version>[0-9][0-9A-Za-z.+-]*)\s*$", re.MULTILINE)


def checkout(call: StepCall) -> ActionResult:
    run = call.run
    repository = call.inputs.get("repository") or run.services.repository
    if repository.lower() != run.services.repository.lower():
        return ActionResult(emulated=False)  # another repository: not in reach offline
    target = (run.workspace / call.inputs.get("path", "")).resolve()
    if not target.is_relative_to(run.workspace.resolve()):
        run.log.error(f"Repository path '{call.inputs.get('path')}' is not under '{run.workspace}'")
        return ActionResult(ok=False)
    run.log.write(f"Syncing repository: {repository}")
    run.log.write(f"Checking out the ref {run.github['ref']} at {run.github['sha']}")
    shutil.copytree(run.spec.source, target, dirs_exist_ok=True, symlinks=True)
    _repository(call, target)
    return ActionResult(outputs={"ref": str(run.github["ref"]), "commit": str(run.github["sha"])})


def _repository(call: StepCall, target: Path) -> None:
    """The checkout's ``.git`` (one commit, the run's); without git the files stay, as actions/checkout falls
    back to downloading them through the REST API."""
    run = call.run
    head = run.spec.head
    try:
        if head is None:
            raise TargetError("the run's commit is unknown", path=str(target))
        make_repository(target, head, ref=str(run.github["ref"]),
                        origin=f"{run.services.server_url}/{run.services.repository}")
    except TargetError as exc:
        run.log.write(f"The repository will be downloaded using the GitHub REST API ({exc})")
        return
    run.log.write(f"Checked out {run.github['ref']} at {head.sha} (a repository of one commit)")


@lru_cache(maxsize=1)
def _local_go() -> str:
    try:
        done = subprocess.run(["go", "env", "GOVERSION"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip().removeprefix("go") if done.returncode == 0 else ""


def setup_go(call: StepCall) -> ActionResult:
    run = call.run
    wanted = call.inputs.get("go-version", "").strip()
    version_file = call.inputs.get("go-version-file", "").strip()
    if not wanted and version_file:
        path = (run.workspace / version_file).resolve()
        if not path.is_relative_to(run.workspace.resolve()) or not path.is_file():
            run.log.error(f"The specified go version file at: {version_file} does not exist")
            return ActionResult(ok=False)
        found = {match.group(1): match["version"] for match in _GO_DIRECTIVE.finditer(path.read_text(errors="replace"))}
        wanted = found.get("toolchain") or found.get("go", "")
    local = _local_go()
    run.log.write(f"Setup go version spec {wanted or '(none)'}")
    run.log.write(f"go {wanted} would be installed; the emulator uses the local go {local or '(not found)'}")
    if not local:
        run.log.error("go is not installed on this machine")
        return ActionResult(ok=False)
    return ActionResult(outputs={"go-version": local, "cache-hit": "false"})


def setup_qemu(call: StepCall) -> ActionResult:
    platforms = call.inputs.get("platforms") or "all"
    call.run.log.write(f"Installing QEMU static binaries for {platforms} (emulated)")
    return ActionResult(outputs={"platforms": "linux/amd64,linux/arm64,linux/riscv64,linux/ppc64le,linux/s390x,"
                                              "linux/386,linux/arm/v7,linux/arm/v6"})


def setup_buildx(call: StepCall) -> ActionResult:
    call.run.log.write("Creating a new builder instance (emulated)")
    name = f"builder-{call.run.github['run_id']}"
    return ActionResult(outputs={"name": name, "driver": "docker-container", "platforms": "linux/amd64,linux/arm64",
                                 "nodes": "[]", "flags": ""})


def login(call: StepCall) -> ActionResult:
    run = call.run
    registry = (call.inputs.get("registry") or "docker.io").strip().lower()
    username, password = call.inputs.get("username", ""), call.inputs.get("password", "")
    if registry not in run.services.registry_hosts:
        return ActionResult(emulated=False)
    if not username or not password:
        run.log.error("Username and password required")
        return ActionResult(ok=False)
    run.log.write(f"Logging into {registry}...")
    if not run.services.tokens.accepts(password):
        run.log.error(f'Error response from daemon: Get "https://{registry}/v2/": denied: denied')
        return ActionResult(ok=False)
    run.logins[registry] = password
    run.log.write("Login Succeeded!")
    return ActionResult()


def cache(call: StepCall) -> ActionResult:
    call.run.log.write("Cache not found (the emulator keeps no cache)")
    return ActionResult(outputs={"cache-hit": "false"})


NATIVE_ACTIONS: dict[str, Action] = {
    "actions/checkout": checkout,
    "actions/setup-go": setup_go,
    "actions/cache": cache,
    "actions/upload-artifact": upload_artifact,
    "actions/download-artifact": download_artifact,
    "docker/setup-qemu-action": setup_qemu,
    "docker/setup-buildx-action": setup_buildx,
    "docker/login-action": login,
    "docker/metadata-action": metadata,
    "docker/build-push-action": build_push,
}
