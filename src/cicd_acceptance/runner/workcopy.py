"""The folder the target's commands run in: a copy of its working tree, never the user's checkout.

A GitHub runner runs a job in a fresh checkout of the commit; the target's steps may delete, tidy or generate files
there. Run in the user's checkout, the same steps (``rm -rf .``, ``go mod tidy``, ``git clean``) would change or
destroy the user's work. So the steps get a copy, taken under the rules the harness reads the target by: regular
files and folders only (a FIFO, device or socket cannot be committed, a runner's checkout has none), symlinks copied
as symlinks only when they stay inside the repository (a link out is refused, never followed), the repository's
``.git`` left out, and the whole copy bounded in entries and bytes.

The copy lives at a stable path per repository (Go's build and test caches key on paths), emptied and refilled each
run without following any symlink a previous run planted there, and held with ``flock`` on a lock file beside it:
a second harness run on the same repository at the same time gets a fresh temporary folder instead.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cicd_acceptance.errors import ToolError

__all__ = ["CopyLimits", "copy_working_tree", "empty_folder", "work_copy"]

_TOOL = "local-run"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class CopyLimits:
    """Caps of the copy: files, folders and links together, and the bytes of the files."""

    max_entries: int = 100_000
    max_bytes: int = 1 << 30


@dataclass
class _Budget:
    limits: CopyLimits
    entries: int = 0
    bytes: int = 0

    def entry(self, rel: str) -> None:
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise ToolError(f"the working tree has more than {self.limits.max_entries} files, folders and links "
                            f"(the local run's copy cap, reached at {rel}); the test job is not run", tool=_TOOL)

    def add_bytes(self, rel: str, count: int) -> None:
        self.bytes += count
        if self.bytes > self.limits.max_bytes:
            raise ToolError(f"the working tree holds more than {self.limits.max_bytes} bytes (the local run's copy "
                            f"cap, reached at {rel}); the test job is not run", tool=_TOOL)


def _retry_writable(function: Callable[..., Any], path: str, _exc: Any) -> None:
    """rmtree's error hook: a step may have left a folder without write permission; grant it (never through a
    symlink: rmtree reached ``path`` without following one) and try once more."""
    parent = os.path.dirname(path)
    with contextlib.suppress(OSError):
        os.chmod(parent, stat.S_IRWXU)
    if function is os.rmdir or function is os.unlink:
        function(path)
    elif function is os.open or function is os.scandir:  # an unreadable folder: make it readable, remove it
        os.chmod(path, stat.S_IRWXU)
        shutil.rmtree(path)
    else:
        raise OSError(errno.EACCES, f"cannot remove {path}")


def empty_folder(folder: Path) -> None:
    """Remove what is in ``folder`` (itself a real folder) without following any symlink in it."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                # On Linux rmtree works on file descriptors (O_NOFOLLOW): a link inside is removed, never entered.
                shutil.rmtree(entry.path, onerror=_retry_writable)
            else:
                os.unlink(entry.path)


def _real_folder(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def _copy_file(source: str, dest: str, rel: str, budget: _Budget) -> None:
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)
    fd = os.open(source, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return  # replaced since it was listed: not a file the copy takes
        out = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, stat.S_IMODE(info.st_mode) | 0o600)
        try:
            while chunk := os.read(fd, _CHUNK):
                budget.add_bytes(rel, len(chunk))  # what is read, not what stat() claims
                os.write(out, chunk)
        finally:
            os.close(out)
    finally:
        os.close(fd)
    # Go's test cache compares the modification times of the files a test opens: keep them.
    os.utime(dest, ns=(info.st_atime_ns, info.st_mtime_ns), follow_symlinks=False)


def _copy_link(source: str, dest: str, rel: str, root: Path) -> None:
    text = os.readlink(source)
    resolved = Path(os.path.realpath(source))
    if os.path.isabs(text) or not resolved.is_relative_to(root):
        raise ToolError(f"{rel} is a symlink that leads outside the repository ({text}); the local run copies only "
                        "links that stay inside it, and the test job is not run", tool=_TOOL)
    os.symlink(text, dest)


def copy_working_tree(source: Path, dest: Path, limits: CopyLimits | None = None) -> None:
    """Copy the working tree at ``source`` (without its ``.git``) into the empty folder ``dest``.

    A cap exceeded or a symlink out of the repository raises :class:`~cicd_acceptance.errors.ToolError` naming it.
    """
    root = source.resolve()
    budget = _Budget(limits or CopyLimits())
    pending: list[tuple[str, str, str]] = [(str(root), str(dest), "")]
    while pending:
        folder, target, prefix = pending.pop()
        with os.scandir(folder) as entries:
            listed = list(entries)
        for entry in listed:
            if not prefix and entry.name == ".git":
                continue  # the repository's history is shown read-only, never copied (or written)
            rel = prefix + entry.name
            budget.entry(rel)
            out = os.path.join(target, entry.name)
            if entry.is_symlink():
                _copy_link(entry.path, out, rel, root)
            elif entry.is_dir(follow_symlinks=False):
                os.mkdir(out)
                pending.append((entry.path, out, rel + "/"))
            elif entry.is_file(follow_symlinks=False):
                _copy_file(entry.path, out, rel, budget)
            # FIFOs, devices and sockets are not copied: git cannot hold them, a runner's checkout has none.


def _fresh(source: Path, limits: CopyLimits | None) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="cicd-local-run-"))
    try:
        work = folder / (source.resolve().name or "target")
        work.mkdir()
        copy_working_tree(source, work, limits)
        yield work
    finally:
        shutil.rmtree(folder, onerror=_retry_writable)


def _refill(source: Path, stable: Path, limits: CopyLimits | None) -> None:
    try:
        if os.path.islink(stable) or (os.path.lexists(stable) and not _real_folder(stable)):
            os.unlink(stable)
        stable.mkdir(exist_ok=True)
        os.chmod(stable, stat.S_IRWXU)  # a step may have taken the write permission off the workspace itself
        empty_folder(stable)
    except OSError as exc:
        raise ToolError(f"cannot empty the local run's copy at {stable} ({exc.strerror or exc}); remove that "
                        "folder by hand", tool=_TOOL) from None
    copy_working_tree(source, stable, limits)


@contextlib.contextmanager
def work_copy(source: Path, stable: Path, limits: CopyLimits | None = None) -> Iterator[Path]:
    """A copy of ``source``'s working tree at ``stable`` (emptied and refilled), or, when another run holds
    ``stable``, in a fresh temporary folder removed afterwards. ``stable``'s parent must be a folder no step
    can write."""
    parent = stable.parent
    parent.mkdir(parents=True, exist_ok=True)
    if not _real_folder(parent):
        raise ToolError(f"{parent} is not a folder (a symlink?); the local run's copy is not made there",
                        tool=_TOOL)
    try:
        lock = os.open(parent / f"{stable.name}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise ToolError(f"cannot open the lock file of the local run's copy in {parent}: {exc.strerror or exc}",
                        tool=_TOOL) from None
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # another harness run uses the stable copy: never share it
            yield from _fresh(source, limits)
            return
        _refill(source, stable, limits)
        yield stable
    finally:
        os.close(lock)  # releases the flock
