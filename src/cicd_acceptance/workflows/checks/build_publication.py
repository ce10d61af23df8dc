"""Rule: the build publishes exactly the plan's images, tagged ``sha-<sha>`` and ``latest`` on the default branch,
and never ``latest`` from another branch.

The commit tag may be spelt as projects spell it (:mod:`cicd_acceptance.committags`): any tag holding 7 or more of
the commit's leading hex digits as a run of its own (``sha-0123abc``, ``0123abc``, ``sha-0123abcdef01``, the whole
SHA, ``git-0123abc-amd64``). A tag only a run can know may be it when it could be one of the spellings the live
check looks for.

Only images in the plan's registry count: a mirror on Docker Hub is not the plan's concern. Checked on the
publication plan of a push to the default branch and of a dispatch there (plus a dispatch on another
branch for ``latest``). An event that does not run the workflow is left to ``build-triggers``. Tags are gathered
per image across the steps that publish it (a build pushed by digest gets its tags from the merge step's
``docker buildx imagetools create``). A value only a run can know is undecided, never a mismatch.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cicd_acceptance.committags import MIN_HEX, commit_tag_form
from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected
from cicd_acceptance.workflows.checks.undecided import could_be, could_be_in, images_scenario
from cicd_acceptance.workflows.expressions import Unknown

if TYPE_CHECKING:
    from cicd_acceptance.workflows.publication import ImagePublication

__all__ = ["RULE"]

ID = "build-publication"
OTHER_BRANCH = "feature/acceptance-probe"
EVENTS = ("push", "workflow_dispatch")

_TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")  # the OCI distribution tag grammar

# (path, line, what was expected, what was found, undecided, the image or '') -> the events it was seen for
_Problems = dict[tuple[str, int, str, str, bool, str], list[str]]


def _where(ctx: CheckContext, entry: ImagePublication) -> str:
    return entry.path or ctx.build().path


def _wanted(ctx: CheckContext) -> list[str]:
    return sorted({ctx.plan.image_for(service, ctx.target.repository) for service in ctx.plan.services})


def _considered(ctx: CheckContext, event: str) -> list[ImagePublication]:
    """The entries that speak for the plan's images: a local build of another image (a test image loaded with
    ``load: true``) publishes nothing; a ``push: false`` build of a plan image is build-push's finding; a copy
    pushed to another registry (Docker Hub, a cloud registry) is not the plan's concern."""
    wanted = _wanted(ctx)
    return [entry for entry in ctx.publication(event).entries
            if (entry.push is not False or any(could_be(entry.image, image) for image in wanted))
            and could_be_in(entry.image, ctx.plan.registry)]


def _images(ctx: CheckContext, event: str, problems: _Problems) -> None:
    entries = _considered(ctx, event)
    wanted = _wanted(ctx)
    known = sorted({entry.image for entry in entries if isinstance(entry.image, str)})
    unknown = [entry for entry in entries if isinstance(entry.image, Unknown)]
    foreign = [entry for entry in unknown if not any(could_be(entry.image, image) for image in wanted)]
    missing = [image for image in wanted if image not in known]
    open_ = missing and all(any(could_be(entry.image, image) for entry in unknown) for image in missing)
    elsewhere = [entry for entry in ctx.publication(event).entries
                 if entry.push is not False and not could_be_in(entry.image, ctx.plan.registry)]
    found = ", ".join(dict.fromkeys([*known, *(str(entry.image) for entry in unknown)])) or (
        f"no images in {ctx.plan.registry} (only {', '.join(dict.fromkeys(str(e.image) for e in elsewhere))})"
        if elsewhere else "no images")
    what = f"exactly the images {', '.join(wanted)}"
    first = min(entries or elsewhere, key=lambda entry: entry.line, default=None)
    path, line = (_where(ctx, first), first.line) if first else (ctx.build().path, ctx.build().node.key_line("jobs"))
    if set(known) - set(wanted) or foreign or (missing and not open_):
        problems.setdefault((path, line, what, found, False, ""), []).append(event)
    elif open_:
        entry = next(entry for entry in unknown)
        problems.setdefault((_where(ctx, entry), entry.line, what, found, True, ""), []).append(event)


def _tags(ctx: CheckContext, event: str, problems: _Problems) -> None:
    sha = ctx.target.head_sha
    spellings = ctx.plan.sha_tags(sha)  # what the live check looks for when a tag cannot be computed offline
    latest = ctx.plan.latest_tag
    by_image: dict[str, list[ImagePublication]] = {}
    for entry in _considered(ctx, event):
        by_image.setdefault(str(entry.image), []).append(entry)
    for image, entries in by_image.items():
        tagging = [entry for entry in entries if not entry.by_digest]
        first = (tagging or entries)[0]
        tags = list(dict.fromkeys(tag for entry in tagging for tag in entry.tags))
        known = {tag for tag in tags if isinstance(tag, str)}
        unknown = [tag for tag in tags if isinstance(tag, Unknown)]
        uncomputed = any(entry.uncomputed for entry in tagging)  # the tool's own configuration names the tags
        shown = ", ".join(sorted(str(tag) for tag in tags)) or (
            "only a digest (push-by-digest) and no tags" if entries and not tagging else
            f"what {first.via} decides" if uncomputed else "none")
        missing: list[str] = []
        open_: list[str] = []
        commit = f"{ctx.plan.sha_tag_prefix}<sha> (a tag holding {MIN_HEX}+ leading hex digits of the commit)"
        present = {commit: any(commit_tag_form(tag, sha) is not None for tag in known), latest: latest in known}
        for label, candidates in ((commit, spellings), (latest, (latest,))):
            if present[label]:
                continue
            # One unknown tag can turn out to be one of the wanted tags, not two.
            if uncomputed or (len(open_) < len(unknown) and any(could_be(tag, candidate) for tag in unknown
                                                                for candidate in candidates)):
                open_.append(label)
            else:
                missing.append(label)
        if missing:
            key = (_where(ctx, first), first.line, f"{image} tagged {' and '.join(missing)}", f"{image} tags: {shown}",
                   False, image)
            problems.setdefault(key, []).append(event)
        elif open_:
            key = (_where(ctx, first), first.line, f"{image} tagged {' and '.join(open_)}", f"{image} tags: {shown}",
                   True, image)
            problems.setdefault(key, []).append(event)
        invalid = sorted(str(tag) for tag in known if not _TAG_RE.fullmatch(tag))
        if invalid:  # the push would fail: no registry takes such a tag, so it is not a publication
            key = (_where(ctx, first), first.line,
                   f"{image} tags a registry accepts ([A-Za-z0-9_][A-Za-z0-9._-], 1-128 characters)",
                   ", ".join(_shorten(tag) for tag in invalid), False, image)
            problems.setdefault(key, []).append(event)


def _shorten(tag: str) -> str:
    return repr(tag) if len(tag) <= 60 else f"{tag[:40]!r}... ({len(tag)} characters)"


def _no_latest_elsewhere(ctx: CheckContext) -> list[Finding]:
    latest = ctx.plan.latest_tag
    entries = [entry for entry in ctx.publication("workflow_dispatch", OTHER_BRANCH).entries
               if entry.push is not False and (latest in {str(tag) for tag in entry.tags} or entry.uncomputed)
               and could_be_in(entry.image, ctx.plan.registry)]
    findings = []
    # A push whose own condition only a run can decide (a step `if:` on an output, a shell `if`) is undecided.
    # So is what a tool pushes from its own configuration (a bake file, .goreleaser.yaml...).
    for open_, group in ((False, [e for e in entries if e.condition is None and not e.uncomputed]),
                         (True, [e for e in entries if e.condition is not None or e.uncomputed])):
        if not group:
            continue
        images = ", ".join(sorted({str(entry.image) for entry in group}))
        found = f"'{latest}' pushed from '{OTHER_BRANCH}' for {images}"
        if open_:
            found += f" if {group[0].condition}" if group[0].condition is not None else " if it tags latest"
        findings.append(Finding(_where(ctx, group[0]), group[0].line, 0, ID, expected(
            f"no '{latest}' tag from a workflow_dispatch on another branch", found), undecided=open_,
            settled_by=images_scenario(ctx, group[0].image) if open_ else ""))
    return findings


def _faults(ctx: CheckContext) -> list[Finding]:
    """A file the build's tool would refuse (a bake file that is not HCL or JSON): the build fails there."""
    faults = dict.fromkeys(fault for event in EVENTS if ctx.publication(event).runs
                           for fault in ctx.publication(event).faults)
    return [Finding(fault.path, fault.line or 0, 0, ID, expected("a bake file Bake can read", fault.message))
            for fault in faults]


def _check(ctx: CheckContext) -> list[Finding]:
    problems: _Problems = {}
    for event in EVENTS:
        if not ctx.publication(event).runs:
            continue  # build-triggers reports an event that does not run the workflow
        _images(ctx, event, problems)
        _tags(ctx, event, problems)
    findings = []
    for (path, line, what, found, open_, image), events in problems.items():
        message = expected(f"{what} on {' and '.join(events)}", found)
        findings.append(Finding(path, line, 0, ID, message, undecided=open_,
                                settled_by=images_scenario(ctx, image or None) if open_ else ""))
    return _faults(ctx) + findings + _no_latest_elsewhere(ctx)


RULE = Rule(ID, "it publishes the plan's images and tags, and latest only from the default branch", _check)
