"""Workflow triggers (``on:``) in all three YAML forms, and GitHub's branch/tag filter matching.

``on: push``, ``on: [push, pull_request]`` and ``on: {push: {branches: [main]}, workflow_dispatch: }`` all become
``dict[event, Trigger]``. Filters keep the difference between *absent* (``None``: everything matches) and *empty*.
Filter patterns follow GitHub's glob syntax: ``*`` stops at ``/``, ``**`` does not, ``?``/``+`` repeat the previous
character, ``[...]`` is a class, and a leading ``!`` in ``branches``/``tags`` re-excludes (the last match wins).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from cicd_acceptance.workflows.shapes import Shape
from cicd_acceptance.workflows.yamlnode import Node

__all__ = ["Trigger", "filter_matches", "parse_triggers"]


@dataclass(frozen=True)
class Trigger:
    """One event of ``on:``; ``node`` is the event's own value (``None`` for string/list forms or a bare key)."""

    event: str
    line: int
    branches: tuple[str, ...] | None = None
    branches_ignore: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None
    tags_ignore: tuple[str, ...] | None = None
    paths: tuple[str, ...] | None = None
    paths_ignore: tuple[str, ...] | None = None
    types: tuple[str, ...] | None = None
    crons: tuple[str, ...] = ()
    inputs: dict[str, Node] = field(default_factory=dict)
    node: Node | None = None

    def admits_branch(self, branch: str) -> bool:
        """Whether a push/pull_request on ``branch`` passes this trigger's branch filters (paths aside)."""
        if self.branches is not None:
            return filter_matches(self.branches, branch)
        if self.branches_ignore is not None:
            return not filter_matches(self.branches_ignore, branch)
        # Only tag filters: GitHub then runs for matching tags only, never for branches.
        return self.tags is None and self.tags_ignore is None

    def admits_tag(self, tag: str) -> bool:
        """Whether a push of ``tag`` passes this trigger's tag filters."""
        if self.tags is not None:
            return filter_matches(self.tags, tag)
        if self.tags_ignore is not None:
            return not filter_matches(self.tags_ignore, tag)
        return self.branches is None and self.branches_ignore is None

    def admits_path(self, path: str) -> bool:
        """Whether a change to ``path`` passes this trigger's ``paths``/``paths-ignore`` filters."""
        if self.paths is not None:
            return filter_matches(self.paths, path)
        return self.paths_ignore is None or not filter_matches(self.paths_ignore, path)

    def admits_ref(self, ref: str) -> bool:
        """Whether a push of ``refs/heads/x`` or ``refs/tags/x`` passes the filters."""
        if ref.startswith("refs/tags/"):
            return self.admits_tag(ref.removeprefix("refs/tags/"))
        return self.admits_branch(ref.removeprefix("refs/heads/"))


def parse_triggers(node: Node | None, shape: Shape, *, line: int) -> dict[str, Trigger]:
    """``on:`` as a string, a list or a mapping -> ``{event: Trigger}`` (empty when ``on:`` is absent)."""
    if node is None:
        return {}
    if node.is_string:
        return {node.scalar_text(): Trigger(node.scalar_text(), node.line)}
    if node.is_sequence:
        return {event: Trigger(event, child.line)
                for child in node.elements() for event in [shape.text(child, "an event in 'on'")]}
    shape.mapping(node, "'on'")
    return {event: _parse_event(event, value, shape, node.key_line(event)) for event, value in node.items()}


def _parse_event(event: str, node: Node, shape: Shape, line: int) -> Trigger:
    if node.is_null:
        return Trigger(event, line, node=node)
    if event == "schedule":
        shape.sequence(node, "'on.schedule'")
        crons = tuple(shape.text(entry.get("cron") or entry, "'cron'") for entry in node.elements())
        return Trigger(event, line, crons=crons, node=node)
    shape.mapping(node, f"'on.{event}'")

    def names(key: str) -> tuple[str, ...] | None:
        return shape.optional_list(node.get(key), f"'on.{event}.{key}'")

    inputs = node.get("inputs")
    return Trigger(
        event, line, branches=names("branches"), branches_ignore=names("branches-ignore"), tags=names("tags"),
        tags_ignore=names("tags-ignore"), paths=names("paths"), paths_ignore=names("paths-ignore"),
        types=names("types"), inputs=shape.env(inputs, f"'on.{event}.inputs'") if inputs is not None else {},
        node=node,
    )


def filter_matches(patterns: tuple[str, ...], name: str) -> bool:
    """GitHub's ordered include/``!``exclude pattern list: the last pattern that matches decides."""
    matched = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if _glob(pattern[1:] if negated else pattern).fullmatch(name):
            matched = not negated
    return matched


@lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char in "?+" and out:
            out.append(char)  # GitHub: zero-or-one / one-or-more of the preceding character
        elif char == "[":
            end = pattern.find("]", i)
            out.append(pattern[i:end + 1] if end > i else re.escape(char))
            i = end if end > i else i
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out))
