"""Start a command in its own process group, keep only the tail of its output, and kill it all at the end.

Output is read incrementally from one pipe (stdout and stderr combined, as a runner's log shows them) and only the
last ``limit`` bytes are kept, so a step that prints gigabytes costs the harness a fixed amount of memory. When the
time bound passes, or once the command has exited, the whole process group is killed: background children of a
timed-out (or finished) command do not outlive it. In a PID namespace the sandbox's init dies with its first
child, which takes every process of the namespace with it, even those that left the process group.
"""

from __future__ import annotations

import contextlib
import os
import select
import selectors
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Captured", "Completed", "TailBuffer", "capture_bounded", "run_bounded"]

_CHUNK = 1 << 16
_DRAIN_AFTER_EXIT_S = 2.0
"""How long output is still read after the command exited (from children that kept the pipe open)."""


class TailBuffer:
    """The last ``limit`` bytes written to it; remembers whether anything was dropped."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._data = bytearray()
        self.truncated = False

    def write(self, chunk: bytes) -> None:
        self._data += chunk
        # Trim in batches (at twice the limit) so a stream of small chunks is not quadratic.
        if len(self._data) > 2 * self._limit:
            self._trim()

    def _trim(self) -> None:
        if len(self._data) > self._limit:
            del self._data[: len(self._data) - self._limit]
            self.truncated = True

    def getvalue(self) -> bytes:
        self._trim()
        return bytes(self._data)


@dataclass(frozen=True)
class Completed:
    returncode: int | None
    timed_out: bool
    output: bytes
    truncated: bool


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the command's whole process group, but only while its leader is not yet reaped: a reaped pid may
    already belong to someone else's new process group."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


def _exited(proc: subprocess.Popen[bytes]) -> bool:
    """Whether the command has exited, without reaping it (its pid, and so its group, stays reserved)."""
    if proc.returncode is not None:
        return True
    try:
        return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


class _ExitWatch:
    """Waits for a child's exit without reaping it (its pid, and so its group, stays reserved for the kill).

    A pidfd (Linux 5.3 and newer) becomes readable when the process exits, so the wait ends at the exit itself;
    without one, the wait is a short sleep and the caller looks again.
    """

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        try:
            self._fd: int | None = os.pidfd_open(proc.pid)
        except (AttributeError, OSError):  # not Linux, an old kernel, or a seccomp filter refusing it
            self._fd = None

    def wait(self, timeout: float) -> None:
        """Return once the process has exited, or after ``timeout`` seconds (sooner without a pidfd)."""
        if self._fd is None:
            time.sleep(min(0.02, max(timeout, 0.0)))
        else:
            select.select([self._fd], [], [], max(timeout, 0.0))

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def run_bounded(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout_s: float, output_bytes: int,
                clock: Callable[[], float] = time.monotonic, stdin: int | None = subprocess.DEVNULL) -> Completed:
    """Run ``argv`` (no shell) with exactly ``env``; ``returncode`` is ``None`` when the time bound killed it.

    Raises ``OSError`` when the program cannot be started.
    """
    tail = TailBuffer(output_bytes)
    proc = subprocess.Popen(list(argv), cwd=cwd, env=dict(env), stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
    assert proc.stdout is not None
    stream = proc.stdout
    deadline = clock() + timeout_s
    timed_out = False
    exited_at: float | None = None
    eof = False
    watch = _ExitWatch(proc)
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(stream, selectors.EVENT_READ)
            while True:
                now = clock()
                if exited_at is None and _exited(proc):
                    exited_at = now
                    _kill_group(proc)  # background children must not keep running (or writing)
                    proc.wait()
                if exited_at is None and now >= deadline:
                    timed_out = True
                    _kill_group(proc)
                    proc.wait()
                    exited_at = now
                if eof and exited_at is not None:
                    break
                limit = deadline if exited_at is None else exited_at + _DRAIN_AFTER_EXIT_S
                if now >= limit:
                    break
                if eof:  # the output is closed (or the command is exiting): wait for the exit itself
                    watch.wait(limit - now)
                    continue
                if selector.select(timeout=min(0.25, max(limit - now, 0.0))):
                    chunk = os.read(stream.fileno(), _CHUNK)
                    if chunk:
                        tail.write(chunk)
                    else:
                        eof = True
                        selector.unregister(stream)
    finally:
        watch.close()
        _kill_group(proc)
        stream.close()
        proc.wait()
    return Completed(None if timed_out else proc.returncode, timed_out, tail.getvalue(), tail.truncated)


@dataclass(frozen=True)
class Captured:
    """A command's separate stdout and stderr, each at most the bound; ``overflow`` names a stream that went past it
    (the command was then killed). ``returncode`` is None when the time bound killed it."""

    returncode: int | None
    timed_out: bool
    stdout: bytes
    stderr: bytes
    overflow: str | None


def capture_bounded(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout_s: float, max_bytes: int,
                    clock: Callable[[], float] = time.monotonic) -> Captured:
    """Run ``argv`` and keep its stdout and stderr apart (a tool's JSON and its messages), each up to ``max_bytes``.

    A stream that grows past the bound stops the command: the caller gets what came before and ``overflow``.
    Raises ``OSError`` when the program cannot be started.
    """
    proc = subprocess.Popen(list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True, close_fds=True)
    assert proc.stdout is not None
    assert proc.stderr is not None
    buffers = {"stdout": bytearray(), "stderr": bytearray()}
    deadline = clock() + timeout_s
    timed_out = False
    overflow: str | None = None
    watch = _ExitWatch(proc)
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ, "stdout")
            selector.register(proc.stderr, selectors.EVENT_READ, "stderr")
            while selector.get_map() and overflow is None:
                remaining = deadline - clock()
                if remaining <= 0:
                    timed_out = True
                    break
                for key, _ in selector.select(timeout=min(remaining, 0.25)):
                    chunk = os.read(key.fd, _CHUNK)
                    if not chunk:
                        selector.unregister(key.fileobj)
                        continue
                    buffer = buffers[key.data]
                    buffer += chunk
                    if len(buffer) > max_bytes:
                        del buffer[max_bytes:]
                        overflow = key.data
        while not timed_out and overflow is None and not _exited(proc):
            if clock() >= deadline:
                timed_out = True
            else:
                watch.wait(deadline - clock())
    finally:
        watch.close()
        _kill_group(proc)
        proc.stdout.close()
        proc.stderr.close()
        proc.wait()
    code = None if timed_out else proc.returncode
    return Captured(code, timed_out, bytes(buffers["stdout"]), bytes(buffers["stderr"]), overflow)
