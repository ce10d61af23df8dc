"""Record an acceptance run in an ExecPlan: one line under ``## Progress``, one under ``## Outcomes & Retrospective``.

The plan is a living document edited by people, so this writer is conservative: it checks the file's shape first and
refuses (changing nothing) when a section is missing or doubled or the Progress section holds something other than
a ``- [x]``/``- [ ]`` checklist; it touches no other section; it keeps the file's line endings; it writes through a
temporary file and ``os.replace`` so a crash never leaves half a plan; and it adds nothing when the same run (same
commit, verdict and run URLs) is already recorded, whatever the timestamp. Writers take an exclusive lock on a
sidecar ``.<name>.lock`` around read-edit-replace, so concurrent runs lose no entry. A plan that is not a regular
file (a FIFO), is read-only, or has several hard links is refused rather than replaced.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cicd_acceptance.errors import ConfigError, LocalFileError, WorkflowLoadError
from cicd_acceptance.evidence.files import write_atomic
from cicd_acceptance.evidence.jsonable import JSON
from cicd_acceptance.evidence.model import Evidence
from cicd_acceptance.targetfiles import read_regular_file

__all__ = ["OUTCOMES_HEADING", "PROGRESS_HEADING", "ProgressEntry", "check_execplan", "progress_entry",
           "record_progress"]

PROGRESS_HEADING = "Progress"
OUTCOMES_HEADING = "Outcomes & Retrospective"
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_CHECK_ITEM = re.compile(r"^- \[[ xX]\] ")
MAX_EXECPLAN_BYTES = 4 * 1024 * 1024
_STAMP = re.compile(r"^(- \[[ xX]\] )\(\d{4}-\d{2}-\d{2} \d{2}:\d{2}Z\) |^- Outcome \(\d{4}-\d{2}-\d{2}\): ")


@dataclass(frozen=True)
class ProgressEntry:
    """What one acceptance run adds to the plan. ``text`` is shared by both lines; ``when`` is UTC."""

    met: bool
    text: str
    when: dt.datetime

    @property
    def progress_line(self) -> str:
        return f"- [{'x' if self.met else ' '}] ({self.when:%Y-%m-%d %H:%M}Z) {self.text}"

    @property
    def outcome_line(self) -> str:
        return f"- Outcome ({self.when:%Y-%m-%d}): {self.text}"


def _workflow_label(workflow: str, plan: Mapping[str, JSON]) -> str:
    if workflow and PurePosixPath(workflow).name == PurePosixPath(str(plan.get("ci_workflow", ""))).name:
        return "CI"
    return PurePosixPath(workflow).stem if "/" in workflow or workflow.endswith((".yml", ".yaml")) else workflow


def _run_phrases(ev: Evidence) -> list[str]:
    """One phrase per distinct run, CI runs first: ``CI run <url> (push) green``."""
    seen: dict[str, tuple[bool, str]] = {}
    # An emulator's URLs name a port that is gone after the run; its run ids are stable, so the entry uses those
    # (and the same rehearsal is recognised as already recorded).
    by_id = ev.context.live_mode == "emulator" or ev.rehearsal
    for s in ev.scenarios:
        for run in s.entries("run"):
            key = f"#{run.get('id')}" if by_id else str(run.get("url") or run.get("id"))
            state = "green" if (run.get("status"), run.get("conclusion")) == ("completed", "success") else (
                str(run.get("conclusion") or run.get("status") or "unknown"))
            label = _workflow_label(str(run.get("workflow") or "workflow"), ev.context.plan)
            event = f" ({run.get('event')})" if run.get("event") else ""
            seen[key] = (label != "CI", f"{label} run {key}{event} {state}")
    return [phrase for _, phrase in sorted(seen.values(), key=lambda v: v[0])]


def _image_phrases(ev: Evidence) -> list[str]:
    planned = ev.context.plan.get("services")
    order = [str(x) for x in planned] if isinstance(planned, list) else []
    by_tag: dict[str, list[str]] = {}
    for s in ev.scenarios:
        if s.outcome != "passed":
            continue
        for image in s.entries("image"):
            tag, service = str(image.get("tag") or ""), str(image.get("service") or image.get("reference") or "")
            # The image's tag is the commit tag the live check found, in the build's own spelling (a bare SHA,
            # sha-<12 hex>...), not necessarily the plan's prefix.
            if tag and service not in by_tag.setdefault(tag, []):
                by_tag[tag].append(service)
    rank = {name: i for i, name in enumerate(order)}
    return [f"images {tag} pushed for {', '.join(sorted(names, key=lambda n: (rank.get(n, len(rank)), n)))}"
            for tag, names in by_tag.items()]


def progress_entry(ev: Evidence, *, verdict_reason: str) -> ProgressEntry:
    """The entry for run ``ev``; ``verdict_reason`` is the verdict line without its head (for runs not met).

    A run whose live checks ran against the bundled emulator is a rehearsal, not evidence about GitHub and GHCR:
    its entry stays unchecked and says so, whatever the verdict.
    """
    sha = ev.context.head_sha or "an unknown commit"
    details = [*_run_phrases(ev), *_image_phrases(ev)]
    rehearsal = ev.rehearsal or ev.context.live_mode == "emulator"
    if ev.met and rehearsal:
        text = (f"Rehearsal met at {sha} against the bundled emulator (not GitHub or GHCR; run the acceptance "
                "against GitHub to check this item): " + ("; ".join(details) or "every criterion passed"))
    elif ev.met:
        text = f"Acceptance met at {sha}: " + ("; ".join(details) or "every criterion passed")
    elif ev.status == "partial":
        where = " (rehearsal against the bundled emulator)" if ev.rehearsal else ""
        text = f"Partial acceptance at {sha}{where}: " + "; ".join([verdict_reason, *details])
    else:
        head, where = ("Rehearsal", " against the bundled emulator") if rehearsal else ("Acceptance", "")
        text = f"{head} not met at {sha}{where}: " + "; ".join([verdict_reason, *details])
    text = " ".join(text.split()).rstrip(".") + "."
    return ProgressEntry(met=ev.met and not rehearsal, text=text, when=_parse_time(ev.finished_at))


def _parse_time(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = dt.datetime.now(dt.UTC)
    return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class _Shape:
    lines: list[str]          # with their own line endings
    newline: str
    progress: tuple[int, int]  # [start, end) line indexes of the section body
    outcomes: tuple[int, int]


def _read(path: Path) -> str:
    # Bounded and non-blocking: a FIFO or /dev/zero given as --execplan is refused, not read forever.
    try:
        data = read_regular_file(path, display_path=str(path), max_bytes=MAX_EXECPLAN_BYTES)
    except WorkflowLoadError as exc:
        if exc.reason == "file not found":
            raise ConfigError("the ExecPlan file does not exist", source=f"--execplan {path}") from None
        if exc.reason.startswith("cannot read file"):  # an I/O error (permission denied): not a wrong setting
            raise LocalFileError(f"cannot read the ExecPlan: {exc.reason}", source=f"--execplan {path}") from None
        # Not a regular file (a FIFO, a device) or too large: the option names something that is not an ExecPlan.
        raise ConfigError(f"cannot read the ExecPlan: {exc.reason}", source=f"--execplan {path}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text, so not an ExecPlan; refusing to edit it",
                          source=f"--execplan {path}") from None


def _check_replaceable(path: Path) -> None:
    """Refuse a plan that replacing would silently change: read-only, or one of several hard links."""
    try:
        info = path.stat()
    except OSError as exc:
        raise LocalFileError(f"cannot read the ExecPlan: {exc.strerror}", source=f"--execplan {path}") from None
    if not info.st_mode & 0o222:
        raise LocalFileError("the ExecPlan is read-only; refusing to replace it (make it writable to record runs)",
                             source=f"--execplan {path}")
    if info.st_nlink > 1:
        raise LocalFileError(f"the ExecPlan has {info.st_nlink} hard links; replacing it would split them, so it "
                             "is left alone (pass one of them as a plain copy)", source=f"--execplan {path}")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the sidecar ``.<name>.lock`` for a read-edit-replace of ``path``.

    The plan itself cannot carry the lock: it is replaced by a rename, so a second writer would lock the old file.
    The holder removes the sidecar before releasing it (no litter next to the plan); a writer that wakes up holding
    a removed sidecar starts again on the new one.
    """
    lock = path.with_name(f".{path.name}.lock")
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except OSError as exc:
            raise LocalFileError(f"cannot lock the ExecPlan ({lock.name}): {exc.strerror}",
                                 source=f"--execplan {path}") from None
        fcntl.flock(fd, fcntl.LOCK_EX)
        if _same_file(fd, lock):
            break
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()
        os.close(fd)  # closing releases the lock


def _same_file(fd: int, path: Path) -> bool:
    try:
        named = path.stat(follow_symlinks=False)
    except OSError:
        return False
    held = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def _headings(lines: Sequence[str]) -> list[tuple[int, int, str]]:
    """(index, level, title) of every Markdown heading outside fenced code blocks."""
    found, fence = [], ""
    for i, raw in enumerate(lines):
        line = raw.rstrip("\r\n")
        marker = line.lstrip()[:3]
        if marker in ("```", "~~~"):
            fence = "" if fence == marker else (fence or marker)
            continue
        match = None if fence or line.startswith((" ", "\t")) else _HEADING.match(line)
        if match:
            found.append((i, len(match.group(1)), match.group(2)))
    return found


def _section(path: Path, heads: list[tuple[int, int, str]], title: str, total: int) -> tuple[int, int]:
    matches = [h for h in heads if h[1] == 2 and h[2] == title]
    if len(matches) != 1:
        where = f"{len(matches)} (lines {', '.join(str(h[0] + 1) for h in matches)})" if matches else "no"
        raise ConfigError(f"expected exactly one '## {title}' section, found {where}; refusing to edit the plan",
                          source=str(path))
    start = matches[0][0]
    end = next((h[0] for h in heads if h[0] > start and h[1] <= 2), total)
    return start + 1, end


def _check_progress_body(path: Path, lines: Sequence[str], body: tuple[int, int]) -> None:
    for i in range(*body):
        line = lines[i].rstrip("\r\n")
        if line.strip() and not _CHECK_ITEM.match(line) and not line.startswith((" ", "\t")):
            raise ConfigError(f"expected only '- [x]' / '- [ ]' checklist items in '## {PROGRESS_HEADING}', "
                              f"found {line.strip()[:60]!r}; refusing to edit the plan", source=f"{path}:{i + 1}")


def _shape(path: Path, text: str) -> _Shape:
    lines = text.splitlines(keepends=True)
    first = next((ln for ln in lines if ln.strip()), "")
    if not first.startswith("# "):
        raise ConfigError("expected an ExecPlan starting with a '# Title' line; refusing to edit it",
                          source=str(path))
    heads = _headings(lines)
    progress = _section(path, heads, PROGRESS_HEADING, len(lines))
    outcomes = _section(path, heads, OUTCOMES_HEADING, len(lines))
    _check_progress_body(path, lines, progress)
    newline = "\r\n" if first.endswith("\r\n") else "\n"
    return _Shape(lines, newline, progress, outcomes)


def check_execplan(path: Path) -> None:
    """Refuse early (before a run spends time) when ``path`` cannot take a progress entry."""
    _shape(path, _read(path))
    _check_replaceable(path.resolve())


def _unstamped(line: str) -> str:
    return _STAMP.sub(lambda m: m.group(1) or "- Outcome: ", line.rstrip("\r\n"), count=1).strip()


def _already(lines: Sequence[str], body: tuple[int, int], line: str) -> bool:
    want = _unstamped(line)
    return any(_unstamped(lines[i]) == want for i in range(*body))


def _insert_at(lines: list[str], body: tuple[int, int], newline: str) -> int:
    """Index just after the last non-blank line of the section body (after the heading when the body is empty)."""
    last = max((i for i in range(*body) if lines[i].strip()), default=body[0] - 1)
    if not lines[last].endswith(("\n", "\r")):
        lines[last] += newline  # the file ended without a newline right there
    return last + 1


def _write_atomic(path: Path, data: bytes) -> None:
    try:
        write_atomic(path, data, mode=path.stat().st_mode & 0o7777)
    except OSError as exc:
        raise LocalFileError(f"cannot write the ExecPlan: {exc.strerror}", source=f"--execplan {path}") from None


def record_progress(path: Path, entry: ProgressEntry) -> bool:
    """Add ``entry`` to the plan at ``path``; False (file untouched) when this run is already recorded."""
    path = path.resolve()  # replace the file a symlink points to, not the symlink itself
    with _locked(path):
        return _record_locked(path, entry)


def _record_locked(path: Path, entry: ProgressEntry) -> bool:
    shape = _shape(path, _read(path))
    _check_replaceable(path)
    lines = list(shape.lines)
    additions = []
    for body, line in ((shape.outcomes, entry.outcome_line), (shape.progress, entry.progress_line)):
        if not _already(lines, body, line):
            additions.append((body, line))
    if not additions:
        return False
    # Insert bottom-up so the earlier section's indexes stay valid.
    for body, line in sorted(additions, key=lambda a: a[0][0], reverse=True):
        at = _insert_at(lines, body, shape.newline)
        new = [line + shape.newline] if at > body[0] else [shape.newline, line + shape.newline]
        if at < len(lines) and lines[at].strip().startswith("#"):
            new.append(shape.newline)  # keep a blank line before the next heading
        lines[at:at] = new
    _write_atomic(path, "".join(lines).encode("utf-8"))
    return True
