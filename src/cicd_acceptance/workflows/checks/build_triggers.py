"""build-triggers: the build workflow runs on pushes to the default branch and on manual dispatch, and no other
trigger publishes.

Other triggers are allowed only when the workflow provably pushes nothing for them (``pull_request`` with
``push: ${{ github.event_name != 'pull_request' }}`` builds without publishing). ``schedule`` is never allowed:
the plan's Decision Log rules out scheduled rebuilds. A push trigger that also admits other branches publishes
from them, and so does one that admits tags (``tags: ['v*']``): the plan does not ask for either.
A ``workflow_call`` trigger runs only when a workflow calls this one: when no workflow of the repository does,
nothing here can publish through it (another repository's call runs with that repository's token and names).
"""

from __future__ import annotations

from cicd_acceptance.errors import WorkflowLoadError
from cicd_acceptance.targetfiles import read_target_text
from cicd_acceptance.workflows.checks.common import describe_triggers, schedule_finding
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected
from cicd_acceptance.workflows.model import Trigger

__all__ = ["RULE"]

ID = "build-triggers"
WANTED = ("push", "workflow_dispatch")
PROBE_BRANCH = "acceptance-probe/not-default"
PROBE_TAG = "refs/tags/v0.0.0-acceptance-probe"
_MAX_WORKFLOWS = 200
_MAX_WORKFLOW_BYTES = 1024 * 1024


def _pushes(ctx: CheckContext, event: str, branch: str | None = None) -> bool:
    """True unless every image entry provably does not push (an unknown ``push:`` counts as pushing)."""
    return any(entry.push is not False for entry in ctx.publication(event, branch).entries)


def _other_refs(ctx: CheckContext, path: str, push: Trigger) -> list[Finding]:
    """A push trigger that also admits other branches or tags publishes from them, unless the build says no."""
    findings = []
    for ref, what in ((f"refs/heads/{PROBE_BRANCH}", "other branches"), (PROBE_TAG, "tags")):
        if push.admits_ref(ref) and _pushes(ctx, "push", ref):
            findings.append(Finding(path, push.line, 0, ID, expected(
                f"pushes to '{ctx.plan.default_branch}' only to publish",
                f"a push trigger that also publishes from {what}")))
    return findings


def _called_here(ctx: CheckContext) -> bool:
    """Whether another workflow of the repository calls the build workflow (an unreadable one may: True)."""
    wanted = f"./{ctx.plan.build_workflow}"
    folder = ctx.repo_dir / ".github" / "workflows"
    candidates = sorted(folder.glob("*.y*ml"))[:_MAX_WORKFLOWS] if folder.is_dir() else []
    for candidate in candidates:
        rel = candidate.relative_to(ctx.repo_dir).as_posix()
        if rel == ctx.plan.build_workflow:
            continue
        try:
            if wanted in read_target_text(ctx.repo_dir, rel, max_bytes=_MAX_WORKFLOW_BYTES):
                return True
        except WorkflowLoadError:
            return True
    return False


def _other_trigger(ctx: CheckContext, path: str, trigger: Trigger) -> list[Finding]:
    if trigger.event == "schedule":
        return [schedule_finding(path, trigger, ID)]
    if trigger.event == "workflow_call" and not _called_here(ctx):
        return []
    if _pushes(ctx, trigger.event):
        return [Finding(path, trigger.line, 0, ID, expected(
            f"no publishing on '{trigger.event}' (only push to '{ctx.plan.default_branch}' and workflow_dispatch)",
            f"'{trigger.event}' pushes images"))]
    return []


def _filters(push: Trigger) -> str:
    """The push trigger's ref filters as written (``branches: [develop]``, ``tags: ['v*']``...)."""
    parts = [f"{name}: [{', '.join(values)}]" for name, values in (
        ("branches", push.branches), ("branches-ignore", push.branches_ignore), ("tags", push.tags),
        ("tags-ignore", push.tags_ignore)) if values is not None]
    return "; ".join(parts) or "no branch filter"


def _check(ctx: CheckContext) -> list[Finding]:
    workflow = ctx.build()
    branch = ctx.plan.default_branch
    on_line = workflow.node.key_line("on")
    findings: list[Finding] = []
    for event in WANTED:
        if event not in workflow.triggers:
            findings.append(Finding(workflow.path, on_line, 0, ID,
                                    expected(f"a '{event}' trigger", describe_triggers(workflow))))
    push = workflow.triggers.get("push")
    if push is not None and not push.admits_branch(branch):
        findings.append(Finding(workflow.path, push.line, 0, ID,
                                expected(f"the push filters to admit '{branch}'", _filters(push))))
    elif push is not None:
        findings += _other_refs(ctx, workflow.path, push)
    for trigger in workflow.triggers.values():
        if trigger.event not in WANTED:
            findings += _other_trigger(ctx, workflow.path, trigger)
    return findings


RULE = Rule(ID, "it runs on pushes to the default branch and on manual dispatch, and nothing else publishes", _check)
