"""JSON bodies for workflows, runs, jobs, check runs, pull requests and package versions.

Status and conclusion are computed for the moment of the request (see :mod:`cicd_acceptance.emulator.github.runs`).
Shapes follow ``github-rest-subset.json``; the contract tests validate every body against it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from cicd_acceptance.emulator.clock import iso
from cicd_acceptance.emulator.github.artifacts import Artifact
from cicd_acceptance.emulator.github.payloads_repo import RepoIdentity, Urls, node_id, repository_body, user_body
from cicd_acceptance.emulator.github.repo import Commit
from cicd_acceptance.emulator.github.runs import Attempt, JobRecord, RunRecord
from cicd_acceptance.emulator.github.state import PullRecord
from cicd_acceptance.emulator.github.workflow_view import WorkflowInfo

__all__ = ["JsonDict", "annotation_body", "artifact_body", "check_run_body", "combined_status_body", "job_body",
           "package_version_body", "pull_body", "pull_minimal_body", "pull_simple_body", "run_body", "usage_body",
           "workflow_body"]

JsonDict = dict[str, object]


def actor_id(login: str) -> int:
    """A stable user id per login (derived from the name, so no registry of users is needed)."""
    return 5_000_000 + int(hashlib.sha256(login.encode()).hexdigest()[:8], 16) % 1_000_000


def workflow_body(urls: Urls, repo: RepoIdentity, info: WorkflowInfo, *, state: str = "active") -> JsonDict:
    """A ``workflow`` (``state`` ``active`` or ``disabled_manually``)."""
    api = f"{urls.api}/repos/{repo.full_name}/actions/workflows/{info.workflow_id}"
    html = f"{urls.html}/{repo.full_name}"
    return {
        "id": info.workflow_id, "node_id": node_id("W", info.workflow_id), "name": info.name, "path": info.path,
        "state": state, "created_at": iso(repo.created_at), "updated_at": iso(repo.pushed_at), "url": api,
        "html_url": f"{html}/blob/{repo.default_branch}/{info.path}",
        "badge_url": f"{html}/workflows/{info.file_name}/badge.svg",
    }


def pull_minimal_body(urls: Urls, repo: RepoIdentity, pull: PullRecord) -> JsonDict:
    """A ``pull-request-minimal`` (inside runs and check runs)."""
    api = f"{urls.api}/repos/{repo.full_name}"
    small = {"id": repo.repo_id, "url": api, "name": repo.name}
    return {"id": pull.pr_id, "number": pull.number, "url": f"{api}/pulls/{pull.number}",
            "head": {"ref": pull.head_ref, "sha": pull.head_sha, "repo": small},
            "base": {"ref": pull.base_ref, "sha": pull.base_sha, "repo": small}}


def _head_commit(commit: Commit | None, sha: str) -> JsonDict | None:
    if commit is None:
        return None
    return {"id": sha, "tree_id": commit.tree, "message": commit.message, "timestamp": iso(commit.committer_date),
            "author": {"name": commit.author_name, "email": commit.author_email},
            "committer": {"name": commit.committer_name, "email": commit.committer_email}}


def run_body(urls: Urls, repo: RepoIdentity, run: RunRecord, now: datetime, *, attempt: Attempt | None = None,
             commit: Commit | None, pulls: list[PullRecord], repository: JsonDict | None = None) -> JsonDict:
    """A ``workflow-run`` as of ``now`` (``attempt`` picks an earlier attempt for the attempts endpoint)."""
    chosen = attempt or run.latest(now)
    api = f"{urls.api}/repos/{repo.full_name}/actions/runs/{run.id}"
    html = f"{urls.html}/{repo.full_name}/actions/runs/{run.id}"
    actor = user_body(urls, run.actor, actor_id(run.actor))
    repository = repository or repository_body(urls, repo)
    subject = (commit.message.splitlines() or [""])[0] if commit else ""
    display = subject if subject and run.event != "workflow_dispatch" else run.workflow.name
    previous = f"{api}/attempts/{chosen.number - 1}" if chosen.number > 1 else None
    return {
        "id": run.id, "name": run.workflow.name, "node_id": node_id("WFR", run.id),
        "check_suite_id": run.check_suite_id,
        "check_suite_node_id": node_id("CS", run.check_suite_id), "head_branch": run.head_branch,
        "head_sha": run.head_sha, "path": run.workflow.path, "run_number": run.run_number,
        "run_attempt": chosen.number, "event": run.event, "display_title": display,
        "status": run.status(now, chosen), "conclusion": run.conclusion(now, chosen),
        "workflow_id": run.workflow.workflow_id, "url": api, "html_url": html,
        "pull_requests": [pull_minimal_body(urls, repo, pull) for pull in pulls],
        "created_at": iso(run.created_at), "updated_at": iso(run.updated_at(now)),
        "run_started_at": iso(chosen.started_at), "actor": actor, "triggering_actor": actor,
        "jobs_url": f"{api}/jobs", "logs_url": f"{api}/logs", "check_suite_url":
            f"{urls.api}/repos/{repo.full_name}/check-suites/{run.check_suite_id}",
        "artifacts_url": f"{api}/artifacts", "cancel_url": f"{api}/cancel", "rerun_url": f"{api}/rerun",
        "previous_attempt_url": previous,
        "workflow_url": f"{urls.api}/repos/{repo.full_name}/actions/workflows/{run.workflow.workflow_id}",
        "head_commit": _head_commit(commit, run.head_sha), "repository": repository, "head_repository": repository,
        "referenced_workflows": [],
    }


def job_body(urls: Urls, repo: RepoIdentity, run: RunRecord, attempt: Attempt, job: JobRecord,
             now: datetime) -> JsonDict:
    """A ``job`` with its steps as of ``now``."""
    api = f"{urls.api}/repos/{repo.full_name}"
    status = job.status(now)
    conclusion = run.job_conclusion(job, now, attempt)
    started = status != "queued"
    steps = job.steps(now, conclusion)
    return {
        "id": job.id, "run_id": run.id, "run_url": f"{api}/actions/runs/{run.id}", "run_attempt": attempt.number,
        "node_id": node_id("CR", job.id), "head_sha": run.head_sha, "url": f"{api}/actions/jobs/{job.id}",
        "html_url": f"{urls.html}/{repo.full_name}/actions/runs/{run.id}/job/{job.id}",
        "status": status, "conclusion": conclusion, "created_at": iso(job.created_at),
        "started_at": iso(job.started_at if started else job.created_at),
        "completed_at": iso(job.completed_at) if status == "completed" else None,
        "name": job.plan.name, "check_run_url": f"{api}/check-runs/{job.id}",
        "labels": ["ubuntu-latest"], "runner_id": 1 if started else None,
        "runner_name": "GitHub Actions 1" if started else None, "runner_group_id": 0 if started else None,
        "runner_group_name": "GitHub Actions" if started else None, "workflow_name": run.workflow.name,
        "head_branch": run.head_branch,
        "steps": [{"name": step.name, "number": step.number, "status": step.status, "conclusion": step.conclusion,
                   "started_at": iso(step.started_at) if step.started_at else None,
                   "completed_at": iso(step.completed_at) if step.completed_at else None} for step in steps],
    }


def check_run_body(urls: Urls, repo: RepoIdentity, run: RunRecord, job: JobRecord, now: datetime,
                   pulls: list[PullRecord], *, annotations: int = 0) -> JsonDict:
    """A ``check-run``: on GitHub every Actions job is a check run with the same id."""
    api = f"{urls.api}/repos/{repo.full_name}"
    status = job.status(now)
    owner = user_body(urls, "github", 9919, kind="Organization")
    return {
        "id": job.id, "head_sha": run.head_sha, "node_id": node_id("CR", job.id), "external_id": str(job.id),
        "url": f"{api}/check-runs/{job.id}", "html_url": f"{urls.html}/{repo.full_name}/runs/{job.id}",
        "details_url": f"{urls.html}/{repo.full_name}/actions/runs/{run.id}/job/{job.id}", "status": status,
        "conclusion": run.job_conclusion(job, now), "started_at": iso(job.started_at) if status != "queued" else None,
        "completed_at": iso(job.completed_at) if status == "completed" else None,
        "output": {"title": None, "summary": None, "text": None, "annotations_count": annotations,
                   "annotations_url": f"{api}/check-runs/{job.id}/annotations"},
        "name": job.plan.name, "check_suite": {"id": run.check_suite_id},
        "app": {"id": 15368, "slug": "github-actions", "node_id": node_id("A", 15368), "owner": owner,
                "name": "GitHub Actions", "description": "Automate your workflow from idea to production",
                "external_url": "https://help.github.com/en/actions", "html_url": "https://github.com/apps/github-actions",
                "created_at": "2018-07-30T09:30:17Z", "updated_at": "2024-04-10T20:33:16Z",
                "permissions": {"actions": "write", "checks": "write", "contents": "write"},
                "events": ["check_run", "check_suite", "push", "pull_request"]},
        "pull_requests": [pull_minimal_body(urls, repo, pull) for pull in pulls],
    }


def pull_simple_body(urls: Urls, repo: RepoIdentity, pull: PullRecord) -> JsonDict:
    """A ``pull-request-simple``."""
    api = f"{urls.api}/repos/{repo.full_name}"
    html = f"{urls.html}/{repo.full_name}/pull/{pull.number}"
    issue = f"{api}/issues/{pull.number}"
    self_url = f"{api}/pulls/{pull.number}"
    user = user_body(urls, pull.user, actor_id(pull.user))
    repository = repository_body(urls, repo)
    closed = iso(pull.merged_at) if pull.merged_at else None

    def side(ref: str, sha: str) -> JsonDict:
        owner = user_body(urls, repo.owner, repo.owner_id)
        return {"label": f"{repo.owner}:{ref}", "ref": ref, "sha": sha, "user": owner, "repo": repository}

    links = {"self": self_url, "html": html, "issue": issue, "comments": f"{issue}/comments",
             "review_comments": f"{self_url}/comments", "review_comment": f"{api}/pulls/comments{{/number}}",
             "commits": f"{self_url}/commits", "statuses": f"{api}/statuses/{pull.head_sha}"}
    return {
        "url": self_url, "id": pull.pr_id, "node_id": node_id("PR", pull.pr_id), "html_url": html,
        "diff_url": f"{html}.diff", "patch_url": f"{html}.patch", "issue_url": issue,
        "commits_url": f"{self_url}/commits", "review_comments_url": f"{self_url}/comments",
        "review_comment_url": f"{api}/pulls/comments{{/number}}", "comments_url": f"{issue}/comments",
        "statuses_url": f"{api}/statuses/{pull.head_sha}", "number": pull.number, "state": pull.state,
        "locked": False, "title": pull.title, "user": user, "body": None, "labels": [], "milestone": None,
        "active_lock_reason": None, "created_at": iso(pull.created_at),
        "updated_at": closed or iso(pull.created_at), "closed_at": closed, "merged_at": closed,
        "merge_commit_sha": pull.merge_commit_sha, "assignee": None, "assignees": [], "requested_reviewers": [],
        "requested_teams": [], "head": side(pull.head_ref, pull.head_sha), "base": side(pull.base_ref, pull.base_sha),
        "_links": {key: {"href": value} for key, value in links.items()}, "author_association": "OWNER",
        "auto_merge": None, "draft": False,
    }


def pull_body(urls: Urls, repo: RepoIdentity, pull: PullRecord) -> JsonDict:
    """A full ``pull-request``."""
    body = pull_simple_body(urls, repo, pull)
    merged = pull.merged_at is not None
    body.update({
        "merged": merged, "mergeable": None if merged else True, "rebaseable": None, "mergeable_state": "unknown",
        "merged_by": user_body(urls, repo.owner, repo.owner_id) if merged else None, "comments": 0,
        "review_comments": 0, "maintainer_can_modify": False, "commits": 1, "additions": 1, "deletions": 0,
        "changed_files": 1,
    })
    return body


def package_version_body(urls: Urls, *, owner: str, owner_kind: str, package: str, version_id: int, digest: str,
                         tags: tuple[str, ...], created_at: datetime) -> JsonDict:
    """A ``package-version`` of a container package (name = manifest digest, tags in metadata)."""
    scope = "orgs" if owner_kind == "org" else "users"
    return {
        "id": version_id, "name": digest,
        "url": f"{urls.api}/{scope}/{owner}/packages/container/{package}/versions/{version_id}",
        "package_html_url": f"{urls.html}/{owner}/packages/container/package/{package}",
        "html_url": f"{urls.html}/{owner}/packages/container/{package}/{version_id}",
        "created_at": iso(created_at), "updated_at": iso(created_at),
        "metadata": {"package_type": "container", "container": {"tags": list(tags)}},
    }


def artifact_body(urls: Urls, repo: RepoIdentity, artifact: Artifact, run: RunRecord | None) -> JsonDict:
    """An ``artifact`` (kept 90 days, GitHub's default retention)."""
    api = f"{urls.api}/repos/{repo.full_name}/actions/artifacts/{artifact.id}"
    workflow_run = None if run is None else {
        "id": run.id, "repository_id": repo.repo_id, "head_repository_id": repo.repo_id,
        "head_branch": run.head_branch, "head_sha": run.head_sha}
    digest = "sha256:" + hashlib.sha256(artifact.content).hexdigest()
    return {
        "id": artifact.id, "node_id": node_id("ART", artifact.id), "name": artifact.name,
        "size_in_bytes": artifact.size_in_bytes, "url": api, "archive_download_url": f"{api}/zip",
        "expired": artifact.expired, "created_at": iso(artifact.created_at),
        "updated_at": iso(artifact.created_at), "expires_at": iso(artifact.created_at + timedelta(days=90)),
        "digest": digest, "workflow_run": workflow_run,
    }


def usage_body(run: RunRecord, attempt: Attempt, now: datetime) -> JsonDict:
    """A ``workflow-run-usage``: public repositories are not billed, so ``billable`` is empty, as on GitHub;
    ``run_duration_ms`` is the attempt's wall time so far."""
    end = min(now, attempt.completed_at)
    return {"billable": {}, "run_duration_ms": max(int((end - attempt.started_at).total_seconds() * 1000), 0)}


def annotation_body(urls: Urls, repo: RepoIdentity, run: RunRecord, level: str, message: str, *,
                    path: str | None = None, line: int | None = None, title: str | None = None) -> JsonDict:
    """A ``check-annotation``; one that names no file is put on ``.github`` at line 1, as GitHub does."""
    where, at = (path, line or 1) if path else (".github", 1)
    return {"path": where, "blob_href": f"{urls.html}/{repo.full_name}/blob/{run.head_sha}/{where}",
            "start_line": at, "end_line": at, "start_column": None, "end_column": None, "annotation_level": level,
            "title": title or "", "message": message, "raw_details": ""}


def combined_status_body(urls: Urls, repo: RepoIdentity, sha: str, statuses: list[JsonDict]) -> JsonDict:
    """A ``combined-commit-status``: ``failure`` if any status failed or errored, ``pending`` if any is pending or
    there are none, else ``success`` (GitHub's rule)."""
    states = {str(status["state"]) for status in statuses}
    state = "failure" if states & {"failure", "error"} else ("pending" if not states or "pending" in states
                                                             else "success")
    api = f"{urls.api}/repos/{repo.full_name}"
    return {"state": state, "statuses": statuses, "sha": sha, "total_count": len(statuses),
            "repository": repository_body(urls, repo), "commit_url": f"{api}/commits/{sha}",
            "url": f"{api}/commits/{sha}/status"}
