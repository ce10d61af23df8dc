"""Seeded history, so a fresh emulator looks like a repository where the plan's work already landed.

* The default branch's HEAD has a completed run of every workflow triggered by a push to it (event ``push``),
  except workflows that build images (a step uses docker/build-push-action or runs ``docker``): those have an
  *older* build (labelled with HEAD's first parent, executing HEAD's files), whose pushes leave older images in the
  registry (``sha-<older>`` + ``latest``), so checks for new tags after a dispatch are meaningful.
* The pull request merged into HEAD has a completed run of every ``pull_request`` workflow on its head commit
  (HEAD's second parent when HEAD is a merge, else a synthesized commit that executes HEAD's files);
  pulls-for-commit, pulls/get and check-runs agree with it.
* Branch and path filters decide as on GitHub: the push's changed files are HEAD's diff to its first parent; the
  pull request's are its head's diff to the merge base with the base branch (GitHub's three-dot diff), or HEAD's
  own changes when its head is synthesized.

Every seeded run is executed like any other (the target's tests decide its conclusion); which workflows count as
image builds is read from their steps, never from the static publication plan.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import replace
from datetime import datetime, timedelta

from cicd_acceptance.emulator.github.repo import Commit
from cicd_acceptance.emulator.github.runs import RunOrigin
from cicd_acceptance.emulator.github.state import GitHubState, PullRecord
from cicd_acceptance.emulator.github.workflow_view import WorkflowInfo
from cicd_acceptance.workflows.triggers import Trigger

__all__ = ["SEEDED_PULL_BRANCH", "SEEDED_PULL_NUMBER", "seed_history"]

SEEDED_PULL_NUMBER = 12
SEEDED_PULL_BRANCH = "ci-cd-build-automation"
_MAX_CHANGED = 10_000
# GitHub's merge-commit subject: the pull's number and head branch when HEAD was merged through the web UI.
_MERGE_SUBJECT = re.compile(r"^Merge pull request #(?P<number>\d+) from [^/\s]+/(?P<branch>\S+)")


def _synthesized(base: Commit, salt: str, *, parents: tuple[str, ...], message: str, hours_earlier: int) -> Commit:
    sha = hashlib.sha1(f"{salt}:{base.sha}".encode(), usedforsecurity=False).hexdigest()
    return replace(base, sha=sha, parents=parents, message=message,
                   author_date=base.author_date - timedelta(hours=hours_earlier),
                   committer_date=base.committer_date - timedelta(hours=hours_earlier))


def _pull_head(github: GitHubState, head: Commit) -> Commit:
    if len(head.parents) > 1:
        found = github.commit(head.parents[1])
        if found is not None:
            return found
    commit = _synthesized(head, "pull-head", parents=head.parents[:1], message="Add CI and image build workflows",
                          hours_earlier=3)
    github.extra_commits[commit.sha] = commit
    return commit


def _older(github: GitHubState, head: Commit) -> Commit:
    found = github.commit(head.parents[0]) if head.parents else None
    if found is not None:
        return found
    commit = _synthesized(head, "older-build", parents=(), message="Previous build", hours_earlier=48)
    github.extra_commits[commit.sha] = commit
    return commit


_DOCKER_COMMAND = re.compile(r"(^|[\s;&|(])docker\s+(push|buildx|build)\b", re.MULTILINE)


def builds_images(info: WorkflowInfo) -> bool:
    """Whether a step of the workflow builds images (read from the steps, not from any plan)."""
    if info.workflow is None:
        return False
    return any(step.uses_action("docker/build-push-action") or _DOCKER_COMMAND.search(step.run or "") is not None
               for job in info.workflow.jobs.values() for step in job.steps)


def _diff(github: GitHubState, *revisions: str) -> list[str] | None:
    """Files changed between ``revisions`` (``a b`` or ``a...b``), relative to the checkout folder; None when git
    cannot tell."""
    try:
        done = subprocess.run(["git", "diff", "--name-only", "--relative", "-z", *revisions],
                              cwd=github.snapshot.root, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return [path for path in done.stdout.decode("utf-8", errors="replace").split("\0") if path][:_MAX_CHANGED]


def _changed_paths(github: GitHubState, head: Commit) -> list[str] | None:
    """Files the push of HEAD changed (relative to the checkout folder); None when git cannot tell."""
    if not head.parents:
        return list(github.snapshot.files)
    return _diff(github, head.parents[0], head.sha)


def _pull_changed_paths(github: GitHubState, pull: PullRecord, pushed: list[str] | None) -> list[str] | None:
    """Files the pull request changed: its head against the merge base with its base (GitHub's three-dot diff);
    a synthesized head carries HEAD's own changes (``pushed``)."""
    if pull.head_sha in github.extra_commits or pull.base_sha == pull.merge_commit_sha:
        return pushed
    return _diff(github, f"{pull.base_sha}...{pull.head_sha}")


def _runs_for(trigger: Trigger, branch: str, changed: list[str] | None) -> bool:
    """Whether GitHub starts a run for a push to (or a pull request into) ``branch``: branch filters, then path
    filters (a run when at least one changed path passes them)."""
    if not trigger.admits_branch(branch):
        return False
    if changed is None or (trigger.paths is None and trigger.paths_ignore is None):
        return True
    return any(trigger.admits_path(path) for path in changed)


def seed_history(github: GitHubState, now: datetime) -> None:
    """Seed pulls, runs and (through the executor) older images; see the module docstring."""
    identity = github.identity
    head = github.commit(github.snapshot.head)
    if head is None:
        return
    branch = identity.default_branch
    pr_head = _pull_head(github, head)
    merged = _MERGE_SUBJECT.match(head.message)
    number = int(merged["number"]) if merged else SEEDED_PULL_NUMBER
    pull = github.add_pull(PullRecord(
        number=number, pr_id=1_900_000_000 + number, title=pr_head.message.splitlines()[0],
        user=identity.owner, head_ref=merged["branch"] if merged else SEEDED_PULL_BRANCH, head_sha=pr_head.sha,
        base_ref=branch,
        base_sha=head.parents[0] if head.parents else head.sha, merge_commit_sha=head.sha,
        created_at=now - timedelta(hours=4), merged_at=now - timedelta(hours=1)))
    older = _older(github, head)
    changed = _changed_paths(github, head)
    pull_changed = _pull_changed_paths(github, pull, changed)
    for info in github.workflows:
        if info.workflow is None:
            continue
        triggers = info.workflow.triggers
        if "pull_request" in triggers and _runs_for(triggers["pull_request"], branch, pull_changed):
            tree = None if pr_head.sha not in github.extra_commits else head.sha
            github.add_run(info, RunOrigin("pull_request", pull.head_ref, pr_head.sha, identity.owner,
                                           pull_requests=(pull.number,), tree_sha=tree),
                           created_at=now - timedelta(hours=3))
        if "push" in triggers and _runs_for(triggers["push"], branch, changed):
            publishes = builds_images(info)
            github.add_run(info, RunOrigin("push", branch, older.sha if publishes else head.sha, identity.owner,
                                           tree_sha=head.sha),
                           created_at=now - timedelta(hours=48 if publishes else 1))
