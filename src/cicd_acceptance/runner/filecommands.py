"""The runner's file commands: GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH and GITHUB_STEP_SUMMARY, read back after a step.

The step writes these files, so they are hostile: each is opened without following a symlink, must be a regular
file, and is read up to a size bound. The parsing follows the runner: ``NAME=value`` on one line, or
``NAME<<DELIMITER`` then lines up to one equal to ``DELIMITER``. Whichever of ``=`` and ``<<`` comes first decides
the form; an empty name, a missing delimiter or a line with neither is an error that fails the step.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["FileCommandError", "parse_key_values", "parse_path_lines", "read_bounded"]


class FileCommandError(Exception):
    """A file command the step wrote is unusable; the message says which file and why (caught by the workspace)."""


def read_bounded(path: Path, limit: int) -> str:
    """The text of ``path`` (at most ``limit`` bytes), refusing symlinks, devices and FIFOs; "" when absent."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return ""
    except OSError as exc:  # ELOOP: the step replaced the file with a symlink
        raise FileCommandError(f"{path.name}: cannot be read ({exc.strerror or exc})") from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FileCommandError(f"{path.name}: not a regular file")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 16, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise FileCommandError(f"{path.name}: larger than {limit} bytes")
        return b"".join(chunks).decode("utf-8", errors="replace")
    finally:
        os.close(fd)


def _lines(text: str) -> list[str]:
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def parse_key_values(text: str, *, file: str) -> dict[str, str]:
    """``NAME=value`` and ``NAME<<DELIM`` entries of a GITHUB_OUTPUT or GITHUB_ENV file; later entries win."""
    values: dict[str, str] = {}
    lines = _lines(text)
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        equals, heredoc = line.find("="), line.find("<<")
        if equals >= 0 and (heredoc < 0 or equals < heredoc):
            name, value = line.split("=", 1)
        elif heredoc >= 0:
            name, delimiter = line.split("<<", 1)
            if not delimiter:
                raise FileCommandError(f"{file}: invalid format {_show(line)}: the delimiter is empty")
            try:
                end = lines.index(delimiter, index)
            except ValueError:
                raise FileCommandError(f"{file}: matching delimiter not found {_show(delimiter)}") from None
            value = "\n".join(lines[index:end])
            index = end + 1
        else:
            raise FileCommandError(f"{file}: invalid format {_show(line)}")
        if not name:
            raise FileCommandError(f"{file}: invalid format {_show(line)}: the name is empty")
        values[name] = value
    return values


def parse_path_lines(text: str) -> list[str]:
    """Directories appended to GITHUB_PATH, in the order written (blank lines ignored)."""
    return [line for line in _lines(text) if line.strip()]


def _show(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")
