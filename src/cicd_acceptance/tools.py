"""Finding and running the real tools: actionlint, zizmor, the GitHub workflow JSON schema, and shell commands.

Every checker returns :class:`ToolFinding` records, so callers report ``path:line:col: message [rule]`` the same
way whatever produced them. A tool that is not installed raises :class:`~cicd_acceptance.errors.ToolMissing`; a
tool that crashes, times out or prints something we cannot parse raises :class:`~cicd_acceptance.errors.ToolError`.
A finding is never an exception: it is data.

Children never see GitHub credentials (:data:`CREDENTIAL_ENV_VARS` are removed from their environment): none of
these tools needs one offline, and a token a child never had cannot leak into its output.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import sysconfig
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from cicd_acceptance.errors import ToolError, ToolMissing
from cicd_acceptance.runner.process import capture_bounded
from cicd_acceptance.toolcache import CachedRun, Caching, ToolResultCache, run_key

__all__ = [
    "ACTIONLINT_CONFIG_NAMES",
    "CREDENTIAL_ENV_VARS",
    "SEVERITIES",
    "ZIZMOR_CONFIG_NAMES",
    "CommandResult",
    "ToolFinding",
    "ZizmorResult",
    "default_zizmor_config",
    "find_tool",
    "require",
    "run_actionlint",
    "run_command",
    "run_zizmor",
    "tool_search_path",
    "zizmor_config_for",
]

CREDENTIAL_ENV_VARS = ("GITHUB_TOKEN", "GH_TOKEN", "ZIZMOR_GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_PAT")
SEVERITIES = ("unknown", "informational", "low", "medium", "high")
"""zizmor's severities, lowest first; a finding blocks when it is at or above the chosen minimum."""

DEFAULT_TIMEOUT_S = 300.0
MAX_OUTPUT_BYTES = 32 << 20
"""The most a tool may print on stdout or on stderr before it is stopped (zizmor's JSON for a big repository fits)."""
_REPO_ROOT = Path(__file__).resolve().parents[2]
ZIZMOR_CONFIG_NAMES = (".github/zizmor.yml", ".github/zizmor.yaml", "zizmor.yml", "zizmor.yaml")
ACTIONLINT_CONFIG_NAMES = (".github/actionlint.yaml", ".github/actionlint.yml")


@dataclass(frozen=True)
class ToolFinding:
    """One problem a tool reported. ``line``/``column`` are 1-based; 0 when the tool gave no position."""

    tool: str
    path: str
    line: int
    column: int
    rule: str
    severity: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message} [{self.rule}]"


@dataclass(frozen=True)
class ZizmorResult:
    """Every zizmor finding, and the ones at or above ``min_severity`` that block acceptance."""

    findings: tuple[ToolFinding, ...]
    blocking: tuple[ToolFinding, ...]
    min_severity: str
    config: Path | None


@dataclass(frozen=True)
class CommandResult:
    """What a command did. ``command`` is the display form used in messages."""

    command: str
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


# --- finding tools -------------------------------------------------------------------------------------------------


def tool_search_path(extra_dirs: Iterable[Path | str] = ()) -> str:
    """The search path used by :func:`find_tool`, as an ``os.pathsep``-joined string (for ``shutil.which``).

    PATH first, then ``extra_dirs``, then this interpreter's scripts folder (zizmor and check-jsonschema come with
    our Python dependencies even when the venv is not activated), then ``<repo root>/.tools/bin`` where
    ``.ci/install-tools.sh`` puts actionlint.
    """
    dirs = [*os.environ.get("PATH", "").split(os.pathsep), *map(str, extra_dirs)]
    dirs += [sysconfig.get_path("scripts"), str(Path(sys.executable).parent), str(_REPO_ROOT / ".tools" / "bin")]
    return os.pathsep.join(dict.fromkeys(d for d in dirs if d))


def find_tool(name: str, *, extra_dirs: Iterable[Path | str] = ()) -> str | None:
    """Absolute path of the executable ``name``, or ``None`` when it is nowhere on :func:`tool_search_path`."""
    return shutil.which(name, path=tool_search_path(extra_dirs))


def require(name: str, *, extra_dirs: Iterable[Path | str] = ()) -> str:
    """Like :func:`find_tool`, but raise :class:`ToolMissing` with an install hint instead of returning ``None``."""
    found = find_tool(name, extra_dirs=extra_dirs)
    if found is None:
        raise ToolMissing(f"not found on PATH or in {_REPO_ROOT / '.tools' / 'bin'} (run .ci/install-tools.sh)",
                          tool=name)
    return found


# --- running commands ----------------------------------------------------------------------------------------------


def _child_env(changes: Mapping[str, str | None] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_ENV_VARS}
    for name, value in (changes or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_command(command: Sequence[str] | str, *, cwd: Path, timeout: float = DEFAULT_TIMEOUT_S,
                env: Mapping[str, str | None] | None = None, max_output: int = MAX_OUTPUT_BYTES,
                caching: Caching | None = None) -> CommandResult:
    """Run one of the harness's own tools (git, go, actionlint...) in ``cwd`` and capture its output; a non-zero
    exit is a result, not an error. The target's commands never come here: they run in :mod:`cicd_acceptance.runner`.

    ``env`` changes our environment for the child (``None`` removes a variable); credentials are always removed.
    stdout and stderr are each kept up to ``max_output`` bytes; a tool that prints more is stopped and that is a
    ToolError, as is the time bound (the whole process group is killed either way).

    A string runs under ``bash --noprofile --norc -eo pipefail -c``; a sequence is an argv.
    Missing executable -> ToolMissing; timeout, too much output or unstartable -> ToolError.
    With ``caching``, an earlier answer for the same inputs is returned without running (:mod:`.toolcache`).
    """
    if isinstance(command, str):
        display, argv = command, [require("bash"), "--noprofile", "--norc", "-eo", "pipefail", "-c", command]
    else:
        if not command:
            raise ToolError("empty command", tool="run_command")
        display = " ".join(command)
        program = command[0]
        # A path with a slash names a file relative to cwd (as a shell in cwd would), not a PATH lookup.
        exe = str(cwd / program) if os.sep in program else require(program)
        argv = [exe, *command[1:]]
    tool = Path(argv[0]).name
    shown = display if len(display) <= 200 else display[:200] + "..."
    child_env = _child_env(env)
    key = run_key(argv, cwd=cwd, env=child_env, companions=caching.companions) if caching else None
    kept = caching.cache.get(key) if caching and key else None
    if kept is not None:
        return CommandResult(display, kept.returncode, kept.stdout, kept.stderr)
    try:
        done = capture_bounded(argv, cwd=cwd, env=child_env, timeout_s=timeout, max_bytes=max_output)
    except OSError as exc:
        raise ToolError(f"cannot run `{shown}` in {cwd}: {exc.strerror or exc}", tool=tool) from exc
    if done.timed_out or done.returncode is None:
        raise ToolError(f"`{shown}` in {cwd} did not finish within {timeout:g}s", tool=tool)
    if done.overflow:
        raise ToolError(f"`{shown}` in {cwd} printed more than {max_output} bytes on {done.overflow}; stopped it",
                        tool=tool)
    result = CommandResult(display, done.returncode, done.stdout.decode(errors="replace"),
                           done.stderr.decode(errors="replace"))
    if caching and key and result.returncode in caching.keep:
        caching.cache.put(key, CachedRun(result.returncode, result.stdout, result.stderr))
    return result


def _tail(text: str, lines: int = 5) -> str:
    return " | ".join(text.strip().splitlines()[-lines:]) or "(no output)"


def _parse_json(result: CommandResult, tool: str) -> Any:
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        raise ToolError(f"`{result.command}` exited {result.returncode} with output that is not JSON ({exc}); "
                        f"stderr: {_tail(result.stderr)}", tool=tool) from exc


# --- actionlint ----------------------------------------------------------------------------------------------------


def run_actionlint(paths: Sequence[Path | str], *, cwd: Path, timeout: float = DEFAULT_TIMEOUT_S,
                   cache: ToolResultCache | None = None) -> list[ToolFinding]:
    """actionlint's findings for ``paths`` (relative to ``cwd`` or absolute), read from its JSON output.

    actionlint exits 0 when clean, 1 when it found problems, 2 on bad usage and 3 on failure. With ``cache``, a
    result for the same files is reused: ``cwd`` must then hold every file actionlint reads, and nothing else
    (a staging folder; everything under it is read for the key).
    """
    exe = require("actionlint")
    # Exit 1 is an answer (problems found); actionlint runs shellcheck and pyflakes when they are on PATH.
    caching = Caching(cache, keep=(0, 1), companions=("shellcheck", "pyflakes")) if cache else None
    result = run_command([exe, "-no-color", "-format", "{{json .}}", *map(str, paths)], cwd=cwd, timeout=timeout,
                         caching=caching)
    if result.returncode not in (0, 1):
        raise ToolError(f"`actionlint` exited {result.returncode}: {_tail(result.stderr or result.stdout)}",
                        tool="actionlint")
    errors = _parse_json(result, "actionlint")
    if not isinstance(errors, list) or (result.returncode == 1 and not errors):
        raise ToolError(f"unexpected JSON from actionlint (exit {result.returncode}): {_tail(result.stdout)}",
                        tool="actionlint")
    return [_actionlint_finding(e) for e in errors]


def _actionlint_finding(error: Any) -> ToolFinding:
    try:
        return ToolFinding("actionlint", str(error["filepath"]), int(error["line"]), int(error["column"]),
                           str(error["kind"]), "error", str(error["message"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ToolError(f"unexpected error record from actionlint: {error!r}", tool="actionlint") from exc


# --- zizmor --------------------------------------------------------------------------------------------------------


def default_zizmor_config() -> Path:
    """Our default zizmor configuration: version-tag pins allowed, every other audit as zizmor ships it."""
    return Path(str(resources.files("cicd_acceptance").joinpath("data", "zizmor.yml")))


def zizmor_config_for(repo_dir: Path) -> Path:
    """The target's own zizmor configuration when it has one (where zizmor looks for it), else ours."""
    for name in ZIZMOR_CONFIG_NAMES:
        if (repo_dir / name).is_file():
            return repo_dir / name
    return default_zizmor_config()


def run_zizmor(paths: Sequence[Path | str], *, config: Path | None, min_severity: str = "high",
               cwd: Path | None = None, timeout: float = DEFAULT_TIMEOUT_S,
               cache: ToolResultCache | None = None) -> ZizmorResult:
    """Audit ``paths`` offline. ``config=None`` means zizmor's built-in defaults (``--no-config``), not discovery.

    ``cache`` as for :func:`run_actionlint` (used only with ``cwd``)."""
    wanted = min_severity.strip().lower()
    if wanted not in SEVERITIES:
        raise ToolError(f"unknown minimum severity {min_severity!r}; use one of {', '.join(SEVERITIES)}",
                        tool="zizmor")
    # --strict-collection: a file zizmor cannot parse must fail the audit, not vanish from it as a mere warning.
    argv = [require("zizmor"), "--offline", "--no-exit-codes", "--no-progress", "--strict-collection",
            "--format", "json", *(["--config", str(config)] if config else ["--no-config"]), *map(str, paths)]
    # ZIZMOR_CONFIG in our environment would silently replace the config we chose; backtraces bury the reason.
    quiet = {"ZIZMOR_CONFIG": None, "RUST_BACKTRACE": "0", "RUST_LIB_BACKTRACE": "0"}
    result = run_command(argv, cwd=cwd or Path.cwd(), timeout=timeout, env=quiet,
                         caching=Caching(cache) if cache and cwd else None)
    if result.returncode != 0:
        raise ToolError(f"`zizmor` exited {result.returncode}: {_zizmor_failure(result.stderr)}", tool="zizmor")
    records = _parse_json(result, "zizmor")
    if not isinstance(records, list):
        raise ToolError(f"unexpected JSON from zizmor: {_tail(result.stdout)}", tool="zizmor")
    findings = tuple(sorted((_zizmor_finding(r) for r in records if not (isinstance(r, dict) and r.get("ignored"))),
                            key=lambda f: (f.path, f.line, f.column, f.rule)))
    threshold = SEVERITIES.index(wanted)
    blocking = tuple(f for f in findings if SEVERITIES.index(f.severity) >= threshold)
    return ZizmorResult(findings, blocking, wanted, config)


def _zizmor_failure(stderr: str, lines: int = 6) -> str:
    # zizmor logs "INFO ..."/"WARN ..." lines before the error; the reason is what follows them.
    kept = [line.strip() for line in stderr.splitlines() if line.strip() and line.split()[0] not in ("INFO", "WARN")]
    return " | ".join(kept[:lines]) or "(no output)"


def _zizmor_finding(record: Any) -> ToolFinding:
    try:
        primary = next((loc for loc in record["locations"] if loc["symbolic"]["kind"] == "Primary"),
                       record["locations"][0])
        path = _zizmor_key_path(primary["symbolic"]["key"])
        start = primary["concrete"]["location"]["start_point"]
        severity = str(record["determinations"]["severity"]).lower()
        annotation = primary["symbolic"].get("annotation") or ""
        message = f"{record['desc']}: {annotation}" if annotation else str(record["desc"])
        # zizmor counts rows and columns from 0.
        return ToolFinding("zizmor", path, int(start["row"]) + 1, int(start["column"]) + 1, str(record["ident"]),
                           severity if severity in SEVERITIES else "unknown", message)
    except (KeyError, IndexError, TypeError, ValueError, StopIteration) as exc:
        raise ToolError(f"unexpected finding record from zizmor: {str(record)[:300]}", tool="zizmor") from exc


def _zizmor_key_path(key: Mapping[str, Any]) -> str:
    # A local file is {"Local": {"verbatim_path": <the path as given>}}; remote inputs have other shapes.
    local = key.get("Local")
    if isinstance(local, Mapping) and local.get("verbatim_path"):
        return str(local["verbatim_path"])
    return json.dumps(key, sort_keys=True)
