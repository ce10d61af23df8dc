"""Three-valued comparisons: a value only a run can know is *undecided*, never a mismatch and never a match.

An :class:`Unknown` template such as ``ghcr.io/acme/${{ needs.prep.outputs.prefix }}-api`` could still be the
expected value when its known parts fit; then the comparison is undecided, and the finding names the live scenario
that settles it. When even the known parts cannot fit, it is a plain mismatch.
"""

from __future__ import annotations

import re

from cicd_acceptance.workflows.checks.context import CheckContext
from cicd_acceptance.workflows.expressions import Unknown

__all__ = ["RUN_SCENARIO", "could_be", "could_be_in", "images_scenario", "shown"]

IMAGES_SCENARIO = "The {service} image is published for the pinned commit"
RUN_SCENARIO = "live: 'The dispatched build run is found and completes green with every service built'"
_HOLE = re.compile(r"\$\{\{.*?\}\}|\$\([^)]*\)?|\$\{[^}]*\}?|\$[A-Za-z_][A-Za-z0-9_]*|`[^`]*`?", re.DOTALL)
MAX_TEXT = 2000
_DOCKER_HUB = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
MAX_HOLES = 8


def could_be(value: str | Unknown, wanted: str) -> bool:
    """Whether ``value`` is ``wanted`` (known) or could turn out to be it at run time (unknown)."""
    if not isinstance(value, Unknown):
        return value == wanted
    text = str(value)[:MAX_TEXT]
    pieces = _HOLE.split(text)
    if len(pieces) == 1 or len(pieces) > MAX_HOLES:
        return True  # nothing known about it at all (or too many holes to match in bounded time: undecided)
    pattern = ".*".join(re.escape(piece) for piece in pieces)
    return re.fullmatch(pattern, wanted, re.DOTALL | re.IGNORECASE) is not None


def could_be_in(image: str | Unknown, registry: str) -> bool:
    """Whether ``image`` is (or could turn out to be) in ``registry``. Docker reads the first part of a reference
    as a registry when it has a ``.`` or ``:`` or is ``localhost``; otherwise the image is on Docker Hub
    (``acme/api`` is ``docker.io/acme/api``). An image in another registry is not the plan's concern."""
    text = str(image)[:MAX_TEXT].strip()
    first, slash, _ = text.partition("/")
    if isinstance(image, Unknown) and (not slash or _HOLE.search(first) or any(c.isspace() for c in first)):
        return True  # the registry part itself is only known at run time (or a tool's own configuration names it)
    host = first if slash and ("." in first or ":" in first or first == "localhost") else "docker.io"
    return _host(host) == _host(registry)


def _host(registry: str) -> str:
    host = registry.lower()
    return "docker.io" if host in _DOCKER_HUB else host


def shown(value: str | Unknown) -> str:
    """A value as written in a message (an unknown shows its original text, once)."""
    return str(value)


def images_scenario(ctx: CheckContext, image: str | Unknown | None = None) -> str:
    """The live scenarios that settle a fact about ``image``: the one of its service when the image can be told
    apart, else those of every service of the plan."""
    services = ctx.plan.services
    if image is not None:
        matching = [service for service in services
                    if could_be(image, ctx.plan.image_for(service, ctx.target.repository))]
        services = tuple(matching) or services
    return "live: " + ", ".join(f"'{IMAGES_SCENARIO.format(service=service)}'" for service in services)
