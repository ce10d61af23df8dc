"""TEMPORARY local stand-in of the runner package interface (not committed; replaced by branch runner)."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["JobWorkspace", "Limits", "StepResult", "StepSpec", "default_sandbox"]


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 300.0
    output_bytes: int = 1 << 20


@dataclass(frozen=True)
class StepSpec:
    script: str
    shell: str | None
    working_directory: Path
    env: Mapping[str, str]
    name: str = ""


@dataclass(frozen=True)
class StepResult:
    exit_code: int | None
    timed_out: bool
    output: str
    truncated: bool
    outputs: Mapping[str, str] = field(default_factory=dict)
    env_added: Mapping[str, str] = field(default_factory=dict)
    path_added: tuple[str, ...] = ()
    summary: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


class Sandbox:
    pass


def default_sandbox() -> Sandbox:
    return Sandbox()


def _parse(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^([^=<]+)<<(.+)$", line)
        if m:
            name, delim = m.group(1), m.group(2)
            body = []
            i += 1
            while i < len(lines) and lines[i] != delim:
                body.append(lines[i])
                i += 1
            out[name] = "\n".join(body)
        elif "=" in line:
            k, _, v = line.partition("=")
            out[k] = v
        i += 1
    return out


class JobWorkspace:
    def __init__(self, workspace: Path, *, runner_env: Mapping[str, str], limits: Limits,
                 sandbox: Sandbox | None = None) -> None:
        self.workspace = workspace
        self.runner_env = dict(runner_env)
        self.limits = limits
        self.temp = Path(tempfile.mkdtemp(prefix="runner-temp-"))
        self.env: dict[str, str] = {}
        self.path: list[str] = []
        self.count = 0

    def run(self, step: StepSpec) -> StepResult:
        self.count += 1
        files = {name: self.temp / f"{name.lower()}_{self.count}" for name in
                 ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")}
        for f in files.values():
            f.write_text("")
        script = self.temp / f"step_{self.count}.sh"
        script.write_text(step.script)
        env = {**self.runner_env, **self.env, **step.env, **{k: str(v) for k, v in files.items()},
               "RUNNER_TEMP": str(self.temp)}
        if self.path:
            env["PATH"] = ":".join([*reversed(self.path), env.get("PATH", "/usr/bin:/bin")])
        shell = step.shell or "bash -e {0}"
        if shell == "bash":
            shell = "bash --noprofile --norc -eo pipefail {0}"
        argv = [part.replace("{0}", str(script)) for part in shell.split()]
        proc = subprocess.Popen(argv, cwd=step.working_directory, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
        timed_out = False
        try:
            out, _ = proc.communicate(timeout=self.limits.timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            timed_out = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        truncated = len(out) > self.limits.output_bytes
        out = out[-self.limits.output_bytes:]
        env_added = _parse(files["GITHUB_ENV"].read_text())
        self.env.update(env_added)
        paths = tuple(p for p in files["GITHUB_PATH"].read_text().splitlines() if p)
        self.path += paths
        return StepResult(None if timed_out else proc.returncode, timed_out, out.decode("utf-8", "replace"),
                          truncated, _parse(files["GITHUB_OUTPUT"].read_text()), env_added, paths,
                          files["GITHUB_STEP_SUMMARY"].read_text())
