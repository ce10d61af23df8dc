"""build-publication: what the build would publish equals the plan's images and tags.

For a push and a manual dispatch on the default branch: exactly the plan's images
(``ghcr.io/<owner>/<repo>-<service>``, lowercase), each tagged ``sha-<short sha>`` (or the long form) and
``latest``; other tags may be added (the ExecPlan says the tags "will include" those two). For a manual dispatch
on another branch: no image is tagged ``latest``. A problem seen for both default-branch events is reported once.
"""

from __future__ import annotations

import re

from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected

__all__ = ["RULE"]

ID = "build-publication"
OTHER_BRANCH = "feature/acceptance-probe"
EVENTS = ("push", "workflow_dispatch")

_TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")  # the OCI distribution tag grammar

# (line, what was expected, what was found) -> the events it was seen for
_Problems = dict[tuple[int, str, str], list[str]]


def _images(ctx: CheckContext, event: str, problems: _Problems) -> None:
    entries = ctx.publication(event).entries
    wanted = sorted({ctx.plan.image_for(service, ctx.target.repository) for service in ctx.plan.services})
    found = sorted({str(entry.image) for entry in entries})
    if found != wanted:
        line = min((entry.line for entry in entries), default=ctx.build().node.key_line("jobs"))
        key = (line, f"exactly the images {', '.join(wanted)}", ", ".join(found) or "no images")
        problems.setdefault(key, []).append(event)


def _tags(ctx: CheckContext, event: str, problems: _Problems) -> None:
    short, long = ctx.plan.sha_tags(ctx.target.head_sha)
    latest = ctx.plan.latest_tag
    for entry in ctx.publication(event).entries:
        tags = {str(tag) for tag in entry.tags}
        shown = f"{entry.image} tags: {', '.join(sorted(tags)) or 'none'}"
        missing = ([f"{ctx.plan.sha_tag_prefix}<sha>"] if not tags & {short, long} else [])
        missing += [latest] if latest not in tags else []
        if missing:
            key = (entry.line, f"{entry.image} tagged {' and '.join(missing)}", shown)
            problems.setdefault(key, []).append(event)
        invalid = sorted(str(tag) for tag in entry.tags if isinstance(tag, str) and not _TAG_RE.fullmatch(tag))
        if invalid:  # the push would fail: no registry takes such a tag, so it is not a publication
            key = (entry.line, f"{entry.image} tags a registry accepts ([A-Za-z0-9_][A-Za-z0-9._-], 1-128 characters)",
                   ", ".join(_shorten(tag) for tag in invalid))
            problems.setdefault(key, []).append(event)


def _shorten(tag: str) -> str:
    return repr(tag) if len(tag) <= 60 else f"{tag[:40]!r}... ({len(tag)} characters)"


def _no_latest_elsewhere(ctx: CheckContext) -> list[Finding]:
    latest = ctx.plan.latest_tag
    entries = [entry for entry in ctx.publication("workflow_dispatch", OTHER_BRANCH).entries
               if entry.push is not False and latest in {str(tag) for tag in entry.tags}]
    if not entries:
        return []
    images = ", ".join(sorted({str(entry.image) for entry in entries}))
    return [Finding(ctx.build().path, entries[0].line, 0, ID, expected(
        f"no '{latest}' tag from a workflow_dispatch on another branch",
        f"'{latest}' pushed from '{OTHER_BRANCH}' for {images}"))]


def _check(ctx: CheckContext) -> list[Finding]:
    problems: _Problems = {}
    for event in EVENTS:
        _images(ctx, event, problems)
        _tags(ctx, event, problems)
    path = ctx.build().path
    findings = [Finding(path, line, 0, ID, expected(f"{what} on {' and '.join(events)}", found))
                for (line, what, found), events in problems.items()]
    return findings + _no_latest_elsewhere(ctx)


RULE = Rule(ID, "it publishes the plan's images and tags, and latest only from the default branch", _check)
