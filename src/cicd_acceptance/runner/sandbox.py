"""Where a target's commands run: namespaces in which no credential of the harness can be reached.

Taking variables out of a child's environment is not enough: a child can read its parent's environment from
``/proc/$PPID/environ``, or the operator's ``~/.config/gh/hosts.yml``. So a step runs in
`bubblewrap <https://github.com/containers/bubblewrap>`_ (Debian ``bubblewrap``) with

* a new PID namespace and its own ``/proc``: no process of the harness is visible;
* a new user namespace in which the step is uid/gid 1001 (a runner's ``runner`` user) with no capabilities;
* the whole filesystem read-only, with fresh empty ``/tmp``, ``/var/tmp``, ``/root``, ``/home``, ``/run/user`` and
  the harness's own ``HOME``/config folders, and ``/etc/shadow`` masked;
* only the workspace, the job's ``RUNNER_TEMP``/``HOME`` and the caches the caller names writable;
* the network as it is (the emulator's docker stand-in listens on loopback).

The wrapper itself starts with the step's environment only, so even the sandbox's init (PID 1, visible to the step)
holds nothing of the harness's. Without bubblewrap, ``unshare`` (util-linux) gives the same PID and mount
isolation with a user namespace mapped to the caller. When neither works, :func:`default_sandbox` raises
:class:`~cicd_acceptance.errors.ToolMissing`: the target's commands are then not run at all.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cicd_acceptance.errors import ToolMissing

__all__ = ["BwrapSandbox", "Sandbox", "UnshareSandbox", "default_sandbox", "hidden_dirs"]

SANDBOX_UID = 1001
_PROBE_TIMEOUT_S = 20.0
# Emptied, not used: these are the folders where a harness's own files (and its credentials) live.
_ALWAYS_HIDDEN = ("/tmp", "/var/tmp", "/root", "/home", "/run/user", "/dev/shm")  # noqa: S108
_MASKED_FILES = ("/etc/shadow", "/etc/gshadow")
_CREDENTIALS = (".config/gh", ".docker", ".git-credentials", ".netrc", ".ssh", ".aws", ".azure", ".kube",
                ".config/gcloud", ".npmrc", ".pypirc", ".config/hub")
"""Credential files and folders under a home: hidden even when the home itself is writable (the workspace)."""
_CONFIG_VARS = ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR", "GH_CONFIG_DIR",
                "DOCKER_CONFIG", "TMPDIR")


def hidden_dirs(environ: Mapping[str, str] | None = None) -> list[Path]:
    """Folders replaced by empty ones in the sandbox: the usual homes and temp dirs, and the harness's own."""
    environ = os.environ if environ is None else environ
    dirs = [Path(d) for d in _ALWAYS_HIDDEN]
    for name in _CONFIG_VARS:
        value = environ.get(name, "")
        if value.startswith("/") and Path(value).resolve() != Path("/"):
            dirs.append(Path(value).resolve())
    with contextlib.suppress(RuntimeError):
        dirs.append(Path.home().resolve())
    return [d for d in dict.fromkeys(dirs) if d.is_dir() and d != Path("/")]


class Sandbox(ABC):
    """Wraps a command so that it runs isolated from the harness."""

    name: str
    """Short name for messages and the README (``bwrap``, ``unshare``)."""
    hidden: list[Path]
    """Folders that are empty inside the sandbox (except writable folders inside them)."""

    def visible(self, path: Path, writable: Sequence[Path]) -> bool:
        """Whether ``path`` as seen from outside is the same inside (not in a hidden folder, or made writable)."""
        path = Path(os.path.abspath(path))
        return any(_inside(path, w) for w in writable) or not any(_inside(path, h) for h in self.hidden)

    @abstractmethod
    def wrap(self, argv: Sequence[str], *, cwd: Path, writable: Sequence[Path],
             covers: Mapping[Path, Path] | None = None, readable: Sequence[Path] = ()) -> list[str]:
        """The argv that runs ``argv`` in ``cwd`` inside the sandbox, with ``writable`` folders writable.

        ``readable`` folders are shown read-only even where a hidden folder would cover them (a tool folder under
        /tmp, a read-only module cache). ``covers`` maps a file inside the sandbox to a file whose content it shows
        instead, read-only (a copy of ``.git/config`` without credentials). The caller starts the result with the
        step's environment only.
        """

    def _mounts(self, writable: Sequence[Path], covers: Mapping[Path, Path] | None,
                readable: Sequence[Path] = ()) -> _Mounts:
        writable_binds = [Path(w).resolve() for w in writable]
        readonly = [r for r in dict.fromkeys(Path(p).resolve() for p in readable) if r not in writable_binds]
        # Outer folders first: a folder bound later hides what an earlier bind put inside it.
        binds = sorted([*writable_binds, *readonly], key=lambda p: len(p.parts))
        first, again = _layers(self.hidden, binds)
        masked = [Path(m) for m in _MASKED_FILES if os.path.exists(m)]
        for home in self.hidden:
            for rel in _CREDENTIALS:
                found = home / rel
                if any(_inside(found, b) for b in binds) and (found.exists() or found.is_symlink()):
                    (again if found.is_dir() and not found.is_symlink() else masked).append(found)
        return _Mounts(first, binds, again, masked, dict(covers or {}), readonly)

    def describe(self) -> str:
        return self.name


@dataclass(frozen=True)
class _Mounts:
    """In order: empty ``first``, bind ``binds`` writable, empty ``again``, mask ``masked`` files with /dev/null,
    then show each ``covers`` source read-only at its target."""

    first: list[Path]
    binds: list[Path]
    again: list[Path]
    masked: list[Path]
    covers: dict[Path, Path]
    readonly: list[Path]
    """Those of ``binds`` that are read-only."""


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _layers(hidden: Sequence[Path], binds: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """The hidden folders to empty before the writable ones are bound (the outermost ones), and after them.

    A hidden folder inside a writable one (a HOME inside the workspace) is emptied again after the binds.
    """
    first = [h for h in hidden if not any(_inside(h, o) and h != o for o in hidden)]
    again = [h for h in hidden if any(_inside(h, b) and h != b for b in binds)]
    return first, again


class BwrapSandbox(Sandbox):
    """bubblewrap: user, PID, IPC and UTS namespaces, a read-only root, fresh homes and temp dirs."""

    name = "bwrap"

    def __init__(self, bwrap: str, *, hidden: Sequence[Path] | None = None) -> None:
        self.bwrap = bwrap
        self.hidden = list(hidden_dirs() if hidden is None else hidden)

    def describe(self) -> str:
        return (f"bwrap: PID/user/IPC/UTS namespaces, own /proc, read-only root, fresh "
                f"{', '.join(map(str, self.hidden))}, uid {SANDBOX_UID}")

    def wrap(self, argv: Sequence[str], *, cwd: Path, writable: Sequence[Path],
             covers: Mapping[Path, Path] | None = None, readable: Sequence[Path] = ()) -> list[str]:
        args = [self.bwrap, "--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
                "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "runner",
                "--die-with-parent", "--new-session", "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev"]
        mounts = self._mounts(writable, covers, readable)
        for folder in mounts.first:
            args += ["--tmpfs", str(folder)]
        for folder in mounts.binds:
            args += ["--ro-bind" if folder in mounts.readonly else "--bind", str(folder), str(folder)]
        for folder in mounts.again:
            args += ["--tmpfs", str(folder)]
        for masked in mounts.masked:
            args += ["--ro-bind", "/dev/null", str(masked)]
        for target, source in mounts.covers.items():
            args += ["--ro-bind", str(source), str(target)]
        return [*args, "--chdir", str(cwd), "--", *argv]


class UnshareSandbox(Sandbox):
    """util-linux unshare: user (mapped to the caller), PID and mount namespaces; fresh homes and temp dirs.

    The folders are rearranged by a small shell prelude inside the new mount namespace: each writable folder is
    opened first, every mount is made read-only, the hidden folders get empty tmpfs mounts, then the writable
    folders are bound back (writable) from their open descriptors.
    """

    name = "unshare"
    _PRELUDE = r"""
set -e
mount --make-rprivate /
n=$1; shift
i=0; while [ "$i" -lt "$n" ]; do eval "exec $((i + 10))<\"\$1\""; eval "w$i=\$1"; shift; i=$((i + 1)); done
# Every mount of the host read-only (not only /), except the kernel's own file systems. mountinfo writes a
# space, tab, newline or backslash in a mount point as \040, \011, \012, \134: decoded, or that mount would
# stay writable (a backslash is always escaped, so no other sequence can appear).
while read -r _ _ _ _ point _; do
  printf -v point '%b' "$point"
  case "$point" in /proc|/proc/*|/dev|/dev/pts|/dev/pts/*) continue ;; esac
  mount -o remount,bind,ro "$point" 2>/dev/null || true
done < /proc/self/mountinfo
m=$1; shift
j=0; while [ "$j" -lt "$m" ]; do mount -t tmpfs -o mode=0755 tmpfs "$1"; shift; j=$((j + 1)); done
i=0; while [ "$i" -lt "$n" ]; do
  eval "d=\$w$i"; mkdir -p "$d"
  mount --no-canonicalize --bind "/proc/self/fd/$((i + 10))" "$d"; eval "exec $((i + 10))<&-"
  mount -o remount,bind,rw "$d"  # the bind took the read-only flag of the mount it came from
  i=$((i + 1))
done
r=$1; shift
j=0; while [ "$j" -lt "$r" ]; do mount -o remount,bind,ro "$1"; shift; j=$((j + 1)); done
m=$1; shift
j=0; while [ "$j" -lt "$m" ]; do mount -t tmpfs -o mode=0755 tmpfs "$1"; shift; j=$((j + 1)); done
k=$1; shift
j=0; while [ "$j" -lt "$k" ]; do mount --bind /dev/null "$1"; shift; j=$((j + 1)); done
k=$1; shift
j=0; while [ "$j" -lt "$k" ]; do
  mount --bind "$1" "$2"; mount -o remount,bind,ro "$2"; shift 2; j=$((j + 1))
done
mount -o remount,bind,ro /
cd "$1"; shift
exec "$@"
"""

    def __init__(self, unshare: str, bash: str, *, hidden: Sequence[Path] | None = None) -> None:
        self.unshare = unshare
        self.bash = bash
        self.hidden = list(hidden_dirs() if hidden is None else hidden)

    def describe(self) -> str:
        return (f"unshare: PID/user/mount namespaces, own /proc, read-only root, fresh "
                f"{', '.join(map(str, self.hidden))}")

    def wrap(self, argv: Sequence[str], *, cwd: Path, writable: Sequence[Path],
             covers: Mapping[Path, Path] | None = None, readable: Sequence[Path] = ()) -> list[str]:
        m = self._mounts(writable, covers, readable)
        pairs = [str(p) for target, source in m.covers.items() for p in (source, target)]
        return [self.unshare, "--user", "--map-root-user", "--pid", "--fork", "--mount-proc", "--mount",
                "--kill-child", "--", self.bash, "--noprofile", "--norc", "-c", self._PRELUDE, "sandbox",
                str(len(m.binds)), *map(str, m.binds), str(len(m.first)), *map(str, m.first),
                str(len(m.readonly)), *map(str, m.readonly),
                str(len(m.again)), *map(str, m.again), str(len(m.masked)), *map(str, m.masked),
                str(len(m.covers)), *pairs, str(cwd), *argv]


def _works(sandbox: Sandbox) -> str | None:
    """None when ``sandbox`` can run a command here, else the reason it cannot."""
    with tempfile.TemporaryDirectory(prefix="cicd-sandbox-probe-") as folder:
        probe = Path(folder)
        script = "touch probe && test -d /proc/self && echo sandbox-ok"
        try:
            proc = subprocess.run(sandbox.wrap(["/bin/sh", "-c", script], cwd=probe, writable=[probe]),
                                  env={"PATH": "/usr/bin:/bin"}, capture_output=True, timeout=_PROBE_TIMEOUT_S,
                                  check=False, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{sandbox.name} cannot start: {exc}"
    if proc.returncode != 0 or b"sandbox-ok" not in proc.stdout:
        text = (proc.stderr or proc.stdout).decode(errors="replace").strip().splitlines()
        return f"{sandbox.name} exited {proc.returncode}: {text[-1] if text else 'no output'}"
    return None


@lru_cache(maxsize=1)
def default_sandbox() -> Sandbox:
    """The isolation this machine offers (bubblewrap, else unshare), probed once.

    Raises :class:`ToolMissing` naming every reason when neither works: the caller must then not run the commands.
    """
    reasons: list[str] = []
    candidates: list[Sandbox] = []
    bwrap = shutil.which("bwrap")
    if bwrap:
        candidates.append(BwrapSandbox(bwrap))
    else:
        reasons.append("bwrap is not installed (Debian: bubblewrap)")
    unshare, bash = shutil.which("unshare"), shutil.which("bash")
    if unshare and bash:
        candidates.append(UnshareSandbox(unshare, bash))
    else:
        reasons.append("unshare (util-linux) or bash is not installed")
    for sandbox in candidates:
        reason = _works(sandbox)
        if reason is None:
            return sandbox
        reasons.append(reason)
    raise ToolMissing("no isolation for the target's commands on this machine, so they are not run: "
                      + "; ".join(reasons), tool="bwrap")
