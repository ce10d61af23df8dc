"""What ``docker/metadata-action`` would output for an event, following its README (v5).

* ``images``: one per line (or CSV), plain or ``name=...,enable=...``; names are lowercased.
* ``tags``: one entry per line, CSV attributes; a bare value is ``type=raw``. Without ``tags`` the defaults are
  ``type=schedule``, ``type=ref,event=branch``, ``type=ref,event=tag``, ``type=ref,event=pr``.
  ``type=sha`` (prefix ``sha-``, ``format=short`` = 7 characters or ``DOCKER_METADATA_SHORT_SHA_LENGTH``, ``long``),
  ``type=raw``, ``type=ref`` (branch with ``/`` -> ``-``, tag, ``pr-<n>``), ``type=semver`` (tag pushes only),
  ``type=schedule`` (``nightly``), ``type=edge`` (default branch only); ``enable=``, ``prefix=``, ``suffix=``,
  ``priority=`` (higher first; defaults schedule 1000, semver 900, match 800, edge 700, ref 600, raw 200, sha 100).
* global expressions ``{{branch}}``, ``{{tag}}``, ``{{sha}}``, ``{{base_ref}}``, ``{{is_default_branch}}``;
  ``{{date ...}}``/``{{commit_date ...}}`` depend on the clock and stay unknown.
* ``flavor``: ``latest=auto`` adds ``latest`` when the highest-priority entry that yields a tag is
  ``type=ref,event=tag``, a final-release ``type=semver`` or ``type=match``: never for a branch push.
  ``prefix=``/``suffix=`` apply to entries without their own (``type=sha`` has ``sha-``, ``event=pr`` has ``pr-``).
* every tag is sanitized (runs of characters outside ``[a-zA-Z0-9._-]`` become ``-``), image names lowercased.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cicd_acceptance.workflows.event import BuildEvent
from cicd_acceptance.workflows.expressions import ExprContext, Unknown
from cicd_acceptance.workflows.listinput import input_text, is_unknown_text, parse_attributes, split_items
from cicd_acceptance.workflows.model import Step
from cicd_acceptance.workflows.semver import semver_tag

__all__ = ["MetadataResult", "compute_metadata"]

DEFAULT_TAGS = "type=schedule\ntype=ref,event=branch\ntype=ref,event=tag\ntype=ref,event=pr"
_PRIORITY = {"schedule": 1000, "semver": 900, "pep440": 900, "match": 800, "edge": 700, "ref": 600, "raw": 200,
             "sha": 100}
_DEFAULT_PREFIX = {"sha": "sha-"}
_INVALID_TAG_CHARS = re.compile(r"[^a-zA-Z0-9._-]+")
_GLOBAL = re.compile(r"(?<!\$)\{\{\s*([a-z_]+)([^}]*)\}\}")

Value = str | Unknown


@dataclass(frozen=True)
class MetadataResult:
    """Outputs of one metadata-action step: ``tags`` are full references, ``versions`` the bare tags."""

    step_id: str | None
    line: int
    images: tuple[Value, ...]
    versions: tuple[Value, ...]
    tags: tuple[Value, ...]
    labels: dict[str, Value]
    notes: tuple[str, ...] = field(default=())


@dataclass
class _Version:
    value: Value
    priority: int
    latest: bool  # this entry makes latest=auto add "latest"


class _Metadata:
    def __init__(self, step: Step, event: BuildEvent, ctx: ExprContext) -> None:
        self.step = step
        self.event = event
        self.ctx = ctx
        self.notes: list[str] = []

    def text(self, key: str) -> str | None:
        return input_text(self.step.with_.get(key), self.ctx)

    def env_text(self, name: str) -> str | None:
        node = self.step.env.get(name)
        value = self.ctx.env.get(name) if node is None else input_text(node, self.ctx)
        return None if value is None or isinstance(value, Unknown) else str(value)

    def glob(self, text: str) -> Value:
        """Substitute metadata-action's ``{{...}}`` global expressions."""
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            known = {
                "branch": self.event.branch or "",
                "tag": self.event.tag or "",
                "sha": self.event.short_sha(self.sha_length()),
                "base_ref": "",
                "is_default_branch": "true" if self.event.is_default_branch else "false",
            }
            return known[name] if name in known else "${{ " + match.group(0).strip("{}") + " }}"
        rendered = _GLOBAL.sub(one, text)
        return Unknown(rendered, template=True) if is_unknown_text(rendered) else rendered

    def sha_length(self) -> int:
        raw = self.env_text("DOCKER_METADATA_SHORT_SHA_LENGTH")
        return int(raw) if raw is not None and raw.strip().isdigit() else 7


def compute_metadata(step: Step, event: BuildEvent, ctx: ExprContext) -> MetadataResult:
    """The tags, images and labels ``step`` (a docker/metadata-action step) would output for ``event``."""
    meta = _Metadata(step, event, ctx)
    images = _images(meta)
    latest_mode, prefix, suffix, on_latest = _flavor(meta)
    versions: list[_Version] = []
    for entry in split_items(meta.text("tags") or DEFAULT_TAGS, commas=False):
        version = _tag_entry(meta, entry, prefix, suffix)
        if version is not None:
            versions.append(version)
    versions.sort(key=lambda version: -version.priority)  # stable: equal priorities keep their order
    ordered = _dedupe([version.value for version in versions])
    # As in the action, the first (highest-priority) entry that yields a tag decides latest=auto.
    add_latest = latest_mode == "true" or (latest_mode == "auto" and bool(versions) and versions[0].latest)
    if ordered and add_latest:
        ordered.append(_sanitize(f"{prefix if on_latest[0] else ''}latest{suffix if on_latest[1] else ''}"))
    tags = [_reference(image, version) for image in images for version in ordered] if images else list(ordered)
    return MetadataResult(step.id, step.line, tuple(images), tuple(ordered), tuple(_dedupe(tags)),
                          _labels(meta, ordered), tuple(meta.notes))


def _images(meta: _Metadata) -> list[Value]:
    entries = split_items(meta.text("images") or "", commas=False)
    images: list[Value] = []
    if len(entries) == 1 and all(value is None for _, value in parse_attributes(entries[0])):
        images = [_image_name(name) for name, _ in parse_attributes(entries[0]) if name]  # the old CSV form
    else:
        for entry in entries:
            pairs = parse_attributes(entry)
            attrs = {key: value or "" for key, value in pairs if value is not None}
            name = attrs.get("name") or next((key for key, value in pairs if value is None), "")
            enable = attrs.get("enable", "true")
            if is_unknown_text(enable):
                meta.notes.append(f"image {name!r}: enable={enable} is not known statically")
            elif enable.strip().lower() != "true":
                continue
            if name:
                images.append(_image_name(name))
    if not images:
        meta.notes.append(f"metadata-action step at line {meta.step.line} has no images: tags have no image name")
    return images


def _image_name(name: str) -> Value:
    # Lowercased as metadata-action does; an unknown part keeps its ${{ }} text as written.
    if is_unknown_text(name):
        return Unknown(_lower_outside_expressions(name), template=True)
    return name.lower()


def _lower_outside_expressions(text: str) -> str:
    parts = re.split(r"(\$\{\{.*?\}\})", text)
    return "".join(part if part.startswith("${{") else part.lower() for part in parts)


def _flavor(meta: _Metadata) -> tuple[str, str, str, tuple[bool, bool]]:
    latest, prefix, suffix = "auto", "", ""
    on_latest = [False, False]
    for entry in split_items(meta.text("flavor") or "", commas=False):
        attrs = dict(parse_attributes(entry))
        if "latest" in attrs:
            latest = (attrs["latest"] or "auto").lower()
        if "prefix" in attrs:
            prefix = attrs["prefix"] or ""
            on_latest[0] = (attrs.get("onlatest") or "false").lower() == "true"
        if "suffix" in attrs:
            suffix = attrs["suffix"] or ""
            on_latest[1] = (attrs.get("onlatest") or "false").lower() == "true"
    return latest, prefix, suffix, (on_latest[0], on_latest[1])


def _tag_entry(meta: _Metadata, entry: str, flavor_prefix: str, flavor_suffix: str) -> _Version | None:
    pairs = parse_attributes(entry)
    attrs = {key: value for key, value in pairs if value is not None}
    bare = [key for key, value in pairs if value is None]
    kind = attrs.get("type", "raw").lower()
    if kind == "raw" and "value" not in attrs and bare:
        attrs["value"] = bare[0]  # `type=raw,foo` and plain `foo`
    enable = meta.glob(attrs.get("enable", "true"))
    if not isinstance(enable, Unknown) and enable.strip().lower() == "false":
        return None
    produced = _type_value(meta, kind, attrs)
    if produced is None:
        return None
    value, makes_latest = produced
    default_prefix = "pr-" if kind == "ref" and attrs.get("event", "").lower() == "pr" else flavor_prefix
    prefix = attrs.get("prefix", _DEFAULT_PREFIX.get(kind, default_prefix))
    suffix = attrs.get("suffix", flavor_suffix)
    full = _sanitize(_join(meta.glob(prefix), value, meta.glob(suffix)))
    if full == "":
        return None  # the action drops empty values
    if isinstance(enable, Unknown):
        full = Unknown(f"{full} (if {enable})", template=True)
    priority = int(attrs["priority"]) if attrs.get("priority", "").isdigit() else _PRIORITY.get(kind, 0)
    return _Version(full, priority, makes_latest)


def _type_value(meta: _Metadata, kind: str, attrs: dict[str, str]) -> tuple[Value, bool] | None:
    event = meta.event
    if kind == "sha":
        length = 40 if attrs.get("format", "short").lower() == "long" else meta.sha_length()
        return event.short_sha(length), False
    if kind == "raw":
        return meta.glob(attrs.get("value", "")), False
    if kind == "ref":
        return _ref_value(event, attrs.get("event", "").lower())
    if kind == "schedule":
        return (meta.glob(attrs.get("pattern", "nightly")), False) if event.event_name == "schedule" else None
    if kind == "edge":
        edge_branch = attrs.get("branch", event.default_branch)
        return ("edge", False) if event.branch is not None and event.branch == edge_branch else None
    if kind == "semver":
        source = attrs.get("value") or event.tag
        if source is None:
            return None  # never on a branch: semver needs a git tag (or an explicit value=)
        result = semver_tag(source, attrs.get("pattern", ""))
        return None if result is None else (result[0], result[1])
    if kind == "match":
        return _match_value(meta, attrs)
    meta.notes.append(f"metadata-action tag type {kind!r} is not evaluated statically")
    return Unknown(f"type={kind}", template=True), False


def _match_value(meta: _Metadata, attrs: dict[str, str]) -> tuple[Value, bool] | None:
    """``type=match,pattern=v(.*),group=1``: a regex over the git tag (or ``value=``); latest=auto tags latest."""
    source = attrs.get("value") or meta.event.tag
    if source is None:
        return None
    pattern = attrs.get("pattern", "")
    regex = pattern[1:pattern.rfind("/")] if pattern.startswith("/") and pattern.count("/") >= 2 else pattern
    try:
        found = re.search(regex, source)
    except re.error:
        meta.notes.append(f"type=match pattern {pattern!r} is not a regular expression Python reads")
        return Unknown(f"type=match,pattern={pattern}", template=True), False
    group = attrs.get("group", "0")
    if found is None or not group.isdigit() or int(group) > (found.re.groups or 0):
        return None
    return found.group(int(group)) or "", True


def _ref_value(event: BuildEvent, which: str) -> tuple[Value, bool] | None:
    if which == "branch" and event.branch is not None:
        return event.branch, False
    if which == "tag" and event.tag is not None:
        return event.tag, True
    if which == "pr" and event.pr_number is not None:
        return event.pr_number, False  # the entry's default prefix makes it pr-<n>
    return None


def _sanitize(value: Value) -> Value:
    return value if isinstance(value, Unknown) else _INVALID_TAG_CHARS.sub("-", value)


def _join(*parts: Value) -> Value:
    text = "".join(part.display() if isinstance(part, Unknown) else part for part in parts)
    return Unknown(text, template=True) if any(isinstance(part, Unknown) for part in parts) else text


def _reference(image: Value, version: Value) -> Value:
    return _join(image, ":", version)


def _dedupe(values: list[Value]) -> list[Value]:
    seen: list[Value] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def _labels(meta: _Metadata, versions: list[Value]) -> dict[str, Value]:
    """The OCI labels the action sets, custom ``labels:`` overriding them, sorted by key like the action."""
    event = meta.event
    url = f"https://github.com/{event.repository}"
    labels: dict[str, Value] = {
        "org.opencontainers.image.title": event.name,
        "org.opencontainers.image.description": Unknown("github.event.repository.description"),
        "org.opencontainers.image.url": url,
        "org.opencontainers.image.source": url,
        "org.opencontainers.image.version": versions[0] if versions else "",
        "org.opencontainers.image.created": Unknown("<the build time>", template=True),
        "org.opencontainers.image.revision": event.sha,
        "org.opencontainers.image.licenses": Unknown("github.event.repository.license.spdx_id"),
    }
    for entry in split_items(meta.text("labels") or "", commas=False):
        key, sep, value = entry.partition("=")
        if sep:
            labels[key.strip()] = meta.glob(value.strip())
    return dict(sorted(labels.items()))
