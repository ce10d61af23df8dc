"""The objects ``/graphql`` answers from: the emulator's state seen as GitHub's GraphQL types.

Each object is a mapping from a schema field name to its value, or to a callable taking the field's arguments
(also used to build nested objects only when a query asks for them).
:func:`resolve_field` looks a field up there and answers a field the emulator has no value for with a GraphQL
error naming the type and field, so a query never gets an invented value. Abstract types (``Actor``,
``StatusCheckRollupContext``...) are resolved by the ``__typename`` each object carries.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, GraphQLResolveInfo

from cicd_acceptance.emulator.clock import iso
from cicd_acceptance.emulator.github.payloads_actions import actor_id
from cicd_acceptance.emulator.github.payloads_repo import Urls, node_id
from cicd_acceptance.emulator.github.runs import JobRecord, RunRecord
from cicd_acceptance.emulator.github.state import CommitStatus, PullRecord

if TYPE_CHECKING:
    from cicd_acceptance.emulator.state import EmulatorState

__all__ = ["GraphObjects", "resolve_field", "resolve_type"]

Obj = dict[str, Any]
_MAX_PAGE = 100  # GitHub's limit for first/last


def resolve_field(parent: object, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
    """The default resolver: the parent's value for the field (called with the arguments when callable)."""
    name = info.field_name
    if isinstance(parent, Mapping) and name in parent:
        value = parent[name]
        return value(**args) if callable(value) else value
    raise GraphQLError(f"The emulator cannot answer the field '{info.parent_type.name}.{name}'")


def resolve_type(value: object, _info: GraphQLResolveInfo[Any], _abstract: object) -> str | None:
    return str(value["__typename"]) if isinstance(value, Mapping) and "__typename" in value else None


def _cursor(index: int) -> str:
    return base64.b64encode(f"cursor:v2:{index}".encode()).decode()


def _offset(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        return int(text.rsplit(":", 1)[1])
    except (ValueError, IndexError) as exc:
        raise GraphQLError(f"`{cursor}` does not appear to be a valid cursor.") from exc


def connection(items: Sequence[Obj], *, first: int | None = None, last: int | None = None,
               after: str | None = None, before: str | None = None, **_filters: Any) -> Obj:
    """A GraphQL connection over ``items`` (``nodes``, ``edges``, ``pageInfo``, ``totalCount``)."""
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= _MAX_PAGE:
            raise GraphQLError(f"Requesting {value} records on the connection exceeds the `{name}` limit of "
                               f"{_MAX_PAGE} records.")
    start, end = (_offset(after) or -1) + 1, len(items)
    if before is not None:
        end = min(end, _offset(before) or 0)
    if first is not None:
        end = min(end, start + first)
    if last is not None:
        start = max(start, end - last)
    window = list(enumerate(items))[start:end]
    return {
        "totalCount": len(items), "nodes": [item for _i, item in window],
        "edges": [{"node": item, "cursor": _cursor(i)} for i, item in window],
        "pageInfo": {"hasNextPage": end < len(items), "hasPreviousPage": start > 0,
                     "startCursor": _cursor(window[0][0]) if window else None,
                     "endCursor": _cursor(window[-1][0]) if window else None},
    }


def _empty(**args: Any) -> Obj:
    return connection([], **args)


class GraphObjects:
    """Builds the GraphQL objects for one request from the state, as of ``now``."""

    def __init__(self, state: EmulatorState, urls: Urls, login: str, now: datetime) -> None:
        self.state = state
        self.urls = urls
        self.login = login
        self.now = now

    # -- roots ---------------------------------------------------------------------------------------------
    def root(self) -> Obj:
        return {"viewer": lambda: self.user(self.login), "repository": self._repository_field,
                "node": self._node, "nodes": lambda ids: [self._node(id=value) for value in ids]}

    def _repository_field(self, owner: str, name: str, **_args: Any) -> Obj:
        if f"{owner}/{name}".lower() != self.state.repository.lower():
            raise GraphQLError(f"Could not resolve to a Repository with the name '{owner}/{name}'.",
                               extensions={"type": "NOT_FOUND"})
        return self.repository()

    def _node(self, id: str) -> Obj | None:
        identity = self.state.identity
        if id == node_id("R", identity.repo_id):
            return self.repository()
        pull = next((p for p in self.state.github.pulls if node_id("PR", p.pr_id) == id), None)
        if pull is not None:
            return self.pull_request(pull)
        raise GraphQLError(f"Could not resolve to a node with the global id of '{id}'",
                           extensions={"type": "NOT_FOUND"})

    # -- objects -------------------------------------------------------------------------------------------
    def user(self, login: str) -> Obj:
        identity = self.state.identity
        user_id = identity.owner_id if login == identity.owner else actor_id(login)
        return {"__typename": "User", "id": node_id("U", user_id), "databaseId": user_id, "login": login,
                "name": login, "url": f"{self.urls.html}/{login}", "resourcePath": f"/{login}",
                "avatarUrl": lambda **_a: f"{self.urls.html}/avatars/u/{user_id}"}

    def repository(self) -> Obj:
        identity, github = self.state.identity, self.state.github
        html = f"{self.urls.html}/{identity.full_name}"
        head = github.branch_sha(identity.default_branch) or self.state.snapshot.head
        return {
            "__typename": "Repository", "id": node_id("R", identity.repo_id), "databaseId": identity.repo_id,
            "name": identity.name, "nameWithOwner": identity.full_name, "owner": self.user(identity.owner),
            "description": "Emulated repository served by cicd-acceptance", "url": html, "homepageUrl": None,
            "isPrivate": False, "isArchived": False, "isFork": False, "isEmpty": False, "isTemplate": False,
            "isInOrganization": False, "visibility": "PUBLIC", "viewerPermission": "ADMIN", "parent": None,
            "createdAt": iso(identity.created_at), "pushedAt": iso(identity.pushed_at),
            "updatedAt": iso(identity.pushed_at), "hasIssuesEnabled": True, "hasWikiEnabled": False,
            "stargazerCount": 0, "forkCount": 0, "mergeCommitAllowed": True, "rebaseMergeAllowed": True,
            "squashMergeAllowed": True, "deleteBranchOnMerge": False, "sshUrl": f"git@{self.urls.registry_host}:"
            f"{identity.full_name}.git",
            "defaultBranchRef": lambda: {"__typename": "Ref", "name": identity.default_branch,
                                         "prefix": "refs/heads/", "target": lambda: self.commit(head)},
            "pullRequests": self._pull_requests, "pullRequest": self._pull_request,
        }

    def _pull_requests(self, states: list[str] | None = None, baseRefName: str | None = None,
                       headRefName: str | None = None, orderBy: Mapping[str, str] | None = None,
                       **page: Any) -> Obj:
        pulls = [pull for pull in self.state.github.pulls
                 if (not states or _pull_state(pull) in states)
                 and (baseRefName is None or pull.base_ref == baseRefName)
                 and (headRefName is None or pull.head_ref == headRefName)]
        field = (orderBy or {}).get("field", "CREATED_AT")
        key: Callable[[PullRecord], Any] = ((lambda p: p.merged_at or p.created_at) if field == "UPDATED_AT"
                                            else (lambda p: p.created_at))
        pulls.sort(key=lambda p: (key(p), p.number), reverse=(orderBy or {}).get("direction", "ASC") == "DESC")
        return connection([self.pull_request(pull) for pull in pulls], **page)

    def _pull_request(self, number: int) -> Obj:
        pull = self.state.github.pull(number)
        if pull is None:
            raise GraphQLError(f"Could not resolve to a PullRequest with the number of {number}.",
                               extensions={"type": "NOT_FOUND"})
        return self.pull_request(pull)

    def pull_request(self, pull: PullRecord) -> Obj:
        identity = self.state.identity
        merged = pull.merged_at is not None
        closed = iso(pull.merged_at) if pull.merged_at else None
        head_commit = {"__typename": "PullRequestCommit", "commit": lambda: self.commit(pull.head_sha)}
        return {
            "__typename": "PullRequest", "id": node_id("PR", pull.pr_id), "databaseId": pull.pr_id,
            "number": pull.number, "title": pull.title, "body": "", "state": _pull_state(pull),
            "url": f"{self.urls.html}/{identity.full_name}/pull/{pull.number}",
            "headRefName": pull.head_ref, "headRefOid": pull.head_sha, "baseRefName": pull.base_ref,
            "baseRefOid": pull.base_sha, "headRepositoryOwner": lambda: self.user(identity.owner),
            "headRepository": self.repository, "isCrossRepository": False, "isDraft": False,
            "createdAt": iso(pull.created_at), "updatedAt": closed or iso(pull.created_at), "closedAt": closed,
            "mergedAt": closed, "closed": merged, "merged": merged, "author": self.user(pull.user),
            "maintainerCanModify": False, "mergeable": "UNKNOWN" if merged else "MERGEABLE",
            "additions": 1, "deletions": 0, "changedFiles": 1, "locked": False,
            "mergeCommit": lambda: self.commit(pull.merge_commit_sha) if pull.merge_commit_sha else None,
            "commits": lambda **page: connection([head_commit], **page),
            "reviewRequests": _empty, "reviews": _empty, "assignees": _empty, "labels": _empty,
            "projectCards": _empty, "comments": _empty, "latestReviews": _empty, "milestone": None,
            "reactionGroups": [], "reviewDecision": None,
            "statusCheckRollup": lambda: self.status_rollup(pull.head_sha),
        }

    def commit(self, sha: str) -> Obj:
        found = self.state.github.commit(sha)
        return {
            "__typename": "Commit", "id": node_id("C", int(sha[:12], 16)) if _is_hex(sha) else sha, "oid": sha,
            "abbreviatedOid": sha[:7], "message": found.message if found else "",
            "messageHeadline": (found.message.splitlines() or [""])[0] if found else "",
            "committedDate": iso(found.committer_date) if found else None,
            "authoredDate": iso(found.author_date) if found else None,
            "url": f"{self.urls.html}/{self.state.repository}/commit/{sha}",
            "statusCheckRollup": lambda: self.status_rollup(sha),
        }

    def status_rollup(self, sha: str) -> Obj | None:
        """The checks and statuses of ``sha`` (None when there are none, as on GitHub)."""
        github = self.state.github
        contexts: list[Obj] = []
        for run in github.visible_runs(self.now):
            if run.head_sha == sha:
                attempt = run.latest(self.now)
                contexts += [self.check_run(run, job) for job in attempt.jobs]
        contexts += [self.status_context(status) for status in github.latest_statuses(sha)]
        if not contexts:
            return None
        states = {str(context["__state"]) for context in contexts}
        state = next((s for s in ("ERROR", "FAILURE", "PENDING", "EXPECTED") if s in states), "SUCCESS")
        return {"__typename": "StatusCheckRollup", "state": state, "contexts": lambda **page: connection(contexts,
                                                                                                          **page)}

    def check_run(self, run: RunRecord, job: JobRecord) -> Obj:
        status = job.status(self.now)
        conclusion = run.job_conclusion(job, self.now)
        html = f"{self.urls.html}/{self.state.repository}/actions/runs/{run.id}/job/{job.id}"
        workflow = {"__typename": "Workflow", "name": run.workflow.name, "databaseId": run.workflow.workflow_id}
        return {
            "__typename": "CheckRun", "__state": _rollup_state(status, conclusion), "id": node_id("CR", job.id),
            "databaseId": job.id, "name": job.plan.name, "status": status.upper(),
            "conclusion": conclusion.upper() if conclusion else None,
            "startedAt": iso(job.started_at) if status != "queued" else None,
            "completedAt": iso(job.completed_at) if status == "completed" else None,
            "detailsUrl": html, "url": html, "isRequired": lambda **_a: False,
            "checkSuite": {"__typename": "CheckSuite", "workflowRun": {
                "__typename": "WorkflowRun", "databaseId": run.id, "runNumber": run.run_number,
                "event": run.event, "workflow": workflow,
                "url": f"{self.urls.html}/{self.state.repository}/actions/runs/{run.id}"}},
        }

    def status_context(self, status: CommitStatus) -> Obj:
        return {"__typename": "StatusContext", "__state": status.state.upper(),
                "id": node_id("SC", status.status_id), "context": status.context, "state": status.state.upper(),
                "description": status.description, "targetUrl": status.target_url,
                "createdAt": iso(status.created_at), "isRequired": lambda **_a: False}


def _pull_state(pull: PullRecord) -> str:
    return "MERGED" if pull.merged_at is not None else "OPEN"


def _rollup_state(status: str, conclusion: str | None) -> str:
    if status != "completed":
        return "PENDING"
    if conclusion in {"failure", "timed_out", "startup_failure", "cancelled", "action_required"}:
        return "FAILURE"
    return "SUCCESS"


def _is_hex(text: str) -> bool:
    return len(text) >= 12 and all(ch in "0123456789abcdef" for ch in text[:12])
