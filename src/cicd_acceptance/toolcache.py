"""What actionlint and zizmor said about exactly these files, kept between runs.

Both tools run in a staging folder that holds only copies of the files the harness accepted
(:mod:`cicd_acceptance.workflows.toolinputs`). So what a run reads is known: that folder, the files named on the
command line, the tool itself (with its interpreter and its npm package when it is a script), the programs it may
call from PATH (actionlint runs shellcheck and pyflakes when it finds them) and its own environment variables. A
result is kept under a SHA-256 of all of that, so the next run on an unchanged repository, such as every run after
a merge that did not touch the workflows, gets the same answer without starting the tool (for actionlint, node and
a 10 MB WebAssembly module). A changed input, tool or install gives another key: a miss, and the tool runs.

Only answers the caller calls findings are kept (never a crash or a timeout). The cache lives in the user's cache
folder, which the target's commands cannot reach (the local run's sandbox hides the home), it is bounded in
entries and bytes, and anything in it that does not read back as an entry is ignored and removed.
``ACCEPTANCE_TOOL_CACHE=0`` turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CACHE_ENV", "CachedRun", "Caching", "ToolResultCache", "default_tool_cache", "run_key"]

CACHE_ENV = "ACCEPTANCE_TOOL_CACHE"
_FORMAT = 1
_MAX_INPUT_FILES = 2_000
_MAX_INPUT_BYTES = 64 << 20
_MAX_ENTRY_BYTES = 8 << 20
_PACKAGE_DEPTH = 4


@dataclass(frozen=True)
class CachedRun:
    """A tool's exit status and output, as kept."""

    returncode: int
    stdout: str
    stderr: str


def _stat_identity(path: str | None) -> list[object]:
    """What changes when a file is replaced or rewritten: its real path, size, mtime and inode."""
    if path is None:
        return ["absent"]
    try:
        real = os.path.realpath(path)
        info = os.stat(real)
    except OSError:
        return ["unreadable", path]
    return [real, info.st_size, info.st_mtime_ns, info.st_ino]


def _interpreter(real: str) -> str | None:
    """The program a script's ``#!`` line names (``/usr/bin/env node`` names node, found on PATH)."""
    try:
        with open(real, "rb") as handle:
            head = handle.read(256)
    except OSError:
        return None
    if not head.startswith(b"#!"):
        return None
    words = head[2:].split(b"\n", 1)[0].decode(errors="replace").split()
    if not words:
        return None
    if os.path.basename(words[0]) == "env" and len(words) > 1:
        return shutil.which(words[-1])
    return words[0]


def _package_json(real: str) -> str | None:
    """The nearest ``package.json`` above a script: npm rewrites it when it installs another version."""
    folder = Path(real).parent
    for _ in range(_PACKAGE_DEPTH):
        candidate = folder / "package.json"
        if candidate.is_file():
            return str(candidate)
        folder = folder.parent
    return None


def tool_identity(exe: str, companions: Iterable[str] = ()) -> list[object]:
    """The identity of ``exe`` and of what it runs with: interpreter, npm package, ``companions`` on PATH."""
    real = os.path.realpath(exe)
    identity: list[object] = [_stat_identity(exe)]
    interpreter = _interpreter(real)
    if interpreter is not None:
        identity += [_stat_identity(interpreter), _stat_identity(_package_json(real))]
    return identity + [[name, *_stat_identity(shutil.which(name))] for name in companions]


_TOO_BIG = b"<too big>"


def _read_capped(path: Path, limit: int) -> bytes:
    """The file's bytes, or ``_TOO_BIG`` when it holds more than ``limit`` (never read past it)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(max(limit, 0) + 1)
    except OSError:
        return _TOO_BIG  # unreadable: no key, the tool simply runs
    return _TOO_BIG if len(data) > limit else data


def _tree_digest(root: Path, digest: hashlib._Hash) -> bool:
    """Feed every file under ``root`` (our staging folder: regular files and folders only) to ``digest``; False
    when there are more entries or bytes than a cache key is worth (the tool then simply runs)."""
    found = list(itertools.islice(root.rglob("*"), _MAX_INPUT_FILES + 1))  # files and folders
    files = sorted(p for p in found if p.is_file() and not p.is_symlink())
    if len(found) > _MAX_INPUT_FILES:
        return False
    total = 0
    for path in files:
        data = _read_capped(path, _MAX_INPUT_BYTES - total)
        total += len(data)
        if data is _TOO_BIG or total > _MAX_INPUT_BYTES:
            return False
        digest.update(json.dumps(["file", path.relative_to(root).as_posix(), len(data)]).encode())
        digest.update(data)
    return True


def run_key(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], companions: Iterable[str] = ()) -> str | None:
    """The cache key of running ``argv`` in ``cwd`` with ``env``; None when the inputs are too big to key.

    Reads: the tool's identity, the other arguments (``cwd`` itself written as ``<cwd>``: the staging folder has
    another name each run), the bytes of arguments that name files outside ``cwd``, every file under ``cwd``, and
    the environment variables named after the tool (``ZIZMOR_*``).
    """
    root = Path(os.path.abspath(cwd))
    digest = hashlib.sha256()
    tool = Path(argv[0]).name.upper().replace("-", "_")
    own_env = sorted((k, v) for k, v in env.items() if k.startswith(tool + "_"))
    args = [arg.replace(str(root), "<cwd>") for arg in argv[1:]]
    digest.update(json.dumps([_FORMAT, tool_identity(argv[0], companions), args, own_env]).encode())
    for arg in argv[1:]:
        named = Path(os.path.abspath(root / arg))
        if not named.is_relative_to(root) and named.is_file():
            data = _read_capped(named, _MAX_INPUT_BYTES)
            if data is _TOO_BIG:
                return None
            digest.update(json.dumps(["argument-file", arg]).encode() + data)
    if not _tree_digest(root, digest):
        return None
    return digest.hexdigest()


class ToolResultCache:
    """Kept tool results in ``folder`` (one JSON file per key), at most ``max_entries`` of them."""

    def __init__(self, folder: Path, *, max_entries: int = 512) -> None:
        self.folder = folder
        self.max_entries = max_entries

    def get(self, key: str) -> CachedRun | None:
        path = self.folder / f"{key}.json"
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return None
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(_MAX_ENTRY_BYTES + 1)
        entry = _entry(data)
        if entry is None:
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: pruned last
        return entry

    def put(self, key: str, run: CachedRun) -> None:
        """Keep ``run`` under ``key`` (atomically); a full disk or a read-only folder only means no cache."""
        data = json.dumps({"format": _FORMAT, "returncode": run.returncode, "stdout": run.stdout,
                           "stderr": run.stderr}).encode()
        if len(data) > _MAX_ENTRY_BYTES:
            return
        with contextlib.suppress(OSError):
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".entry-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(tmp, self.folder / f"{key}.json")
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
            self._prune()

    def _prune(self) -> None:
        entries = list(itertools.islice(self.folder.glob("*.json"), 8 * self.max_entries))
        if len(entries) <= self.max_entries:
            return
        entries.sort(key=lambda p: p.stat().st_mtime_ns if p.exists() else 0)
        for stale in entries[: len(entries) - self.max_entries * 3 // 4]:
            with contextlib.suppress(OSError):
                stale.unlink()


@dataclass(frozen=True)
class Caching:
    """How one tool's runs are cached: where, which exit statuses are answers worth keeping (actionlint's 1 means
    "found problems"), and which programs on PATH it may call."""

    cache: ToolResultCache
    keep: tuple[int, ...] = (0,)
    companions: tuple[str, ...] = ()


def _entry(data: bytes) -> CachedRun | None:
    if len(data) > _MAX_ENTRY_BYTES:
        return None
    try:
        raw = json.loads(data)
    except ValueError:
        return None
    if not isinstance(raw, dict) or raw.get("format") != _FORMAT:
        return None
    code, out, err = raw.get("returncode"), raw.get("stdout"), raw.get("stderr")
    if not isinstance(code, int) or not isinstance(out, str) or not isinstance(err, str):
        return None
    return CachedRun(code, out, err)


def default_tool_cache(environ: Mapping[str, str] | None = None) -> ToolResultCache | None:
    """The user's tool-result cache (``$XDG_CACHE_HOME/cicd-acceptance/tool-results``), or None when
    ``ACCEPTANCE_TOOL_CACHE`` is ``0`` (or no home folder can be found)."""
    environ = os.environ if environ is None else environ
    if environ.get(CACHE_ENV, "").strip().lower() in {"0", "false", "no", "off"}:
        return None
    base = environ.get("XDG_CACHE_HOME", "")
    if not base.startswith("/"):
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:
            return None
    return ToolResultCache(Path(base) / "cicd-acceptance" / "tool-results")
