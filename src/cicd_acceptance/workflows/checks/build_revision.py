"""Rule: every published image carries ``org.opencontainers.image.revision`` = the commit it was built from.

The live check reads that label on every platform of each image, so an image built without it is red on GHCR
whatever else is right. The label may come from docker/metadata-action's ``labels`` output passed to the build,
from an explicit ``labels:`` input (or ``--label`` of ``docker build``), or from a ``LABEL`` in the Dockerfile
(then a ``$VAR`` value must be given as a build argument). Each message names the source it looked at. A value
only a run can know (a step output, a shell variable) is undecided, not wrong.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.checks.finding import Finding, Rule, expected
from cicd_acceptance.workflows.checks.undecided import could_be_in, images_scenario
from cicd_acceptance.workflows.expressions import Unknown

if TYPE_CHECKING:
    from cicd_acceptance.workflows.publication import ImagePublication

__all__ = ["RULE", "dockerfile_revision"]

ID = "build-revision-label"
LABEL = "org.opencontainers.image.revision"
EVENTS = ("push", "workflow_dispatch")
MAX_DOCKERFILE = 1024 * 1024
_LABEL_VALUE = re.compile(re.escape(LABEL) + r"""\s*=\s*("[^"]*"|'[^']*'|\S+)""")


def dockerfile_revision(ctx: CheckContext, dockerfile: str) -> tuple[int, str] | None:
    """``(line, value)`` of the revision ``LABEL`` in ``dockerfile`` (None when it has none or is unreadable)."""
    if dockerfile.startswith(("/", "..")):
        return None
    path = ctx.repo_dir / dockerfile
    try:
        if not path.resolve().is_relative_to(ctx.repo_dir.resolve()) or not path.is_file():
            return None
        with path.open("rb") as handle:
            text = handle.read(MAX_DOCKERFILE).decode("utf-8", errors="replace")
    except OSError:
        return None
    joined: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if joined and joined[-1][1].endswith("\\"):
            joined[-1] = (joined[-1][0], joined[-1][1][:-1] + " " + line.strip())
        else:
            joined.append((number, line.strip()))
    for number, line in joined:
        if line.upper().startswith("LABEL ") and (match := _LABEL_VALUE.search(line)):
            return number, match.group(1).strip("\"'")
    return None


def _problem(ctx: CheckContext, entry: ImagePublication) -> tuple[str, bool] | None:
    """``(what was found, undecided)`` when ``entry``'s image may lack the right label; None when it has it."""
    sha = ctx.target.head_sha
    value = entry.labels.get(LABEL)
    source = entry.labels_from or "the build's labels"
    if isinstance(value, Unknown):
        return f"{LABEL}={value} from {source}", True
    if value is not None:
        return (None if value == sha else (f"{LABEL}={value or '(empty)'} from {source}", False))
    if isinstance(entry.dockerfile, Unknown):
        return f"no {LABEL} in the build's labels, and the Dockerfile is known only at run time", True
    found = dockerfile_revision(ctx, entry.dockerfile)
    if found is None:
        where = f"labels from {entry.labels_from}" if entry.labels_from else "no labels on the build"
        return f"no {LABEL} ({where}, no LABEL in {entry.dockerfile})", False
    line, label = found
    if "$" in label:
        name = label.strip("${}").split(":")[0]
        given = entry.build_args.get(name)
        if given is None:
            return f"{entry.dockerfile}:{line} LABEL {LABEL}={label} without a build argument {name}", False
        if isinstance(given, Unknown):
            return f"{entry.dockerfile}:{line} LABEL {LABEL}={label} with {name}={given}", True
        return None if given == sha else (f"{entry.dockerfile}:{line} LABEL {LABEL}={label} with {name}={given}",
                                          False)
    return None if label == sha else (f"{entry.dockerfile}:{line} LABEL {LABEL}={label}", False)


def _check(ctx: CheckContext) -> list[Finding]:
    seen: dict[tuple[str, int, str, bool, str], list[str]] = {}
    for event in EVENTS:
        for entry in ctx.publication(event).entries:
            if entry.push is False or entry.via.endswith("imagetools create"):
                continue  # a merge step publishes what the by-digest builds labelled: those are checked
            if not could_be_in(entry.image, ctx.plan.registry):
                continue  # a copy in another registry is not the plan's concern (nor checked live)
            problem = _problem(ctx, entry)
            if problem is not None:
                found, open_ = problem
                line = entry.labels_line if LABEL in entry.labels and entry.labels_line else entry.line
                key = (entry.path or ctx.build().path, line, f"{entry.image}: {found}", open_, str(entry.image))
                seen.setdefault(key, [])
                if event not in seen[key]:
                    seen[key].append(event)
    return [Finding(path, line, 0, ID, expected(
        f"{LABEL} = the commit on every published image on {' and '.join(events)} (metadata-action's labels "
        f"output, a labels: input or a LABEL in the Dockerfile)", found), undecided=open_,
        settled_by=images_scenario(ctx, image) if open_ else "")
        for (path, line, found, open_, image), events in seen.items()]


RULE = Rule(ID, "every image it publishes carries the commit as its revision label", _check)
