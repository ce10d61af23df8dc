"""docker/metadata-action's inputs read as the action reads them (``src/tag.ts``, ``flavor.ts``, ``image.ts`` and
the toolkit's ``getInputList``): one entry a line, ``#`` comments, CSV fields with csv-parse's quoting rules.

A part of an input still written ``${{ ... }}`` (unknown statically) is kept as text: its commas and quotes are
not CSV syntax, and whatever it reaches becomes :class:`Unknown`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from cicd_acceptance.errors import HarnessError, WorkflowLoadError
from cicd_acceptance.workflows.expressions import Unknown, find_expressions

__all__ = ["DEFAULT_TAGS", "Flavor", "MetadataError", "MetadataLimit", "TagEntry", "csv_fields", "input_list",
           "js_number", "parse_flavor", "parse_images", "parse_tag", "unknown_text"]

Value = str | Unknown

DEFAULT_TAGS = "type=schedule\ntype=ref,event=branch\ntype=ref,event=tag\ntype=ref,event=pr"
_TYPES = ("schedule", "semver", "pep440", "match", "edge", "ref", "raw", "sha")
_PRIORITY = {"schedule": "1000", "semver": "900", "pep440": "900", "match": "800", "edge": "700", "ref": "600",
             "raw": "200", "sha": "100"}
_MAX_ENTRIES = 1000


class MetadataError(HarnessError):
    """docker/metadata-action itself would fail on these inputs (the step fails; nothing is tagged)."""


class MetadataLimit(MetadataError):
    """An input passed one of the harness's own bounds; what the action would do is not computed."""


def unknown_text(text: str) -> bool:
    return "${{" in text


def js_number(text: str) -> float:
    """JavaScript's ``Number(text)``."""
    stripped = text.strip(" \t\n\r\x0b\x0c\xa0\ufeff\u2028\u2029")
    if stripped == "":
        return 0.0
    if re.fullmatch(r"0[xX][0-9a-fA-F]+", stripped):
        return float(int(stripped[2:], 16))
    if re.fullmatch(r"0[oO][0-7]+", stripped):
        return float(int(stripped[2:], 8))
    if re.fullmatch(r"0[bB][01]+", stripped):
        return float(int(stripped[2:], 2))
    if re.fullmatch(r"[+-]?Infinity", stripped):
        return -math.inf if stripped.startswith("-") else math.inf
    if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", stripped):
        return float(stripped)
    return math.nan


def input_list(text: str, major: int) -> list[str]:
    """``Util.getInputList(name, {ignoreComma: true, comment: '#'})``: one entry a line, blank lines and ``#``
    comments dropped (v5 also cuts a ``#`` inside a line, as its CSV parser did; v6 only whole-line comments).

    The toolkit reads the whole input as CSV (quotes relaxed) and joins a line's fields again with ``,``: quotes
    around a field are gone before the entry itself is parsed, so ``type=raw,"value=a,b"`` reaches the tag parser as
    ``type=raw,value=a,b``."""
    protected = _protect(text)
    entries: list[str] = []
    offset = 0
    for line in protected.splitlines(keepends=True):
        start, offset = offset, offset + len(line)
        body = line.rstrip("\r\n")
        if body.startswith("#"):  # a comment starts the line itself (v5 also cuts one later in the line, below)
            continue
        if major < 6:
            body = _cut_comment(body)
        entry = text[start:start + len(body)].strip()
        if '"' in body:
            entry = ",".join(csv_fields(entry, relax_quotes=True)).strip()
        if entry:
            entries.append(entry)
        if len(entries) > _MAX_ENTRIES:
            raise MetadataLimit(f"more than {_MAX_ENTRIES} entries in one input")
    return entries


def _protect(text: str) -> str:
    """``text`` with every ``${{ ... }}`` replaced by NULs of the same length (positions stay the same)."""
    try:
        spans = find_expressions(text)
    except WorkflowLoadError:
        return text
    chars = list(text)
    for start, end, _ in spans:
        chars[start:end] = "\x00" * (end - start)
    return "".join(chars)


def _cut_comment(line: str) -> str:
    in_quotes = False
    for index, char in enumerate(line):
        if char == '"':
            in_quotes = not in_quotes
        elif char == "#" and not in_quotes:
            return line[:index]
    return line


def csv_fields(entry: str, *, relax_quotes: bool = False) -> list[str]:
    """One CSV record as csv-parse reads it (quotes only around a whole field, ``""`` inside quotes)."""
    protected = _protect(entry)
    fields: list[str] = []
    index, length = 0, len(entry)
    while True:
        if index < length and protected[index] == '"':
            end = index + 1
            value: list[str] = []
            while True:
                if end >= length:
                    raise MetadataError(f"Quote Not Closed: the parsing is finished with an opening quote in {entry!r}")
                if protected[end] == '"':
                    if end + 1 < length and protected[end + 1] == '"':
                        value.append('"')
                        end += 2
                        continue
                    break
                value.append(entry[end])
                end += 1
            end += 1
            if end < length and protected[end] != ",":
                raise MetadataError(f"Invalid Closing Quote: got {protected[end]!r} after a quoted field in {entry!r}")
            fields.append("".join(value))
            index = end
        else:
            end = protected.find(",", index)
            end = length if end == -1 else end
            if '"' in protected[index:end] and not relax_quotes:
                raise MetadataError(f"Invalid Opening Quote: a quote is found inside a field in {entry!r}")
            fields.append(entry[index:end])
            index = end
        if index >= length:
            return fields
        index += 1  # the comma


def _split_equals(field: str, *, first_only: bool) -> list[str]:
    """``field.split('=')`` (or at the first ``=`` only) where ``=`` inside ``${{ ... }}`` does not count."""
    protected = _protect(field)
    parts: list[str] = []
    start = 0
    for index, char in enumerate(protected):
        if char == "=" and not (first_only and parts):
            parts.append(field[start:index])
            start = index + 1
    parts.append(field[start:])
    return parts


@dataclass
class TagEntry:
    type: str
    attrs: dict[str, str]
    text: str
    opaque: str = ""   # an attribute that decides the entry's meaning is not known statically

    def has(self, key: str) -> bool:
        return key in self.attrs


def parse_tag(entry: str) -> TagEntry:
    tag_type: str | None = None
    attrs: dict[str, str] = {}
    opaque = ""
    for raw_field in csv_fields(entry):
        split = _split_equals(raw_field, first_only=True)
        if len(split) == 1 or not split[0]:
            attrs["value"] = raw_field.strip()
            continue
        key, value = split[0].strip().lower(), split[1].strip()
        if key in ("type", "event", "format", "group") and unknown_text(value):
            opaque = f"{key}={value}"
            continue
        if key == "type":
            if value not in _TYPES:
                raise MetadataError(f"Unknown tag type attribute: {value}")
            tag_type = value
        else:
            attrs[key] = value
    if opaque:
        fallback = {"enable": "true", "priority": _PRIORITY.get(tag_type or "raw", "0")}
        return TagEntry(tag_type or "raw", fallback | attrs, entry, opaque)
    kind = tag_type or "raw"
    defaults: dict[str, str] = {}
    if kind == "schedule":
        defaults = {"pattern": "nightly"}
    elif kind in ("semver", "pep440", "match"):
        if "pattern" not in attrs:
            raise MetadataError(f"Missing pattern attribute for {entry}")
        defaults = {"value": ""} | ({"group": "0"} if kind == "match" else {"match": ""})
        if kind == "match" and math.isnan(js_number(attrs.get("group", "0"))):
            raise MetadataError(f"Invalid match group for {entry}")
    elif kind == "edge":
        defaults = {"branch": ""}
    elif kind == "ref":
        if "event" not in attrs:
            raise MetadataError(f"Missing event attribute for {entry}")
        if attrs["event"] not in ("branch", "tag", "pr"):
            raise MetadataError(f"Invalid event for {entry}")
        defaults = {"prefix": "pr-"} if attrs["event"] == "pr" else {}
    elif kind == "raw" and "value" not in attrs:
        raise MetadataError(f"Missing value attribute for {entry}")
    elif kind == "sha":
        defaults = {"prefix": "sha-", "format": "short"}
        if attrs.get("format", "short") not in ("short", "long"):
            raise MetadataError(f"Invalid format for {entry}")
    attrs = defaults | attrs
    attrs.setdefault("enable", "true")
    attrs.setdefault("priority", _PRIORITY[kind])
    return TagEntry(kind, attrs, entry)


@dataclass
class Flavor:
    latest: str = "auto"      # or the ${{ ... }} text when not known statically
    prefix: str = ""
    prefix_latest: bool | None = False   # None: not known statically
    suffix: str = ""
    suffix_latest: bool | None = False


def parse_flavor(entries: list[str]) -> Flavor:
    flavor = Flavor()
    for entry in entries:
        onlatest_for = ""
        for raw_field in csv_fields(entry):
            parts = [part.strip() for part in _split_equals(raw_field, first_only=False)]
            if len(parts) == 1:
                raise MetadataError(f"Invalid flavor entry: {entry}")
            key, value = parts[0].lower(), parts[1]
            if key == "latest" and unknown_text(value):
                flavor.latest = value  # not known statically: latest stays unknown
            elif key == "latest":
                if value not in ("auto", "true", "false"):
                    raise MetadataError(f"Invalid latest flavor entry: {entry}")
                flavor.latest = value
            elif key in ("prefix", "suffix"):
                setattr(flavor, key, value)
                onlatest_for = key
            elif key == "onlatest" and unknown_text(value):
                if onlatest_for:
                    setattr(flavor, f"{onlatest_for}_latest", None)  # not known statically
            elif key == "onlatest":
                if value not in ("true", "false"):
                    raise MetadataError(f"Invalid value for onlatest attribute: {value}")
                if onlatest_for:
                    setattr(flavor, f"{onlatest_for}_latest", value == "true")
            else:
                raise MetadataError(f"Unknown flavor entry: {entry}")
    return flavor


def parse_images(entries: list[str], notes: list[str]) -> list[Value]:
    if len(entries) == 1:
        fields = [[part.strip() for part in _split_equals(raw, first_only=False)] for raw in csv_fields(entries[0])]
        if all(len(parts) == 1 for parts in fields):
            return [_image_name(parts[0]) for parts in fields if parts[0]]
    images: list[Value] = []
    for entry in entries:
        name, enable = "", "true"
        for raw_field in csv_fields(entry):
            parts = [part.strip() for part in _split_equals(raw_field, first_only=False)]
            if len(parts) == 1:
                name = parts[0]
                continue
            key, value = parts[0].lower(), parts[1]
            if key == "name":
                name = value
            elif key == "enable":
                if unknown_text(value):
                    enable = value
                elif value not in ("true", "false"):
                    raise MetadataError(f"Invalid enable attribute value: {entry}")
                else:
                    enable = value
            else:
                raise MetadataError(f"Unknown image attribute: {entry}")
        if not name:
            raise MetadataError(f"Image name attribute empty: {entry}")
        if enable == "false":
            continue
        image = _image_name(name)
        if unknown_text(enable):
            notes.append(f"image {name!r}: enable={enable} is not known statically")
            image = Unknown(f"{image.display() if isinstance(image, Unknown) else image} (if {enable})", template=True)
        images.append(image)
    return images


def _image_name(name: str) -> Value:
    if unknown_text(name):
        parts = re.split(r"(\$\{\{.*?\}\})", name)
        return Unknown("".join(part if part.startswith("${{") else part.lower() for part in parts), template=True)
    return name.lower()
