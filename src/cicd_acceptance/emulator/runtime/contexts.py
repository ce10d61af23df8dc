"""The run-time values a workflow sees: the event payload, the ``github`` context and the runner's environment.

Everything here is concrete (the emulator knows the run it executes); a key GitHub would not set is absent, so an
expression reading it gets null as on GitHub.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RunEvent", "github_values", "runner_values"]


@dataclass(frozen=True)
class RunEvent:
    """What triggered a run: ``name`` (push, pull_request, workflow_dispatch...), ``ref`` and ``sha`` as
    ``GITHUB_REF``/``GITHUB_SHA`` give them, the webhook ``payload`` and, for pull requests, head/base refs."""

    name: str
    ref: str
    sha: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    head_ref: str = ""
    base_ref: str = ""

    @property
    def ref_name(self) -> str:
        for prefix in ("refs/heads/", "refs/tags/"):
            if self.ref.startswith(prefix):
                return self.ref.removeprefix(prefix)
        return self.ref.removeprefix("refs/")[len("pull/"):] if self.ref.startswith("refs/pull/") else self.ref

    @property
    def ref_type(self) -> str:
        return "tag" if self.ref.startswith("refs/tags/") else "branch"


@dataclass(frozen=True)
class RunIdentity:
    """The run as the ``github`` context names it."""

    repository: str
    run_id: int
    run_number: int
    run_attempt: int
    actor: str
    workflow: str
    workflow_path: str
    server_url: str
    api_url: str


def github_values(event: RunEvent, run: RunIdentity, *, job: str, workspace: str, token: str) -> dict[str, Any]:
    """The ``github`` context of one job."""
    owner = run.repository.partition("/")[0]
    return {
        "action": "__run", "action_path": "", "action_ref": "", "action_repository": "",
        "actor": run.actor, "triggering_actor": run.actor, "actor_id": "",
        "api_url": run.api_url, "graphql_url": f"{run.api_url.rstrip('/')}/graphql",
        "base_ref": event.base_ref, "head_ref": event.head_ref,
        "event": dict(event.payload), "event_name": event.name, "event_path": "/home/runner/work/_temp/event.json",
        "job": job, "ref": event.ref, "ref_name": event.ref_name, "ref_protected": False, "ref_type": event.ref_type,
        "repository": run.repository, "repository_owner": owner, "repositoryUrl": f"git://github.com/{run.repository}.git",
        "retention_days": 90, "run_id": str(run.run_id), "run_number": str(run.run_number),
        "run_attempt": str(run.run_attempt), "secret_source": "Actions", "server_url": run.server_url,
        "sha": event.sha, "token": token, "workflow": run.workflow,
        "workflow_ref": f"{run.repository}/{run.workflow_path}@{event.ref}", "workflow_sha": event.sha,
        "workspace": workspace,
    }


def runner_values(temp: str, tool_cache: str) -> dict[str, Any]:
    """The ``runner`` context."""
    return {"name": "GitHub Actions 1", "os": "Linux", "arch": "X64", "environment": "github-hosted",
            "temp": temp, "tool_cache": tool_cache, "debug": ""}


def runner_env(github: Mapping[str, Any], *, path: str, home: str, extra: Mapping[str, str]) -> dict[str, str]:
    """The environment a runner gives every process of a job (``GITHUB_*``, ``RUNNER_*``, ``CI``)."""
    env = {
        "CI": "true", "GITHUB_ACTIONS": "true", "HOME": home, "PATH": path, "LANG": "C.UTF-8",
        "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64", "RUNNER_NAME": "GitHub Actions 1",
        "RUNNER_ENVIRONMENT": "github-hosted",
    }
    for key in ("action", "actor", "api_url", "base_ref", "event_name", "event_path", "graphql_url", "head_ref",
                "job", "ref", "ref_name", "ref_type", "repository", "repository_owner", "retention_days", "run_id",
                "run_number", "run_attempt", "server_url", "sha", "triggering_actor", "workflow", "workflow_ref",
                "workflow_sha", "workspace"):
        env[f"GITHUB_{key.upper()}"] = str(github.get(key, ""))
    env.update(extra)
    return env
