"""The one way the harness reads a file of the target: bounded in size, inside the repository, regular files only.

The checkout being accepted is hostile input. A file in it may be a symlink to ``/dev/zero`` (endless), to a FIFO
(a read that blocks forever), to ``/etc/passwd`` (outside the repository), or simply be 20 GB. Every file the
harness takes from the target (workflows, ``go.mod``, Dockerfiles, ``acceptance.toml``, tool configurations, the
ExecPlan) goes through :func:`read_target_bytes`, which

* refuses a path that leaves the repository, by ``..`` or through a symlink (the two are reported differently);
* opens without blocking and refuses anything but a regular file (FIFOs, devices, sockets, directories);
* reads at most ``max_bytes`` (one byte more to tell "too large"), never trusting ``stat()``'s size.

Problems raise :class:`~cicd_acceptance.errors.WorkflowLoadError` naming the file as the target names it;
callers that report differently (the plan: :class:`~cicd_acceptance.errors.ConfigError`) convert it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

from cicd_acceptance.errors import WorkflowLoadError

__all__ = ["DEFAULT_MAX_BYTES", "inside_repository", "is_target_file", "read_regular_file", "read_target_bytes",
           "read_target_text"]

DEFAULT_MAX_BYTES = 1024 * 1024
"""1 MiB: far above any real workflow, go.mod, Dockerfile or plan file."""


def inside_repository(root: Path, rel_path: str, *, display_path: str | None = None) -> Path:
    """``root / rel_path`` with symlinks resolved, or a WorkflowLoadError when it is not inside ``root``.

    The message says why: an absolute path or ``..`` in the name, or a symlink that leads out.
    """
    shown = display_path or rel_path
    pure = PurePosixPath(rel_path)
    if pure.is_absolute() or ".." in pure.parts or "\x00" in rel_path:
        raise WorkflowLoadError("the path leaves the repository (absolute or with '..'); refusing to read it",
                                path=shown)
    try:
        base = root.resolve()
        resolved = (base / rel_path).resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop is RuntimeError on 3.11/3.12, OSError on 3.13
        raise WorkflowLoadError(f"cannot resolve the path: {exc}", path=shown) from None
    if not resolved.is_relative_to(base):
        raise WorkflowLoadError(f"is a symlink that resolves outside the repository ({resolved})", path=shown)
    return resolved


def is_target_file(root: Path, rel_path: str) -> bool:
    """True when ``root / rel_path`` is a regular file inside the repository (symlinks followed, nothing read)."""
    try:
        resolved = inside_repository(root, rel_path)
        return stat.S_ISREG(resolved.stat().st_mode)
    except (WorkflowLoadError, OSError):
        return False


def read_regular_file(path: Path, *, display_path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """At most ``max_bytes`` of the regular file ``path``, opened without blocking; else a WorkflowLoadError."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise WorkflowLoadError("file not found", path=display_path) from None
    except OSError as exc:
        raise WorkflowLoadError(f"cannot read file: {exc.strerror or exc}", path=display_path) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise WorkflowLoadError(f"is not a regular file ({_kind(mode)}); refusing to read it", path=display_path)
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:  # read one byte past the limit rather than trusting stat(): /proc files lie
            chunk = os.read(fd, min(1 << 16, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise WorkflowLoadError(f"cannot read file: {exc.strerror or exc}", path=display_path) from None
    finally:
        os.close(fd)
    if size > max_bytes:
        raise WorkflowLoadError(f"file is larger than {max_bytes} bytes; refusing to read it", path=display_path)
    return b"".join(chunks)


def read_target_bytes(root: Path, rel_path: str, *, max_bytes: int = DEFAULT_MAX_BYTES,
                      display_path: str | None = None) -> bytes:
    """The bytes of ``root / rel_path`` under the module's rules; messages name ``display_path`` or ``rel_path``."""
    shown = display_path or rel_path
    resolved = inside_repository(root, rel_path, display_path=shown)
    return read_regular_file(resolved, display_path=shown, max_bytes=max_bytes)


def read_target_text(root: Path, rel_path: str, *, max_bytes: int = DEFAULT_MAX_BYTES,
                     display_path: str | None = None) -> str:
    """:func:`read_target_bytes` decoded as UTF-8 (a BOM is dropped); invalid UTF-8 is a WorkflowLoadError."""
    shown = display_path or rel_path
    data = read_target_bytes(root, rel_path, max_bytes=max_bytes, display_path=shown)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise WorkflowLoadError(f"not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}",
                                path=shown, line=line) from None


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"
