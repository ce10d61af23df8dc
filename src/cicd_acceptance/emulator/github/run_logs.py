"""Job logs and run log archives, built from the job records whoever filled them.

A job's log is ``JobRecord.log_text`` when the workflow executor wrote one, else it is rendered from the job's
steps (one group per step, an ``##[error]`` line for a failing step, then what the job pushed). A run's log
archive is a zip laid out as GitHub lays it out: ``<n>_<job name>.txt`` with each whole job log, and
``<job name>/<step number>_<step name>.txt`` with each step's part of it (what ``gh run view --log`` reads).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime

from cicd_acceptance.emulator.github.runs import Attempt, JobRecord, RunRecord, StepView

__all__ = ["STAMP_FORMAT", "NoteView", "job_annotations", "job_log", "log_annotations", "run_log_archive",
           "split_by_step"]

STAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.0000000Z"
_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?Z ")
_UNSAFE = re.compile(r'[/\\:*?"<>|\x00-\x1f]')  # characters a zip entry name cannot carry on every system
_MAX_ANNOTATIONS = 50  # GitHub keeps at most 50 annotations per job (10 per step)


def job_log(run: RunRecord, attempt: Attempt, job: JobRecord, now: datetime) -> str:
    """The job's log as the logs endpoint serves it."""
    if job.log_text:
        return job.log_text
    conclusion = run.job_conclusion(job, now, attempt)
    lines = []
    for step in job.steps(now, conclusion):
        stamp = (step.started_at or job.started_at).strftime(STAMP_FORMAT)
        lines.append(f"{stamp} ##[group]{step.name}")
        if step.conclusion == "failure":
            lines.append(f"{stamp} ##[error]Process completed with exit code 1.")
        lines.append(f"{stamp} ##[endgroup]")
    end = job.completed_at.strftime(STAMP_FORMAT)
    lines += [f"{end} {line}" for line in run.pushed.get(job.id, [])]
    return "\n".join(lines) + "\n"


def split_by_step(text: str, steps: list[StepView]) -> dict[int, str]:
    """Each step's part of a job log, by step number: a line belongs to the last step that had started by the
    line's timestamp (a line without one continues the line before it; lines before the first step go to it)."""
    starts = [(step.started_at.strftime("%Y-%m-%dT%H:%M:%S"), step.number) for step in steps
              if step.started_at is not None]
    parts: dict[int, list[str]] = {step.number: [] for step in steps}
    if not steps:
        return {}
    current = steps[0].number
    for line in text.splitlines(keepends=True):
        match = _STAMP.match(line)
        if match is not None:
            moment = match.group(1)
            for started, number in starts:
                if started <= moment:
                    current = number
        parts[current].append(line)
    return {number: "".join(lines) for number, lines in parts.items()}


def _entry_name(name: str) -> str:
    return _UNSAFE.sub("", name).strip() or "job"


def run_log_archive(run: RunRecord, attempt: Attempt, now: datetime) -> bytes:
    """The zip ``GET .../runs/{id}/logs`` redirects to, for the jobs of ``attempt`` that have started."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        started = [job for job in attempt.jobs if job.status(now) != "queued"]
        for index, job in enumerate(started):
            text = job_log(run, attempt, job, now)
            folder = _entry_name(job.plan.name)
            archive.writestr(f"{index}_{folder}.txt", text)
            steps = job.steps(now, run.job_conclusion(job, now, attempt))
            for number, part in split_by_step(text, steps).items():
                step = steps[number - 1]
                if step.status == "queued" and not part:
                    continue
                archive.writestr(f"{folder}/{number}_{_entry_name(step.name)}.txt", part)
    return buffer.getvalue()


@dataclass(frozen=True)
class NoteView:
    """A check-run annotation as the API shows it (no ``path``: GitHub puts it on ``.github``, line 1)."""

    level: str
    message: str
    path: str | None = None
    line: int | None = None
    title: str | None = None


def job_annotations(run: RunRecord, attempt: Attempt, job: JobRecord, now: datetime) -> list[NoteView]:
    """A completed job's annotations: those its execution made (with their file, line and title), else the ones
    GitHub would make from its log's ``##[error]``/``##[warning]``/``##[notice]`` lines."""
    if job.status(now) != "completed":
        return []
    if job.executed is not None:
        return [NoteView(note.level, note.message, note.path, note.line, note.title)
                for note in job.annotations[:_MAX_ANNOTATIONS]]
    return [NoteView(level, message) for level, message in log_annotations(job_log(run, attempt, job, now))]


def log_annotations(text: str) -> list[tuple[str, str]]:
    """``(level, message)`` for each ``##[error]`` / ``##[warning]`` / ``##[notice]`` line of a job log, as GitHub
    turns them into check-run annotations (``failure``, ``warning``, ``notice``)."""
    levels = {"error": "failure", "warning": "warning", "notice": "notice"}
    found: list[tuple[str, str]] = []
    for line in text.splitlines():
        body = _STAMP.sub("", line, count=1)
        for marker, level in levels.items():
            if body.startswith(f"##[{marker}]"):
                found.append((level, body.removeprefix(f"##[{marker}]").strip()))
        if len(found) >= _MAX_ANNOTATIONS:
            break
    return found
