"""The GitHub REST client (httpx) and its frozen models. See :mod:`cicd_acceptance.github.client`."""

from __future__ import annotations

from cicd_acceptance.github.client import DEFAULT_API_VERSION, GitHubClient, RunFilter, created_since
from cicd_acceptance.github.models import (
    Branch,
    CheckRun,
    Commit,
    DispatchResponse,
    Job,
    Meta,
    PullRequest,
    RateLimit,
    Repository,
    Step,
    Workflow,
    WorkflowRun,
)
from cicd_acceptance.github.session import ClientStats

__all__ = [
    "DEFAULT_API_VERSION",
    "Branch",
    "CheckRun",
    "ClientStats",
    "Commit",
    "DispatchResponse",
    "GitHubClient",
    "Job",
    "Meta",
    "PullRequest",
    "RateLimit",
    "Repository",
    "RunFilter",
    "Step",
    "Workflow",
    "WorkflowRun",
    "created_since",
]
