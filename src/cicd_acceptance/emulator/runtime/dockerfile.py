"""Reading a Dockerfile as BuildKit does before it builds: the file must exist, every ``COPY``/``ADD`` source
taken from the build context must exist in it, and ``LABEL`` instructions of the final stage become image labels.

Only what decides whether a build can succeed without running it is read; ``RUN`` instructions are not executed
(the emulator builds no filesystem layers). ``ARG`` defaults are substituted in ``LABEL`` values and sources.
"""

from __future__ import annotations

import glob
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from cicd_acceptance.errors import HarnessError

__all__ = ["MAX_DOCKERFILE_BYTES", "BuildError", "DockerfileFacts", "read_dockerfile"]

MAX_DOCKERFILE_BYTES = 1 << 20
_VARIABLE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?::?[-+][^}]*)?\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))")


class BuildError(HarnessError):
    """The build fails, with BuildKit's kind of message."""


@dataclass
class DockerfileFacts:
    """Labels of the final stage and the number of stages."""

    labels: dict[str, str] = field(default_factory=dict)
    stages: int = 0


def _instructions(text: str) -> list[tuple[int, str, str]]:
    """(line, INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    found: list[tuple[int, str, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        keyword, _, rest = whole.partition(" ")
        found.append((start, keyword.upper(), rest.strip()))
    if pending:
        keyword, _, rest = pending.strip().partition(" ")
        found.append((start, keyword.upper(), rest.strip()))
    return found


def _substitute(text: str, args: dict[str, str]) -> str:
    return _VARIABLE.sub(lambda m: args.get(m["braced"] or m["plain"], ""), text)


def _label_pairs(arguments: str) -> list[tuple[str, str]]:
    try:
        words = shlex.split(arguments)
    except ValueError as exc:
        raise BuildError(f"LABEL {arguments!r}: {exc}") from None
    pairs = []
    for word in words:
        key, sep, value = word.partition("=")
        if sep:
            pairs.append((key, value))
    if not pairs and len(words) >= 2:  # the old "LABEL key value" form
        pairs.append((words[0], " ".join(words[1:])))
    return pairs


def read_dockerfile(context: Path, dockerfile: Path, build_args: dict[str, str], *, display: str) -> DockerfileFacts:
    """Check ``dockerfile`` against ``context`` (both inside the workspace); raises :class:`BuildError`."""
    if not dockerfile.is_file():
        raise BuildError(f"failed to solve: failed to read dockerfile: open {display}: no such file or directory")
    if dockerfile.stat().st_size > MAX_DOCKERFILE_BYTES:
        raise BuildError(f"failed to solve: {display} is larger than {MAX_DOCKERFILE_BYTES} bytes")
    facts = DockerfileFacts()
    args: dict[str, str] = {}
    for line, keyword, rest in _instructions(dockerfile.read_text(encoding="utf-8", errors="replace")):
        if keyword == "ARG":
            name, _, default = rest.partition("=")
            args[name.strip()] = build_args.get(name.strip(), default.strip().strip('"'))
        elif keyword == "FROM":
            facts.stages += 1
            facts.labels = {}
        elif keyword == "LABEL":
            for key, value in _label_pairs(_substitute(rest, args)):
                facts.labels[key] = value
        elif keyword in {"COPY", "ADD"}:
            _check_sources(context, _substitute(rest, args), display, line)
    if facts.stages == 0:
        raise BuildError(f"failed to solve: {display}: no build stage in the Dockerfile (no FROM)")
    return facts


def _check_sources(context: Path, arguments: str, display: str, line: int) -> None:
    try:
        words = shlex.split(arguments) if not arguments.startswith("[") else _json_words(arguments)
    except ValueError:
        return
    flags = [word for word in words if word.startswith("--")]
    if any(flag.startswith("--from=") for flag in flags):
        return  # copied from another stage or image: not the build context
    sources = [word for word in words if not word.startswith("--")][:-1]
    root = context.resolve()
    for source in sources:
        if source.startswith(("http://", "https://", "git@")):
            continue
        pattern = str(root / source.lstrip("/"))
        matches = [Path(match) for match in glob.glob(pattern)] if glob.has_magic(source) else (
            [Path(pattern)] if Path(pattern).exists() else [])
        inside = [match for match in matches if match.resolve().is_relative_to(root)]
        if not inside:
            raise BuildError(f'failed to solve: failed to compute cache key: failed to calculate checksum of ref: '
                             f'"/{source.lstrip("/")}": not found ({display}:{line})')


def _json_words(arguments: str) -> list[str]:
    import json
    value = json.loads(arguments)
    if not isinstance(value, list):
        raise ValueError("not a list")
    return [str(word) for word in value]
