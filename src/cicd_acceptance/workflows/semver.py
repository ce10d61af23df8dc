"""``type=semver`` of docker/metadata-action: a git tag read as semantic version, rendered through a pattern.

``{{raw}}``, ``{{version}}``, ``{{major}}``, ``{{minor}}``, ``{{patch}}``; a pre-release only ever renders as
``{{version}}`` (or ``{{raw}}``), and only a final release makes ``latest=auto`` add ``latest``. A tag that is not
semver produces nothing, as in the action.
"""

from __future__ import annotations

import re

__all__ = ["semver_tag"]

_SEMVER = re.compile(
    r"v?(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<pre>[0-9A-Za-z.-]+))?(?:\+(?P<build>[0-9A-Za-z.-]+))?",
)
_FIELD = re.compile(r"\{\{\s*(raw|version|major|minor|patch)\s*\}\}")


def semver_tag(tag: str, pattern: str) -> tuple[str, bool] | None:
    """``("1.2", True)`` for ``v1.2.3`` and ``{{major}}.{{minor}}``; ``None`` when ``tag`` is not semver."""
    match = _SEMVER.fullmatch(tag.strip())
    if match is None:
        return None
    version = f"{match['major']}.{match['minor']}.{match['patch']}" + (f"-{match['pre']}" if match["pre"] else "")
    fields = {"raw": tag.strip(), "version": version, "major": match["major"], "minor": match["minor"],
              "patch": match["patch"]}
    pattern = pattern or "{{version}}"
    if match["pre"] and "{{raw}}" not in pattern.replace(" ", ""):
        pattern = "{{version}}"  # pre-releases never get the short major/minor tags
    rendered = _FIELD.sub(lambda found: fields[found.group(1)], pattern)
    return rendered.replace("+", "-"), not match["pre"]
