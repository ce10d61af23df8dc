"""What executing a run produced: per job its conclusion, steps, outputs, log and annotations."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cicd_acceptance.emulator.runtime.logs import Annotation

__all__ = ["Execution", "JobResult", "StepRecord"]


@dataclass(frozen=True)
class StepRecord:
    """One executed step: ``conclusion`` success/failure/skipped/cancelled; ``emulated`` False for an action the
    emulator does not know (it was not run)."""

    name: str
    number: int
    conclusion: str
    started_at: datetime
    completed_at: datetime
    emulated: bool = True


@dataclass
class JobResult:
    """One executed job (one matrix combination)."""

    job_id: str
    name: str
    matrix: dict[str, Any]
    conclusion: str
    steps: list[StepRecord] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    log_text: str = ""
    annotations: list[Annotation] = field(default_factory=list)
    not_emulated: list[str] = field(default_factory=list)  # step names that were not run
    pushed: list[str] = field(default_factory=list)  # image references this job pushed


@dataclass
class Execution:
    """The execution of one attempt. ``done`` is set when it finished (results final); ``stop`` asks it to end
    early (the emulator is being reset)."""

    run_id: int
    attempt: int
    jobs: list[JobResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    started_at: datetime | None = None
    finished_at: datetime | None = None
