"""Frozen value objects for the GitHub REST answers the harness reads.

Every model is built by ``Model.from_api(payload)`` from the decoded JSON; nothing of type ``dict[str, Any]``
leaves the client. A payload that lacks a required field raises :class:`cicd_acceptance.github.decode.PayloadError`
naming model and field; :class:`cicd_acceptance.github.client.GitHubClient` turns it into a ``GitHubAPIError``
naming the real call.
Only fields the harness uses are kept; field names follow GitHub's schema except ``*_login`` / ``*_sha``
flattenings of nested objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Self

from cicd_acceptance.github.decode import (
    Payload,
    boolean,
    login,
    objects,
    opt_int,
    opt_obj,
    opt_str,
    parse_timestamp,
    req_int,
    req_str,
    timestamp,
)

__all__ = [
    "GREEN_CONCLUSION",
    "TERMINAL_STATUS",
    "Annotation",
    "Branch",
    "CheckRun",
    "Commit",
    "DispatchResponse",
    "Job",
    "Meta",
    "PullRequest",
    "RateLimit",
    "Repository",
    "Step",
    "Workflow",
    "WorkflowRun",
    "parse_timestamp",
]

TERMINAL_STATUS = "completed"
GREEN_CONCLUSION = "success"

@dataclass(frozen=True)
class Repository:
    """``GET /repos/{owner}/{repo}``."""

    id: int
    full_name: str
    default_branch: str
    private: bool
    archived: bool
    html_url: str

    @classmethod
    def from_api(cls, data: Payload) -> Self:
        m = cls.__name__
        return cls(
            id=req_int(data, "id", m),
            full_name=req_str(data, "full_name", m),
            default_branch=opt_str(data, "default_branch", m) or "main",
            private=boolean(data, "private", m),
            archived=boolean(data, "archived", m),
            html_url=req_str(data, "html_url", m),
        )


@dataclass(frozen=True)
class Branch:
    """``GET /repos/{owner}/{repo}/branches/{branch}``: the HEAD commit is what we pin."""

    name: str
    commit_sha: str
    protected: bool

    @classmethod
    def from_api(cls, data: Payload) -> Self:
        m = cls.__name__
        commit = opt_obj(data, "commit", m) or {}
        return cls(name=req_str(data, "name", m), commit_sha=req_str(commit, "sha", m),
                   protected=boolean(data, "protected", m))


@dataclass(frozen=True)
class Meta:
    """``GET /meta``: ``installed_version`` is present on GitHub Enterprise Server only."""

    installed_version: str | None

    @classmethod
    def from_api(cls, data: Payload) -> Self:
        return cls(installed_version=opt_str(data, "installed_version", cls.__name__))


@dataclass(frozen=True)
class Workflow:
    """One entry of ``GET .../actions/workflows``; ``state`` is ``active`` or a ``disabled_*`` value."""

    id: int
    name: str
    path: str
    state: str
    html_url: str

    @property
    def file_name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @classmethod
    def from_api(cls, data: Payload) -> Self:
        m = cls.__name__
        return cls(id=req_int(data, "id", m), name=req_str(data, "name", m), path=req_str(data, "path", m),
                   state=req_str(data, "state", m), html_url=opt_str(data, "html_url", m) or "")


@dataclass(frozen=True)
class WorkflowRun:
    """A workflow run. Green means ``status == completed`` and ``conclusion == success``, nothing else."""

    id: int
    name: str | None
    path: str
    workflow_id: int | None
    event: str
    status: str
    conclusion: str | None
    head_sha: str
    head_branch: str | None
    run_number: int | None
    run_attempt: int
    actor_login: str | None
    triggering_actor_login: str | None
    created_at: datetime | None
    updated_at: datetime | None
    run_started_at: datetime | None
    html_url: str
    url: str

    @property
    def completed(self) -> bool:
        return self.status == TERMINAL_STATUS

    @property
    def green(self) -> bool:
        return self.completed and self.conclusion == GREEN_CONCLUSION

    def describe(self) -> str:
        """``run 42 (build-images, workflow_dispatch, attempt 1) completed/success``: for messages and evidence."""
        outcome = f"{self.status}/{self.conclusion}" if self.conclusion else self.status
        return f"run {self.id} ({self.name or self.path}, {self.event}, attempt {self.run_attempt}) {outcome}"

    def as_dict(self) -> dict[str, object]:
        """JSON-ready summary for the evidence."""
        return {"id": self.id, "workflow": self.path, "event": self.event, "status": self.status,
                "conclusion": self.conclusion, "head_sha": self.head_sha, "head_branch": self.head_branch,
                "run_attempt": self.run_attempt, "actor": self.actor_login,
                "triggering_actor": self.triggering_actor_login,
                "created_at": self.created_at.isoformat() if self.created_at else None,
                "updated_at": self.updated_at.isoformat() if self.updated_at else None, "html_url": self.html_url}

    @classmethod
    def from_api(cls, data: Payload) -> Self:
        m = cls.__name__
        return cls(
            id=req_int(data, "id", m), name=opt_str(data, "name", m), path=opt_str(data, "path", m) or "",
            workflow_id=opt_int(data, "workflow_id", m), event=req_str(data, "event", m),
            status=opt_str(data, "status", m) or "requested", conclusion=opt_str(data, "conclusion", m),
            head_sha=req_str(data, "head_sha", m), head_branch=opt_str(data, "head_branch", m),
            run_number=opt_int(data, "run_number", m), run_attempt=opt_int(data, "run_attempt", m) or 1,
            actor_login=login(data, "actor", m), triggering_actor_login=login(data, "triggering_actor", m),
            created_at=timestamp(data, "created_at", m), updated_at=timestamp(data, "updated_at", m),
            run_started_at=timestamp(data, "run_started_at", m),
            html_url=opt_str(data, "html_url", m) or "", url=opt_str(data, "url", m) or "",
        )


@dataclass(frozen=True)
class Step:
    """One step of a job; ``number`` is 1-based as GitHub shows it."""

    name: str
    number: int
    status: str
    conclusion: str | None

    @classmethod
    def from_api(cls, data: Payload) -> Self:
        m = cls.__name__
        return cls(name=req_str(data, "name", m), number=req_int(data, "number", m),
                   status=req_str(data, "status", m), conclusion=opt_str(data, "conclusion", m))


@dataclass(frozen=True)
class Job:
    """A job of a run; a matrix job is named like ``build (gateway)``."""

    id: int
    run_id: int
    name: str
    status: str
    conclusion: str | None
    started_at: datetime | None
    completed_at: datetime | None
    html_url: str
    run_attempt: int
    steps: tuple[Step, ...]

    def failed_step(self) -> Step | None:
        """The first step that concluded neither ``success`` nor ``skipped`` (what a human opens first)."""
        for step in self.steps:
            if step.conclusion not in (None, "success", "skipped"):
                return step
        return None

    @classmethod
    def from_api(cls, data: Payload) -> Self:
        m = cls.__name__
        return cls(
            id=req_int(data, "id", m), run_id=req_int(data, "run_id", m), name=req_str(data, "name", m),
            status=req_str(data, "status", m), conclusion=opt_str(data, "conclusion", m),
            started_at=timestamp(data, "started_at", m), completed_at=timestamp(data, "completed_at", m),
            html_url=opt_str(data, "html_url", m) or "", run_attempt=opt_int(data, "run_attempt", m) or 1,
            steps=tuple(Step.from_api(step) for step in objects(data, "steps", m)),
        )


@dataclass(frozen=True)
class PullRequest:
    """A pull request (simple or full schema); ``merged_at`` is ``None`` unless it was merged."""

    number: int
    state: str
    title: str
    head_sha: str
    head_ref: str
    base_ref: str
    merge_commit_sha: str | None
    merged_at: datetime | None
    html_url: str

    @classmethod
    def from_api(cls, data: Payload) -> Self:
        m = cls.__name__
        head = opt_obj(data, "head", m) or {}
        base = opt_obj(data, "base", m) or {}
        return cls(
            number=req_int(data, "number", m), state=req_str(data, "state", m),
            title=opt_str(data, "title", m) or "", head_sha=req_str(head, "sha", m),
            head_ref=req_str(head, "ref", m), base_ref=req_str(base, "ref", m),
            merge_commit_sha=opt_str(data, "merge_commit_sha", m), merged_at=timestamp(data, "merged_at", m),
            html_url=opt_str(data, "html_url", m) or "",
        )


@dataclass(frozen=True)
class Commit:
    """``GET /repos/{owner}/{repo}/commits/{ref}``."""

    sha: str
    message: str
    parents: tuple[str, ...]
    html_url: str

    @classmethod
    def from_api(cls, data: Payload) -> Self:
        m = cls.__name__
        inner = opt_obj(data, "commit", m) or {}
        parents = tuple(req_str(parent, "sha", m) for parent in objects(data, "parents", m))
        return cls(sha=req_str(data, "sha", m), message=opt_str(inner, "message", m) or "",
                   parents=parents, html_url=opt_str(data, "html_url", m) or "")


@dataclass(frozen=True)
class CheckRun:
    """A check run on a ref (Actions jobs appear here too, named after the job)."""

    id: int
    name: str
    head_sha: str
    status: str
    conclusion: str | None
    html_url: str

    @classmethod
    def from_api(cls, data: Payload) -> Self:
        m = cls.__name__
        return cls(id=req_int(data, "id", m), name=req_str(data, "name", m), head_sha=req_str(data, "head_sha", m),
                   status=req_str(data, "status", m), conclusion=opt_str(data, "conclusion", m),
                   html_url=opt_str(data, "html_url", m) or "")


@dataclass(frozen=True)
class Annotation:
    """A check run annotation (``GET .../check-runs/{id}/annotations``): what the run's page shows beside a job."""

    path: str
    start_line: int | None
    level: str
    title: str
    message: str

    @classmethod
    def from_api(cls, data: Payload) -> Self:
        m = cls.__name__
        return cls(path=opt_str(data, "path", m) or "", start_line=opt_int(data, "start_line", m),
                   level=opt_str(data, "annotation_level", m) or "", title=opt_str(data, "title", m) or "",
                   message=opt_str(data, "message", m) or "")


@dataclass(frozen=True)
class RateLimit:
    """The ``core`` budget from ``GET /rate_limit`` (``rate``); ``reset`` is epoch seconds."""

    limit: int
    remaining: int
    reset: int
    used: int

    @classmethod
    def from_api(cls, data: Payload) -> Self:
        m = cls.__name__
        rate = opt_obj(data, "rate", m) or data
        return cls(limit=req_int(rate, "limit", m), remaining=req_int(rate, "remaining", m),
                   reset=req_int(rate, "reset", m), used=opt_int(rate, "used", m) or 0)


@dataclass(frozen=True)
class DispatchResponse:
    """What a workflow dispatch answered: 204 (no body) or 200 with the new run's id and URLs."""

    status_code: int
    run_id: int | None
    run_url: str | None
    html_url: str | None
    server_date: datetime | None

    @classmethod
    def from_api(cls, data: Payload, *, status_code: int, server_date: datetime | None) -> Self:
        m = cls.__name__
        return cls(status_code=status_code, run_id=opt_int(data, "workflow_run_id", m),
                   run_url=opt_str(data, "run_url", m), html_url=opt_str(data, "html_url", m),
                   server_date=server_date)
