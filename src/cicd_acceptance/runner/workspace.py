"""One job's runner state: the workspace, RUNNER_TEMP and HOME, and what earlier steps added to env and PATH.

:meth:`JobWorkspace.run` runs a step as a GitHub Linux runner would: the script is written to a file in
RUNNER_TEMP and started with the step's shell template; the environment is the runner's (given by the caller),
then the step's ``env:``, with what earlier steps wrote to GITHUB_ENV (a step's own ``env:`` still wins) and
GITHUB_PATH (last written first on PATH); GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH and GITHUB_STEP_SUMMARY are fresh
files for each step, read back afterwards. The command runs in the sandbox, bounded by :class:`Limits`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from cicd_acceptance.errors import ToolError
from cicd_acceptance.runner.filecommands import FileCommandError, parse_key_values, parse_path_lines, read_bounded
from cicd_acceptance.runner.gitconfig import git_config_covers
from cicd_acceptance.runner.process import run_bounded
from cicd_acceptance.runner.sandbox import Sandbox, default_sandbox
from cicd_acceptance.runner.shells import resolve_shell
from cicd_acceptance.runner.spec import Limits, StepResult, StepSpec

__all__ = ["DEFAULT_PATH", "JobWorkspace"]

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_FILE_COMMANDS = ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")


def _valid(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k and "=" not in k and "\0" not in k and "\0" not in v}


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


class JobWorkspace:
    """The runner's state for one job. Use it as a context manager (or call :meth:`close`) to remove RUNNER_TEMP.

    ``runner_env`` is what a runner sets (``CI``, ``GITHUB_ACTIONS``, ``GITHUB_WORKSPACE``, ``GITHUB_SHA``, ...);
    ``PATH`` in it is the step's starting PATH (default :data:`DEFAULT_PATH`). ``writable`` names extra folders the
    steps may write (build caches), ``readable`` folders they may only read; both are needed for a folder the
    sandbox would otherwise hide (anything under /tmp, /root, /home or the harness's HOME). ``sandbox`` defaults to
    :func:`default_sandbox`, which raises :class:`~cicd_acceptance.errors.ToolMissing` on a machine with no
    isolation. ``git_dirs`` are git folders the steps see (among ``readable``) apart from the workspace's own: their
    ``config`` is shown without credentials, as the workspace's is.
    """

    def __init__(self, workspace: Path, *, runner_env: Mapping[str, str], limits: Limits,
                 sandbox: Sandbox | None = None, writable: Sequence[Path] = (),
                 readable: Sequence[Path] = (), git_dirs: Sequence[Path] = ()) -> None:
        if not workspace.is_absolute() or workspace.resolve() == Path("/"):
            raise ValueError(f"workspace must be an absolute folder other than /, got {workspace}")
        self.workspace = workspace.resolve()
        self.limits = limits
        self.sandbox = sandbox if sandbox is not None else default_sandbox()
        self.writable = tuple(Path(w).resolve() for w in writable)
        self.readable = tuple(Path(r).resolve() for r in readable)
        self._root = Path(tempfile.mkdtemp(prefix="cicd-runner-"))
        self.runner_temp = self._root / "temp"
        self.home = self._root / "home"
        self.runner_temp.mkdir()
        self.home.mkdir()
        # Credentials a checkout left in .git/config (the harness's own token, in CI) are not the step's to read.
        self.covers = git_config_covers(self.workspace, self._root, [Path(g).resolve() for g in git_dirs])
        self._runner_env = {"CI": "true", "GITHUB_ACTIONS": "true", "RUNNER_OS": "Linux",
                            "GITHUB_WORKSPACE": str(self.workspace), **runner_env}
        self.env_added: dict[str, str] = {}
        self.path_added: list[str] = []
        """GITHUB_PATH entries, most recent first (as they go on PATH)."""

    def __enter__(self) -> JobWorkspace:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        shutil.rmtree(self._root, ignore_errors=True)

    def step_environment(self, step: StepSpec, files: Mapping[str, Path]) -> dict[str, str]:
        """The environment the step's process starts with (and nothing of the harness's).

        Names and values no process environment can hold (empty, ``=`` in a name, NUL anywhere) are left out.
        """
        return _valid(self._build_environment(step, files))

    def _build_environment(self, step: StepSpec, files: Mapping[str, Path]) -> dict[str, str]:
        env = {**self._runner_env}
        env.update({k: v for k, v in step.env.items() if k not in self.env_added or k in step.step_env_keys})
        env.update({k: v for k, v in self.env_added.items() if k not in step.step_env_keys})
        base = env.get("PATH") or DEFAULT_PATH
        env["PATH"] = os.pathsep.join([*self.path_added, base])
        env.update(HOME=str(self.home), RUNNER_TEMP=str(self.runner_temp), TMPDIR=str(self.runner_temp))
        env.update({name: str(path) for name, path in files.items()})
        return env

    def run(self, step: StepSpec) -> StepResult:
        """Run ``step``; a failing or timed-out command is a result. A missing shell raises ToolMissing."""
        cwd = step.working_directory.resolve()
        if not (cwd == self.workspace or self.workspace in cwd.parents):
            raise ValueError(f"working directory {step.working_directory} is outside the workspace {self.workspace}")
        key = uuid.uuid4().hex
        files = {name: self.runner_temp / f"_{name.lower()}_{key}" for name in _FILE_COMMANDS}
        for path in files.values():
            path.touch()
        env = self.step_environment(step, files)
        writable = [self.workspace, self._root, *self.writable]
        # The shell is looked up on the PATH entries that exist inside the sandbox too.
        shown = [*writable, *self.readable]
        seen = [d for d in env["PATH"].split(os.pathsep) if d and self.sandbox.visible(Path(d), shown)]
        shell = resolve_shell(step.shell, path=os.pathsep.join(seen))
        script = self.runner_temp / f"{key}{shell.extension}"
        script.write_text(step.script, encoding="utf-8")
        argv = self.sandbox.wrap(shell.argv_for(str(script)), cwd=cwd, writable=writable, covers=self.covers,
                                 readable=self.readable)
        timeout = min(self.limits.timeout_s, step.timeout_s) if step.timeout_s else self.limits.timeout_s
        try:
            done = run_bounded(argv, cwd=cwd, env=env, timeout_s=timeout, output_bytes=self.limits.output_bytes)
        except OSError as exc:
            raise ToolError(f"cannot start the step's sandbox ({self.sandbox.name}): {exc.strerror or exc}",
                            tool=self.sandbox.name) from exc
        outputs, env_added, path_added, summary, errors = self._read_files(files)
        self.env_added.update(env_added)
        for entry in path_added:
            if entry in self.path_added:
                self.path_added.remove(entry)
            self.path_added.insert(0, entry)
        for path in [*files.values(), script]:
            _remove(path)  # the step may have replaced a file with a folder
        return StepResult(exit_code=done.returncode, timed_out=done.timed_out,
                          output=done.output.decode("utf-8", errors="replace"), truncated=done.truncated,
                          outputs=outputs, env_added=env_added, path_added=tuple(path_added), summary=summary,
                          errors=tuple(errors))

    def _read_files(self, files: Mapping[str, Path]
                    ) -> tuple[dict[str, str], dict[str, str], list[str], str, list[str]]:
        limit = self.limits.file_command_bytes
        errors: list[str] = []
        texts: dict[str, str] = {}
        for name, path in files.items():
            try:
                texts[name] = read_bounded(path, limit)
            except FileCommandError as exc:
                errors.append(f"{name}: {exc}")
                texts[name] = ""
        parsed: dict[str, dict[str, str]] = {}
        for name in ("GITHUB_OUTPUT", "GITHUB_ENV"):
            try:
                parsed[name] = parse_key_values(texts[name], file=name)
            except FileCommandError as exc:
                errors.append(str(exc))
                parsed[name] = {}
        return (parsed["GITHUB_OUTPUT"], parsed["GITHUB_ENV"], parse_path_lines(texts["GITHUB_PATH"]),
                texts["GITHUB_STEP_SUMMARY"], errors)
