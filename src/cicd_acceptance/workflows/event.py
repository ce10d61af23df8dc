"""The event a publication plan is computed for, and the ``github`` context it implies.

Only what the event really fixes is put in the context (repository, owner, sha, ref, ref_name, ref_type,
event_name, actor, server_url, and ``github.event.repository`` names/default branch); anything else a workflow
reads from ``github`` stays unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cicd_acceptance.workflows.expr_values import PartialObject

__all__ = ["BuildEvent", "github_context"]


@dataclass(frozen=True)
class BuildEvent:
    """A run trigger: ``BuildEvent("push", "refs/heads/main", sha, "main", "Acme/stream-monitor")``.

    ``inputs`` are the ``workflow_dispatch`` inputs given; the others take their defaults.
    """

    event_name: str
    ref: str
    sha: str
    default_branch: str
    repository: str
    actor: str = ""
    inputs: Mapping[str, Any] | None = None

    @property
    def owner(self) -> str:
        return self.repository.partition("/")[0]

    @property
    def name(self) -> str:
        return self.repository.partition("/")[2]

    @property
    def branch(self) -> str | None:
        """The branch of a ``refs/heads/...`` ref, else ``None`` (tags and pull-request merge refs)."""
        return self.ref.removeprefix("refs/heads/") if self.ref.startswith("refs/heads/") else None

    @property
    def tag(self) -> str | None:
        return self.ref.removeprefix("refs/tags/") if self.ref.startswith("refs/tags/") else None

    @property
    def pr_number(self) -> str | None:
        """``2`` for ``refs/pull/2/merge``."""
        parts = self.ref.split("/")
        return parts[2] if len(parts) >= 4 and parts[:2] == ["refs", "pull"] else None

    @property
    def ref_name(self) -> str:
        for prefix in ("refs/heads/", "refs/tags/", "refs/pull/"):
            if self.ref.startswith(prefix):
                return self.ref.removeprefix(prefix)
        return self.ref

    @property
    def is_default_branch(self) -> bool:
        return self.branch == self.default_branch

    def short_sha(self, length: int = 7) -> str:
        return self.sha[:length]


def github_context(event: BuildEvent) -> PartialObject:
    """The ``github`` context as far as ``event`` determines it; other keys evaluate to unknown."""
    ref_type = "tag" if event.tag is not None else "branch"
    repository = PartialObject(
        {"name": event.name, "full_name": event.repository, "default_branch": event.default_branch,
         "html_url": f"https://github.com/{event.repository}", "owner": {"login": event.owner}},
        "github.event.repository",
    )
    values: dict[str, Any] = {
        "repository": event.repository,
        "repository_owner": event.owner,
        "sha": event.sha,
        "ref": event.ref,
        "ref_name": event.ref_name,
        "ref_type": ref_type,
        "event_name": event.event_name,
        "server_url": "https://github.com",
        "event": PartialObject({"repository": repository}, "github.event"),
    }
    if event.actor:
        values["actor"] = event.actor
        values["triggering_actor"] = event.actor
    return PartialObject(values, "github")
