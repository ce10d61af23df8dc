"""The event a publication plan is computed for, and the ``github`` context it implies.

Only what the event really fixes is put in the context (repository, owner, sha, ref, ref_name, ref_type,
event_name, actor, server_url, and ``github.event.repository`` names/default branch); anything else a workflow
reads from ``github`` stays unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cicd_acceptance.workflows.expr_values import PartialObject

__all__ = ["BuildEvent", "github_context"]


@dataclass(frozen=True)
class BuildEvent:
    """A run trigger: ``BuildEvent("push", "refs/heads/main", sha, "main", "Acme/stream-monitor")``.

    ``inputs`` are the ``workflow_dispatch`` inputs given; the others take their defaults.

    The remaining fields are what the event's payload and the repository say beyond the ref, for actions that read
    them (docker/metadata-action). ``None`` means *not known* (a static run), never "absent"; an empty string
    means known to be absent:

    * ``pull_number``, ``head_ref``/``head_sha``, ``base_ref``/``base_sha``: the pull request (``pull_request`` and
      ``pull_request_target``); ``base_ref`` is the base branch's name, as ``github.base_ref``.
    * ``payload_base_ref``: the ``base_ref`` of a push payload (a tag push names the branch, ``refs/heads/main``).
    * ``commit_date``: the commit's committer date (the checkout knows it); ``event_time``: when the build's steps
      run (the emulator knows it at run time; unknown statically).
    * ``repo_description``, ``repo_license`` (SPDX id), ``server_url``: what the repository API would say.
    """

    event_name: str
    ref: str
    sha: str
    default_branch: str
    repository: str
    actor: str = ""
    inputs: Mapping[str, Any] | None = None
    pull_number: int | None = None
    head_ref: str | None = None
    head_sha: str | None = None
    base_ref: str | None = None
    base_sha: str | None = None
    payload_base_ref: str | None = None
    commit_date: datetime | None = None
    event_time: datetime | None = None
    repo_description: str | None = None
    repo_license: str | None = None
    server_url: str = "https://github.com"

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
        """``2`` for ``refs/pull/2/merge``, or the payload's number for a ``pull_request*`` event."""
        parts = self.ref.split("/")
        if len(parts) >= 4 and parts[:2] == ["refs", "pull"]:
            return parts[2]
        if self.pull_number is not None and self.event_name.startswith("pull_request"):
            return str(self.pull_number)
        return None

    @property
    def is_pull_request(self) -> bool:
        return self.event_name in ("pull_request", "pull_request_target")

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
        # Where a GitHub-hosted runner checks the repository out (paths under it are read relative to the checkout).
        "workspace": f"/home/runner/work/{event.name}/{event.name}",
        "event": PartialObject({"repository": repository}, "github.event"),
    }
    if event.actor:
        values["actor"] = event.actor
        values["triggering_actor"] = event.actor
    if not event.is_pull_request:
        values["base_ref"] = values["head_ref"] = ""  # GitHub sets them for pull request events only
        if not event.event_name.startswith("pull_request"):
            # A push or dispatch payload has no pull_request: `github.event.pull_request.head.repo.fork` is null.
            values["event"]["pull_request"] = None
        if event.event_name == "push":
            values["event"]["after"] = event.sha
            values["event"]["head_commit"] = PartialObject({"id": event.sha}, "github.event.head_commit")
        elif event.event_name == "workflow_dispatch":
            values["event"]["head_commit"] = None  # a dispatch payload has no commit: `head_commit.id` is null
    else:
        pull: dict[str, Any] = {}
        if event.pull_number is not None:
            pull["number"] = event.pull_number
            values["event"]["number"] = event.pull_number
        if event.base_ref is not None:
            values["base_ref"] = event.base_ref
            pull["base"] = PartialObject({"ref": event.base_ref} | ({"sha": event.base_sha} if event.base_sha else {}),
                                         "github.event.pull_request.base")
        if event.head_ref is not None:
            values["head_ref"] = event.head_ref
            pull["head"] = PartialObject({"ref": event.head_ref} | ({"sha": event.head_sha} if event.head_sha else {}),
                                         "github.event.pull_request.head")
        values["event"]["pull_request"] = PartialObject(pull, "github.event.pull_request")
    return PartialObject(values, "github")
