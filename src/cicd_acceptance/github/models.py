"""Frozen value objects for the GitHub REST answers the harness reads.

Every model is built by ``Model.from_api(payload)`` from the decoded JSON; nothing of type ``dict[str, Any]``
leaves the client. A payload that lacks a required field raises :class:`GitHubAPIError` with a placeholder call
(``decode <Model>``); :class:`cicd_acceptance.github.client.GitHubClient` re-raises it naming the real call.
Only fields the harness uses are kept; field names follow GitHub's schema except ``*_login`` / ``*_sha``
flattenings of nested objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Self

from cicd_acceptance.errors import GitHubAPIError

__all__ = [
    "GREEN_CONCLUSION",
    "TERMINAL_STATUS",
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

Payload = Mapping[str, object]


def _fail(model: str, key: str, expected: str, value: object) -> GitHubAPIError:
    return GitHubAPIError(
        f"field {key!r} should be {expected}, got {type(value).__name__}",
        method="decode",
        url=model,
    )


def _req_str(data: Payload, key: str, model: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise _fail(model, key, "a string", value)
    return value


def _opt_str(data: Payload, key: str, model: str) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _fail(model, key, "a string or null", value)


def _req_int(data: Payload, key: str, model: str) -> int:
    value = data.get(key)
    # bool is an int subclass; a boolean id is a shape error, not the number 1.
    if not isinstance(value, int) or isinstance(value, bool):
        raise _fail(model, key, "an integer", value)
    return value


def _opt_int(data: Payload, key: str, model: str) -> int | None:
    value = data.get(key)
    return None if value is None else _req_int(data, key, model)


def _bool(data: Payload, key: str, model: str, default: bool = False) -> bool:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _fail(model, key, "a boolean", value)
    return value


def _obj(data: Payload, key: str, model: str) -> Payload | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _fail(model, key, "an object", value)
    return value


def _objects(data: Payload, key: str, model: str) -> list[Payload]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise _fail(model, key, "a list of objects", value)
    return list(value)


def _login(data: Payload, key: str, model: str) -> str | None:
    user = _obj(data, key, model)
    return None if user is None else _opt_str(user, "login", model)


def parse_timestamp(value: str | None) -> datetime | None:
    """Parse GitHub's ISO 8601 timestamps (``2026-01-01T10:00:00Z``); ``None`` stays ``None``."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise GitHubAPIError(f"timestamp {value!r} is not ISO 8601", method="decode", url="timestamp") from None


def _time(data: Payload, key: str, model: str) -> datetime | None:
    return parse_timestamp(_opt_str(data, key, model))


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
            id=_req_int(data, "id", m),
            full_name=_req_str(data, "full_name", m),
            default_branch=_opt_str(data, "default_branch", m) or "main",
            private=_bool(data, "private", m),
            archived=_bool(data, "archived", m),
            html_url=_req_str(data, "html_url", m),
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
        commit = _obj(data, "commit", m) or {}
        return cls(name=_req_str(data, "name", m), commit_sha=_req_str(commit, "sha", m),
                   protected=_bool(data, "protected", m))


@dataclass(frozen=True)
class Meta:
    """``GET /meta``: ``installed_version`` is present on GitHub Enterprise Server only."""

    installed_version: str | None

    @classmethod
    def from_api(cls, data: Payload) -> Self:
        return cls(installed_version=_opt_str(data, "installed_version", cls.__name__))


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
        return cls(id=_req_int(data, "id", m), name=_req_str(data, "name", m), path=_req_str(data, "path", m),
                   state=_req_str(data, "state", m), html_url=_opt_str(data, "html_url", m) or "")


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

    @classmethod
    def from_api(cls, data: Payload) -> Self:
        m = cls.__name__
        return cls(
            id=_req_int(data, "id", m), name=_opt_str(data, "name", m), path=_opt_str(data, "path", m) or "",
            workflow_id=_opt_int(data, "workflow_id", m), event=_req_str(data, "event", m),
            status=_opt_str(data, "status", m) or "requested", conclusion=_opt_str(data, "conclusion", m),
            head_sha=_req_str(data, "head_sha", m), head_branch=_opt_str(data, "head_branch", m),
            run_number=_opt_int(data, "run_number", m), run_attempt=_opt_int(data, "run_attempt", m) or 1,
            actor_login=_login(data, "actor", m), triggering_actor_login=_login(data, "triggering_actor", m),
            created_at=_time(data, "created_at", m), updated_at=_time(data, "updated_at", m),
            run_started_at=_time(data, "run_started_at", m),
            html_url=_opt_str(data, "html_url", m) or "", url=_opt_str(data, "url", m) or "",
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
        return cls(name=_req_str(data, "name", m), number=_req_int(data, "number", m),
                   status=_req_str(data, "status", m), conclusion=_opt_str(data, "conclusion", m))


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
            id=_req_int(data, "id", m), run_id=_req_int(data, "run_id", m), name=_req_str(data, "name", m),
            status=_req_str(data, "status", m), conclusion=_opt_str(data, "conclusion", m),
            started_at=_time(data, "started_at", m), completed_at=_time(data, "completed_at", m),
            html_url=_opt_str(data, "html_url", m) or "", run_attempt=_opt_int(data, "run_attempt", m) or 1,
            steps=tuple(Step.from_api(step) for step in _objects(data, "steps", m)),
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
        head = _obj(data, "head", m) or {}
        base = _obj(data, "base", m) or {}
        return cls(
            number=_req_int(data, "number", m), state=_req_str(data, "state", m),
            title=_opt_str(data, "title", m) or "", head_sha=_req_str(head, "sha", m),
            head_ref=_req_str(head, "ref", m), base_ref=_req_str(base, "ref", m),
            merge_commit_sha=_opt_str(data, "merge_commit_sha", m), merged_at=_time(data, "merged_at", m),
            html_url=_opt_str(data, "html_url", m) or "",
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
        inner = _obj(data, "commit", m) or {}
        parents = tuple(_req_str(parent, "sha", m) for parent in _objects(data, "parents", m))
        return cls(sha=_req_str(data, "sha", m), message=_opt_str(inner, "message", m) or "",
                   parents=parents, html_url=_opt_str(data, "html_url", m) or "")


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
        return cls(id=_req_int(data, "id", m), name=_req_str(data, "name", m), head_sha=_req_str(data, "head_sha", m),
                   status=_req_str(data, "status", m), conclusion=_opt_str(data, "conclusion", m),
                   html_url=_opt_str(data, "html_url", m) or "")


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
        rate = _obj(data, "rate", m) or data
        return cls(limit=_req_int(rate, "limit", m), remaining=_req_int(rate, "remaining", m),
                   reset=_req_int(rate, "reset", m), used=_opt_int(rate, "used", m) or 0)


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
        return cls(status_code=status_code, run_id=_opt_int(data, "workflow_run_id", m),
                   run_url=_opt_str(data, "run_url", m), html_url=_opt_str(data, "html_url", m),
                   server_date=server_date)
