"""The data of one ``run:`` step: its bounds, what to run, and what came of it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Limits", "StepResult", "StepSpec"]


@dataclass(frozen=True)
class Limits:
    """The bounds of one step: wall-clock time and how much of its output (and file-command data) is kept."""

    timeout_s: float = 300.0
    output_bytes: int = 1 << 20
    """Only the last ``output_bytes`` of combined stdout+stderr are kept; the rest is read and dropped."""
    file_command_bytes: int = 1 << 20
    """Largest GITHUB_OUTPUT/GITHUB_ENV/GITHUB_PATH/GITHUB_STEP_SUMMARY file read back (GitHub's summary limit)."""
    minute_s: float = 60.0
    """How many real seconds one minute of a workflow's ``timeout-minutes`` lasts: 60, as on a runner. The emulated
    clock's speed does not shorten it, because the steps' work is real; a rehearsal may shorten it explicitly."""

    def __post_init__(self) -> None:
        if not self.timeout_s > 0:
            raise ValueError(f"timeout_s must be positive, got {self.timeout_s!r}")
        if not self.minute_s > 0:
            raise ValueError(f"minute_s must be positive, got {self.minute_s!r}")
        if self.output_bytes < 1 or self.file_command_bytes < 1:
            raise ValueError("output_bytes and file_command_bytes must be at least 1")


@dataclass(frozen=True)
class StepSpec:
    """One ``run:`` step with its expressions already evaluated by the caller."""

    script: str
    shell: str | None
    """The step's ``shell:``; ``None`` means the runner's default, ``bash -e {0}``."""
    working_directory: Path
    """Absolute, and inside the job's workspace."""
    env: Mapping[str, str]
    """The step-visible ``env:`` of workflow, job and step, merged by the caller."""
    name: str = ""
    step_env_keys: frozenset[str] = frozenset()
    """Keys of ``env`` set by the step's own ``env:``: those win over earlier steps' GITHUB_ENV, as on a runner."""
    timeout_s: float | None = None
    """The step's own ``timeout-minutes`` in seconds; the shorter of it and :attr:`Limits.timeout_s` applies."""


@dataclass(frozen=True)
class StepResult:
    """What a step did. ``exit_code`` is ``None`` when the time bound killed it."""

    exit_code: int | None
    timed_out: bool
    output: str
    """The bounded tail of combined stdout+stderr, decoded with ``errors="replace"``."""
    truncated: bool
    outputs: Mapping[str, str]
    env_added: Mapping[str, str]
    path_added: tuple[str, ...]
    summary: str
    errors: tuple[str, ...] = field(default=())
    """Problems with the step's file commands (bad format, too large, not a regular file): they fail the step."""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and not self.errors
