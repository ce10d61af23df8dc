"""What ``docker/metadata-action`` (v5, and v6 where it differs) outputs for an event, following its source.

:func:`evaluate_metadata` is the engine: inputs (the ``with:`` strings), a :class:`BuildEvent` and the step's
environment in, every output out (:class:`MetadataOutputs`: ``version``, ``tags``, ``tag-names`` (v6), ``labels``,
``annotations``, ``json``, ``bake-file*``, and the ``DOCKER_METADATA_OUTPUT_*`` variables). The static model calls it
with partial values (parts of an input still ``${{ ... }}``, no build time): whatever depends on them is
:class:`Unknown`, never guessed. The emulator calls it with concrete values at run time. Where the action itself
fails (an unknown tag type, ``enable=yes``, a pattern JavaScript rejects), :class:`MetadataError` says why.

The rules, as the action applies them:

* ``tags`` entries are CSV; ``key=value`` splits at the first ``=``; a bare field is ``value``; without ``type`` an
  entry is ``type=raw``; without any entry the defaults are ``type=schedule``, ``type=ref,event=branch``,
  ``type=ref,event=tag``, ``type=ref,event=pr``. Entries are sorted by ``priority`` (higher first; stable), the
  first value produced is the version, later ones are de-duplicated; ``latest=auto`` follows the first entry that
  produced a value (``type=ref,event=tag``, a final ``semver``/``pep440``, any ``match``).
* ``prefix``/``suffix`` of an entry (``sha-`` for ``type=sha``, ``pr-`` for ``event=pr``) replace the flavor's.
* ``{{branch}}``, ``{{tag}}``, ``{{sha}}``, ``{{base_ref}}``, ``{{is_default_branch}}``,
  ``{{is_not_default_branch}}``, ``{{date 'fmt' tz='Zone'}}``, ``{{commit_date 'fmt'}}`` are Handlebars (HTML-escaped
  output) in ``value``, ``prefix``, ``suffix``, ``enable``, labels and annotations; ``type=schedule`` patterns see
  only the two dates.
* every value is sanitized (runs outside ``[a-zA-Z0-9._-]`` become ``-``); image names are lowercased.
* ``pull_request_target`` reads as ``refs/pull/<number>/merge``; ``DOCKER_METADATA_PR_HEAD_SHA=true`` uses the pull
  request's head sha; ``DOCKER_METADATA_SHORT_SHA_LENGTH`` sets the short sha.
* ``type=match`` and the ``match=`` of ``semver``/``pep440`` are JavaScript regular expressions, run with a time
  bound (:mod:`.jsregex`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cicd_acceptance.errors import WorkflowLoadError
from cicd_acceptance.workflows.event import BuildEvent
from cicd_acceptance.workflows.expr_values import PartialObject
from cicd_acceptance.workflows.expressions import ExprContext, Unknown, find_expressions
from cicd_acceptance.workflows.handlebars import (
    TemplateError,
    TemplateLimit,
    TemplateUnsupported,
    render,
    statement_paths,
)
from cicd_acceptance.workflows.jsregex import (
    DEFAULT_TIMEOUT_S,
    JsRegexError,
    JsRegexLimit,
    JsRegexTimeout,
    compile_js,
    js_string_match,
    split_slashed,
)
from cicd_acceptance.workflows.listinput import input_text
from cicd_acceptance.workflows.metadata_inputs import (
    DEFAULT_TAGS,
    MetadataError,
    MetadataLimit,
    TagEntry,
    input_list,
    js_number,
    parse_flavor,
    parse_images,
    parse_tag,
    unknown_text,
)
from cicd_acceptance.workflows.model import Step
from cicd_acceptance.workflows.moment import default_format, format_moment, in_zone
from cicd_acceptance.workflows.semver import parse_pep440, parse_semver

__all__ = ["METADATA_ENV", "MetadataError", "MetadataInputs", "MetadataLimit", "MetadataOutputs", "MetadataResult",
           "PartialJSON", "action_major_version", "compute_metadata", "evaluate_metadata", "inputs_from_step"]

Value = str | Unknown

METADATA_ENV = ("DOCKER_METADATA_PR_HEAD_SHA", "DOCKER_METADATA_SHORT_SHA_LENGTH",
                "DOCKER_METADATA_ANNOTATIONS_LEVELS", "DOCKER_METADATA_SET_OUTPUT_ENV")
_INVALID_TAG_CHARS = re.compile(r"[^a-zA-Z0-9._-]+")
# ICU's root collation (what String.prototype.localeCompare uses) puts punctuation before digits before letters.
_COLLATION = "_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class MetadataInputs:
    """The action's inputs as strings, after the runner substituted ``${{ }}`` (a part still ``${{ ... }}`` is
    unknown). ``major_version`` is the action's major version from ``uses:`` (5 or 6)."""

    images: str = ""
    tags: str = ""
    flavor: str = ""
    labels: str = ""
    annotations: str = ""
    sep_tags: str = "\n"
    sep_labels: str = "\n"
    sep_annotations: str = "\n"
    bake_target: str = "docker-metadata-action"
    context: str = "workflow"
    major_version: int = 5

    @classmethod
    def from_with(cls, values: Mapping[str, str | None], *, major_version: int = 5) -> MetadataInputs:
        """From the ``with:`` mapping (input names as in action.yml: ``sep-tags``, ``bake-target``)."""
        def text(name: str, default: str, *, trim: bool = True) -> str:
            value = values.get(name)
            if value is None:
                return default
            value = value.strip() if trim else value
            return value or default
        return cls(images=text("images", ""), tags=text("tags", ""), flavor=text("flavor", ""),
                   labels=text("labels", ""), annotations=text("annotations", ""),
                   sep_tags=text("sep-tags", "\n", trim=False), sep_labels=text("sep-labels", "\n", trim=False),
                   sep_annotations=text("sep-annotations", "\n", trim=False),
                   bake_target=text("bake-target", "docker-metadata-action"),
                   context=text("context", "workflow"), major_version=major_version)


@dataclass(frozen=True, eq=False)
class PartialJSON(Unknown):
    """The ``json`` output when part of it is unknown: ``fromJSON()`` of it gives ``parsed``, so
    ``fromJSON(steps.meta.outputs.json).tags`` stays known when the tags are."""

    parsed: Any = None


@dataclass(frozen=True)
class MetadataOutputs:
    """Everything one metadata-action step outputs. ``tags`` are full references (``image:tag``), ``tag_names``
    the bare tags, ``annotations`` carry their level (``manifest:org.opencontainers...=...``)."""

    images: tuple[Value, ...]
    version: Value
    tags: tuple[Value, ...]
    tag_names: tuple[Value, ...]
    latest: bool | Unknown
    labels: dict[str, Value]
    annotations: tuple[Value, ...]
    annotation_levels: tuple[str, ...]
    json_value: dict[str, Any]
    bake_files: dict[str, Value]      # output name (``bake-file-tags``) -> the file's JSON text
    bake_paths: dict[str, Value]      # output name -> where the action writes that file
    inputs: MetadataInputs
    set_output_env: bool = True
    warnings: tuple[str, ...] = ()    # what the action would log as ::warning::
    notes: tuple[str, ...] = ()       # what this emulation could not decide
    # output name -> the bake file's targets as data ({bake-target: {"tags": [...], ...}}), for a bake that reads it
    bake_data: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def json_text(self) -> Value:
        """The ``json`` output: JSON.stringify of tags, labels and annotations."""
        return _json_value(self.json_value, indent=None)

    def outputs(self) -> dict[str, Value]:
        """Every step output by name, as ``steps.<id>.outputs.<name>`` reads it."""
        values: dict[str, Value] = {"version": self.version, "tags": _joined(self.tags, self.inputs.sep_tags)}
        if self.inputs.major_version >= 6:
            values["tag-names"] = _joined(self.tag_names, self.inputs.sep_tags)
        values["labels"] = _joined([_pair(key, value) for key, value in self.labels.items()], self.inputs.sep_labels)
        values["annotations"] = _joined(self.annotations, self.inputs.sep_annotations)
        values["json"] = self.json_text
        for name in ("bake-file-tags", "bake-file-labels", "bake-file-annotations", "bake-file"):
            values[name] = self.bake_paths[name]
        return values

    def env(self) -> dict[str, Value]:
        """The ``DOCKER_METADATA_OUTPUT_*`` variables later steps of the job see (none when
        ``DOCKER_METADATA_SET_OUTPUT_ENV`` is false)."""
        if not self.set_output_env:
            return {}
        return {"DOCKER_METADATA_OUTPUT_" + re.sub(r"\W", "_", name, flags=re.ASCII).upper(): value
                for name, value in self.outputs().items()}


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
    outputs: MetadataOutputs | None = None

    def step_outputs(self) -> dict[str, Value]:
        """``steps.<id>.outputs`` of this step; unknown when the action would fail (the job stops there)."""
        if self.outputs is not None:
            return self.outputs.outputs()
        names = ("version", "tags", "tag-names", "labels", "annotations", "json", "bake-file-tags",
                 "bake-file-labels", "bake-file-annotations", "bake-file")
        return {name: _opaque(f"{name}: docker/metadata-action fails") for name in names}


# --- the event as the action sees it -----------------------------------------------------------------------------

@dataclass(frozen=True)
class _ActionContext:
    event: BuildEvent
    event_name: str
    ref: str          # may hold ${{ github.event.number }} when a static run does not know the number
    sha: Value
    env: Mapping[str, str]

    @classmethod
    def of(cls, event: BuildEvent, env: Mapping[str, str]) -> _ActionContext:
        ref, sha = event.ref, event.sha
        if "pull_request_target" in event.event_name:
            # The action replaces the base branch's ref with the pull request's merge ref (payload.number).
            number = str(event.pull_number) if event.pull_number is not None else "${{ github.event.number }}"
            ref = f"refs/pull/{number}/merge"
        return cls(event, event.event_name, ref, _pr_head_sha(event, env) or sha, env)

    def short_sha(self, sha: Value) -> Value:
        if isinstance(sha, Unknown):
            return _opaque(f"short {sha.display()}")
        raw = self.env.get("DOCKER_METADATA_SHORT_SHA_LENGTH", "")
        if not raw:
            length = 7.0
        elif unknown_text(raw):
            # Named by the expression inside (`vars.SHA_LEN`), not as a ${{ }} nested in the unknown's own.
            length_text = re.sub(r"\$\{\{\s*(.*?)\s*\}\}", r"\1", raw, flags=re.DOTALL)
            return _opaque(f"{sha} shortened to DOCKER_METADATA_SHORT_SHA_LENGTH={length_text}")
        else:
            length = js_number(raw)
            if math.isnan(length):
                raise MetadataError(f"DOCKER_METADATA_SHORT_SHA_LENGTH is not a valid number: {raw}")
        if length >= len(sha):
            return sha
        return sha[:max(0, int(length))] if not math.isinf(length) else ""

    def branch_name(self) -> str:
        return self.ref.removeprefix("refs/heads/") if self.ref.startswith("refs/heads/") else ""

    def tag_name(self) -> str:
        return self.ref.removeprefix("refs/tags/") if self.ref.startswith("refs/tags/") else ""

    def base_ref(self) -> Value:
        if self.ref.startswith("refs/tags/"):
            if self.event.payload_base_ref is None and self.event_name == "push":  # only push payloads carry it
                return Unknown("${{ github.event.base_ref }}", template=True)
            if self.event.payload_base_ref:
                return self.event.payload_base_ref.removeprefix("refs/heads/")
        if self.ref.startswith("refs/pull/"):
            if self.event.base_ref is None:
                return Unknown("${{ github.event.pull_request.base.ref }}", template=True)
            if self.event.base_ref:
                return self.event.base_ref
        return ""

    def is_default_branch(self) -> bool:
        branch = self.ref.removeprefix("refs/heads/")
        if not branch:
            return False
        # The schedule payload carries no repository; the comparison is with the payload's default branch.
        if self.event_name != "schedule" and branch == self.event.default_branch:
            return True
        return any(word in self.event_name for word in ("create", "discussion", "issues", "schedule"))

    def date_helper(self, when: datetime | None, what: str) -> Callable[[list[Any], dict[str, Any]], Value]:
        def helper(args: list[Any], named: dict[str, Any]) -> Value:
            tz = "UTC"
            for key, value in named.items():
                if key != "tz":
                    raise MetadataError(f"Unknown {key} attribute")
                tz = str(value)
            # moment's format() without a format (an unquoted word is a Handlebars lookup: undefined) is ISO 8601.
            pattern = str(args[0]) if args and args[0] not in (None, "") else ""
            if when is None:
                zone = f" tz='{tz}'" if named else ""
                return _opaque(f"{what} '{pattern}'{zone}")
            moment = in_zone(when, tz)
            return format_moment(moment, pattern or default_format(moment))
        return helper

    def commit_date(self) -> datetime | None:
        # The action falls back to its own clock when the commit date is not available.
        return self.event.commit_date if self.event.commit_date is not None else self.event.event_time

    def globals(self) -> dict[str, Any]:
        def constant(value: Value) -> Callable[[list[Any], dict[str, Any]], Value]:
            return lambda args, named: value
        is_default = self.is_default_branch()
        return {
            "branch": constant(self.branch_name()),
            "tag": constant(self.tag_name()),
            "sha": lambda args, named: self.short_sha(self.sha),
            "base_ref": constant(self.base_ref()),
            "is_default_branch": constant("true" if is_default else "false"),
            "is_not_default_branch": constant("false" if is_default else "true"),
            "date": self.date_helper(self.event.event_time, "date"),
            "commit_date": self.date_helper(self.commit_date(), "commit_date"),
        }

    def dates_only(self) -> dict[str, Any]:
        return {"date": self.date_helper(self.event.event_time, "date"),
                "commit_date": self.date_helper(self.commit_date(), "commit_date")}


# --- the engine ------------------------------------------------------------------------------------------------------

@dataclass
class _Produced:
    value: Value
    latest: bool | None   # None: not known statically
    certain: bool         # known to produce a (non-empty) value


class _Engine:
    def __init__(self, inputs: MetadataInputs, ctx: _ActionContext, timeout: float) -> None:
        self.inputs = inputs
        self.ctx = ctx
        self.timeout = timeout
        self.notes: list[str] = []
        self.warnings: list[str] = []
        self.flavor = parse_flavor(input_list(inputs.flavor, inputs.major_version))
        self.globals = ctx.globals()

    # Handlebars with ${{ }} parts kept opaque (they are unknown; their own braces are not Handlebars).
    def template(self, text: str, context: Mapping[str, Any] | None = None) -> Value:
        scope = dict(self.globals if context is None else context)
        source = text
        if unknown_text(text):
            try:
                spans = find_expressions(text)
            except WorkflowLoadError:
                return Unknown(text, template=True)
            for number, (start, end, _) in reversed(list(enumerate(spans))):
                name = f"__unknown_{number}"
                scope[name] = Unknown(text[start:end], template=True)
                source = source[:start] + "{{" + name + "}}" + source[end:]
        try:
            return render(source, scope)
        except TemplateUnsupported as exc:
            self.notes.append(f"{text[:200]!r}: {exc} is not evaluated by this emulation")
            return _opaque(text)
        except TemplateLimit as exc:
            self.notes.append(f"{exc}; its value is not computed")
            return _opaque("a template too long to evaluate")
        except TemplateError as exc:
            raise MetadataError(f"{text!r}: {exc}") from None

    def set_value(self, value: Value, tag: TagEntry) -> Value:
        prefix: Value = ""
        suffix: Value = ""
        if tag.has("prefix"):
            prefix = self.template(tag.attrs["prefix"])
        elif self.flavor.prefix:
            prefix = self.template(self.flavor.prefix)
        if tag.has("suffix"):
            suffix = self.template(tag.attrs["suffix"])
        elif self.flavor.suffix:
            suffix = self.template(self.flavor.suffix)
        return _join(prefix, value, suffix)

    def latest_flag(self, auto: bool | None) -> bool | None:
        if self.flavor.latest not in ("auto", "true", "false"):
            return None  # latest=${{ ... }}
        return auto if self.flavor.latest == "auto" else self.flavor.latest == "true"

    def versions(self) -> list[_Produced]:
        tags = [parse_tag(entry) for entry in input_list(self.inputs.tags, self.inputs.major_version)
                or DEFAULT_TAGS.split("\n")]
        tags.sort(key=lambda tag: -_priority(tag, self.notes))
        produced: list[_Produced] = []
        for tag in tags:
            enabled = self.template(tag.attrs["enable"])
            if isinstance(enabled, str) and enabled not in ("true", "false"):
                raise MetadataError(f"Invalid value for enable attribute: {enabled}")
            if enabled == "false":
                continue
            result = self.process(tag)
            if result is None:
                continue
            value = _sanitize(result.value)
            if value == "":
                continue
            if isinstance(enabled, Unknown):
                self.notes.append(f"tag {tag.text!r}: enable={enabled.display()} is not known statically")
                value = Unknown(f"{_display(value)} (if {enabled.display()})", template=True)
                result = _Produced(value, result.latest, False)
            produced.append(_Produced(value, result.latest, result.certain and not isinstance(value, Unknown)))
        return produced

    def process(self, tag: TagEntry) -> _Produced | None:
        if tag.opaque:
            self.notes.append(f"tag {tag.text!r}: {tag.opaque} is not known statically")
            return _Produced(_opaque(f"{tag.text}"), None, False)
        handler: dict[str, Callable[[TagEntry], _Produced | None]] = {
            "schedule": self.schedule, "semver": self.semver, "pep440": self.pep440, "match": self.match,
            "ref": self.ref, "edge": self.edge, "raw": self.raw, "sha": self.sha}
        return handler[tag.type](tag)

    def known(self, value: Value, latest: bool | None) -> _Produced:
        if isinstance(value, str) and unknown_text(value):  # from a ref holding ${{ github.event.number }}
            value = Unknown(value, template=True)
        return _Produced(value, latest, not isinstance(value, Unknown))

    def schedule(self, tag: TagEntry) -> _Produced | None:
        if "schedule" not in self.ctx.event_name:
            return None
        value = self.set_value(self.template(tag.attrs["pattern"], self.ctx.dates_only()), tag)
        return self.known(value, self.latest_flag(False))

    def tag_source(self, tag: TagEntry) -> Value | None:
        """The value a semver/pep440/match entry reads: ``value=`` or the git tag (None: not a tag push)."""
        if tag.attrs["value"]:
            return self.template(tag.attrs["value"])
        if not self.ctx.ref.startswith("refs/tags/"):
            return None
        return self.ctx.ref.removeprefix("refs/tags/")

    def version_source(self, tag: TagEntry) -> Value | None:
        """semver/pep440: the tag or ``value=``, through ``match=`` (v6) and with ``/`` made ``-``."""
        if not tag.attrs["value"] and not self.ctx.ref.startswith("refs/tags/"):
            return None
        source = self.tag_source(tag)
        if source is None or isinstance(source, Unknown):
            return source
        if self.inputs.major_version >= 6 and tag.attrs.get("match"):
            found = self.run_regex(tag.attrs["match"], "", source, tag)
            if isinstance(found, Unknown):
                return found
            if found is None:
                self.warnings.append(f"{tag.attrs['match']} does not match {source}.")
            elif len(found) < 2 or found[1] is None:
                raise MetadataError(f"match={tag.attrs['match']} has no first group for {source}")
            else:
                source = found[1]
        elif self.inputs.major_version < 6 and tag.attrs["value"]:
            return source
        return source.replace("/", "-")

    def semver(self, tag: TagEntry) -> _Produced | None:
        source = self.version_source(tag)
        if source is None:
            return None
        if isinstance(source, Unknown):
            return _Produced(_opaque(f"semver {tag.attrs['pattern']} of {source.display()}"),
                             self.latest_flag(None), False)
        version = parse_semver(source)
        if version is None:
            self.warnings.append(f"{source} is not a valid semver. More info: https://semver.org/")
            return None
        pattern = tag.attrs["pattern"]
        if version.prerelease and not _is_raw_statement(pattern):
            pattern = "{{version}}"
        rendered = self.template(pattern, version.fields())
        return self.known(self.set_value(rendered, tag), self.latest_flag(not version.prerelease))

    def pep440(self, tag: TagEntry) -> _Produced | None:
        source = self.version_source(tag)
        if source is None:
            return None
        if isinstance(source, Unknown):
            return _Produced(_opaque(f"pep440 {tag.attrs['pattern']} of {source.display()}"),
                             self.latest_flag(None), False)
        version = parse_pep440(source)
        if version is None:
            self.warnings.append(f"{source} does not conform to PEP 440. More info: "
                                 "https://www.python.org/dev/peps/pep-0440")
            return None
        if not version.is_final:
            value = source if _is_raw_statement(tag.attrs["pattern"]) else version.clean
            return self.known(self.set_value(value, tag), self.latest_flag(False))
        rendered = self.template(tag.attrs["pattern"], version.fields())
        return self.known(self.set_value(rendered, tag), self.latest_flag(True))

    def match(self, tag: TagEntry) -> _Produced | None:
        source = self.tag_source(tag)
        if source is None:
            return None
        pattern = tag.attrs["pattern"]
        slashed = split_slashed(pattern)
        found = self.run_regex(*(slashed or (pattern, "")), source, tag)
        if isinstance(found, Unknown):
            return _Produced(found, self.latest_flag(True), False)
        if found is None:
            self.warnings.append(f"{pattern} does not match {source}.")
            return None
        group = tag.attrs["group"]
        index = int(group) if re.fullmatch(r"0|[1-9]\d{0,8}", group) else None
        matched = found[index] if index is not None and index < len(found) else None
        if matched is None:
            self.warnings.append(f"Group {group} does not exist for {pattern} pattern.")
            return None
        return self.known(self.set_value(matched, tag), self.latest_flag(True))

    def run_regex(self, source: str, flags: str, subject: Value, tag: TagEntry) -> list[str | None] | Unknown | None:
        if isinstance(subject, Unknown) or unknown_text(source) or unknown_text(flags):
            return _opaque(f"{tag.text} applied to {_display(subject)}")
        try:
            node = 24 if self.inputs.major_version >= 6 else 20  # the Node version each major runs on
            return js_string_match(subject, compile_js(source, flags, node_major=node), timeout=self.timeout)
        except JsRegexLimit as exc:
            self.notes.append(f"tag {tag.text[:200]!r}: {exc}; the result is unknown")
            return _opaque(f"{tag.text[:200]}: {'timed out' if isinstance(exc, JsRegexTimeout) else 'too large'}")
        except JsRegexError as exc:
            raise MetadataError(f"tag {tag.text!r}: {exc}") from None

    def ref(self, tag: TagEntry) -> _Produced | None:
        ref, which = self.ctx.ref, tag.attrs["event"]
        if which == "branch" and ref.startswith("refs/heads/"):
            return self.known(self.set_value(ref.removeprefix("refs/heads/"), tag), self.latest_flag(False))
        if which == "tag" and ref.startswith("refs/tags/"):
            return self.known(self.set_value(ref.removeprefix("refs/tags/"), tag), self.latest_flag(True))
        if which == "pr" and ref.startswith("refs/pull/"):
            number = re.sub(r"/merge$", "", ref.removeprefix("refs/pull/"))
            return self.known(self.set_value(number, tag), self.latest_flag(False))
        return None

    def edge(self, tag: TagEntry) -> _Produced | None:
        if not self.ctx.ref.startswith("refs/heads/"):
            return None
        branch = tag.attrs["branch"] or self.ctx.event.default_branch
        if branch != self.ctx.ref.removeprefix("refs/heads/"):
            return None
        return self.known(self.set_value("edge", tag), self.latest_flag(False))

    def raw(self, tag: TagEntry) -> _Produced | None:
        return self.known(self.set_value(self.template(tag.attrs["value"]), tag), self.latest_flag(False))

    def sha(self, tag: TagEntry) -> _Produced | None:
        if not self.ctx.sha:
            return None
        value = self.ctx.short_sha(self.ctx.sha) if tag.attrs["format"] == "short" else self.ctx.sha
        return self.known(self.set_value(value, tag), self.latest_flag(False))

    def oci(self, version: Value, extra: str) -> dict[str, Value]:
        """The OCI annotations the action sets, then ``extra`` entries (``key=value``) overriding them, by key."""
        event = self.ctx.event
        html_url = f"{event.server_url.rstrip('/')}/{event.repository}"
        created: Value = _iso(event.event_time) if event.event_time is not None else _opaque("the build time")
        pairs: list[tuple[str, Value]] = [
            ("org.opencontainers.image.title", event.name),
            ("org.opencontainers.image.description", event.repo_description if event.repo_description is not None
             else Unknown("${{ github.event.repository.description }}", template=True)),
            ("org.opencontainers.image.url", html_url),
            ("org.opencontainers.image.source", html_url),
            ("org.opencontainers.image.version", version),
            ("org.opencontainers.image.created", created),
            ("org.opencontainers.image.revision", self.ctx.sha),
            ("org.opencontainers.image.licenses", event.repo_license if event.repo_license is not None
             else _opaque("the license of the repository (SPDX id)")),
        ]
        for entry in input_list(extra, self.inputs.major_version):
            rendered = self.template(entry)
            text = _display(rendered)
            key, sep, rest = text.partition("=")
            if not sep:
                continue
            pairs.append((key, Unknown(rest, template=True) if isinstance(rendered, Unknown) else rest))
        merged: dict[str, Value] = {}
        for key, value in pairs:
            merged[key] = value
        return dict(sorted(merged.items(), key=lambda item: _collation_key(item[0])))


def _pr_head_sha(event: BuildEvent, env: Mapping[str, str]) -> Value | None:
    """The pull request's head sha when ``DOCKER_METADATA_PR_HEAD_SHA`` asks for it (None: the event's sha)."""
    wanted = env.get("DOCKER_METADATA_PR_HEAD_SHA", "")
    if "pull_request" not in event.event_name or not (unknown_text(wanted) or re.search("true", wanted, re.I)):
        return None
    if unknown_text(wanted):
        return _opaque(f"the head sha of the pull request if {wanted}, else {event.sha}")
    if event.head_sha is None:
        return Unknown("${{ github.event.pull_request.head.sha }}", template=True)
    return event.head_sha or None


def _priority(tag: TagEntry, notes: list[str]) -> float:
    number = js_number(tag.attrs["priority"]) if not unknown_text(tag.attrs["priority"]) else math.nan
    if math.isnan(number):
        notes.append(f"tag {tag.text!r}: priority={tag.attrs['priority']} is not a number; sorted as 0")
        return 0.0
    return number


def _is_raw_statement(pattern: str) -> bool:
    """Whether the pattern is exactly one ``{{raw}}`` statement (Handlebars' own parse, spaces allowed)."""
    if "{{" not in pattern or pattern.strip() != pattern or not pattern.startswith("{{"):
        return False
    paths = statement_paths(pattern)
    if paths != ["raw"]:
        return False
    return re.fullmatch(r"\{\{\{?~?\s*raw\s*~?\}?\}\}", pattern) is not None


def _collation_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    primary = tuple(_COLLATION.find(char.lower()) if char.lower() in _COLLATION else 1000 + ord(char)
                    for char in text)
    tertiary = tuple(1 if char.isupper() else 0 for char in text)
    return primary, tertiary


def _iso(when: datetime) -> str:
    moment = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _opaque(description: str) -> Unknown:
    """An unknown value whose text says what it stands for, written inside ``${{ }}`` like every other unknown part
    (readers of the text, such as an image reference split at its ``:``, then see it is unknown)."""
    text = re.sub(r"\$\{\{(.*?)\}\}", r"$(\1)", description)
    text = text.replace("{{", "{ {").replace("}}", "} }")
    if text.count("'") % 2:
        text = text.replace("'", '"')
    return Unknown("${{ " + text + " }}", template=True)


def _display(value: Value) -> str:
    return value.display() if isinstance(value, Unknown) else value


def _join(*parts: Value) -> Value:
    text = "".join(_display(part) for part in parts)
    return Unknown(text, template=True) if any(isinstance(part, Unknown) for part in parts) else text


def _sanitize(value: Value) -> Value:
    if isinstance(value, Unknown):
        # Sanitize the known text around the unknown parts; the unknown parts keep their text.
        try:
            spans = find_expressions(value.text)
        except WorkflowLoadError:
            return value
        pieces: list[str] = []
        position = 0
        for start, end, _ in spans:
            pieces += [_INVALID_TAG_CHARS.sub("-", value.text[position:start]), value.text[start:end]]
            position = end
        pieces.append(_INVALID_TAG_CHARS.sub("-", value.text[position:]))
        return Unknown("".join(pieces), template=True)
    return _INVALID_TAG_CHARS.sub("-", value)


def _pair(key: str, value: Value) -> Value:
    return _join(key, "=", value)


def _joined(values: Any, separator: str) -> Value:
    items = list(values)
    sep = _text_value(separator)
    return _join(*[piece for index, item in enumerate(items) for piece in ((sep, item) if index else (item,))])\
        if items else ""


def _plain(value: Any) -> Any:
    if isinstance(value, Unknown):
        return value.display()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _has_unknown(value: Any) -> bool:
    if isinstance(value, Unknown) or (isinstance(value, str) and unknown_text(value)):
        return True
    if isinstance(value, dict):
        return any(_has_unknown(key) or _has_unknown(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_has_unknown(item) for item in value)
    return False


def _json_value(value: dict[str, Any], *, indent: int | None) -> Value:
    """``JSON.stringify(value)`` (``indent`` as its third argument); partial when a part is unknown."""
    separators = (",", ":") if indent is None else (",", ": ")
    text = json.dumps(_plain(value), ensure_ascii=False, indent=indent, separators=separators)
    if not _has_unknown(value):
        return text
    return PartialJSON(text, template=True, parsed=_partial(value, "fromJSON(json)"))


def _partial(value: Any, path: str) -> Any:
    if isinstance(value, dict):
        return PartialObject({key: _partial(item, f"{path}.{key}") for key, item in value.items()}, path)
    if isinstance(value, list | tuple):
        return [_partial(item, path) for item in value]
    return value


# --- public entry points ---------------------------------------------------------------------------------------------

def evaluate_metadata(inputs: MetadataInputs, event: BuildEvent, env: Mapping[str, str] | None = None, *,
                      bake_dir: str | None = None, regex_timeout: float = DEFAULT_TIMEOUT_S) -> MetadataOutputs:
    """Every output of a docker/metadata-action step with ``inputs`` for ``event``.

    ``env`` is the step's environment (only ``DOCKER_METADATA_*`` is read; a value still ``${{ ... }}`` is
    unknown). ``bake_dir`` is the directory the bake files go to (the emulator's temp directory); without it their
    paths are unknown. Raises :class:`MetadataError` where the action fails.
    """
    env = dict(env or {})
    ctx = _ActionContext.of(event, env)
    engine = _Engine(inputs, ctx, regex_timeout)
    images = parse_images(input_list(inputs.images, inputs.major_version), engine.notes)
    produced = engine.versions()
    names = _dedupe([item.value for item in produced])
    version: Value = ""
    if produced:
        version = produced[0].value if produced[0].certain else _opaque(
            "one of: " + ", ".join(_display(item.value) for item in produced[:_first_certain(produced) + 1]))
    latest = _latest(produced)
    flavor = engine.flavor
    latest_name = _sanitize(_join(_on_latest(flavor.prefix, flavor.prefix_latest), "latest",
                                  _on_latest(flavor.suffix, flavor.suffix_latest)))
    tag_names = list(names)
    if names and latest is True:
        tag_names.append(latest_name)
    elif names and isinstance(latest, Unknown):
        tag_names.append(Unknown(f"{_display(latest_name)} (if {latest.display()})", template=True))
    tags = [_join(image, ":", name) for image in images for name in tag_names] if images else list(tag_names)
    labels = engine.oci(version, inputs.labels)
    levels_text = env.get("DOCKER_METADATA_ANNOTATIONS_LEVELS") or "manifest"
    levels = tuple(levels_text.split(","))
    annotation_pairs = engine.oci(version, inputs.annotations)
    annotations = tuple(_join(_text_value(f"{level}:"), _pair(key, value)) for level in levels
                        for key, value in annotation_pairs.items())
    json_value: dict[str, Any] = {"tags": tags, "labels": labels, "annotations": list(annotations)}
    args: dict[str, Any] = {"DOCKER_META_IMAGES": _join(*_interleave(images, ",")) if images else ""}
    if version != "":
        args["DOCKER_META_VERSION"] = version
    bake_content = {
        "bake-file-tags": ("tags", {"tags": tags, "args": args}),
        "bake-file-labels": ("labels", {"labels": labels}),
        "bake-file-annotations": ("annotations", {"annotations": list(annotations)}),
        "bake-file": ("", {"tags": tags, "labels": labels, "args": args}),
    }
    bake_files: dict[str, Value] = {}
    bake_paths: dict[str, Value] = {}
    bake_data = {name: {inputs.bake_target: content} for name, (_, content) in bake_content.items()}
    for name, (suffix, content) in bake_content.items():
        bake_files[name] = _json_value({"target": {inputs.bake_target: content}}, indent=2)
        file_name = f"docker-metadata-action-bake{'-' + suffix if suffix else ''}.json"
        bake_paths[name] = (f"{bake_dir.rstrip('/')}/{file_name}" if bake_dir is not None else
                            Unknown(f"${{{{ runner.temp }}}}/docker-actions-toolkit-XXXXXX/{file_name}", template=True))
    return MetadataOutputs(
        images=tuple(images), version=version, tags=tuple(tags), tag_names=tuple(tag_names), latest=latest,
        labels=labels, annotations=annotations, annotation_levels=levels, json_value=json_value,
        bake_files=bake_files, bake_paths=bake_paths, inputs=inputs,
        set_output_env=_set_output_env(env.get("DOCKER_METADATA_SET_OUTPUT_ENV", "")),
        warnings=tuple(engine.warnings), notes=tuple(engine.notes), bake_data=bake_data)


def _on_latest(text: str, wanted: bool | None) -> Value:
    """The flavor's prefix or suffix on ``latest``: the action uses it as written (no Handlebars)."""
    if wanted is None:
        return _opaque(f"{text} if onlatest")
    if not wanted:
        return ""
    return Unknown(text, template=True) if unknown_text(text) else text


def _text_value(text: str) -> Value:
    return Unknown(text, template=True) if unknown_text(text) else text


def _interleave(values: list[Value], separator: str) -> list[Value]:
    out: list[Value] = []
    for index, value in enumerate(values):
        if index:
            out.append(separator)
        out.append(value)
    return out


def _first_certain(produced: list[_Produced]) -> int:
    return next((index for index, item in enumerate(produced) if item.certain), len(produced) - 1)


def _latest(produced: list[_Produced]) -> bool | Unknown:
    """The first entry that produced a value decides; entries that may produce nothing leave it open."""
    if not produced:
        return False
    deciding = produced[:_first_certain(produced) + 1]
    flags = {item.latest for item in deciding}
    if len(flags) == 1 and None not in flags:
        flag = bool(flags.pop())
        if flag is False or any(item.certain for item in produced):
            return flag  # (True with no certain entry: if none produces a value, there is no latest either)
    return _opaque("latest=auto decided by an entry not known statically")


def _dedupe(values: list[Value]) -> list[Value]:
    seen: list[Value] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def _set_output_env(text: str) -> bool:
    if not text or unknown_text(text):
        return True
    if text in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    if text in ("0", "f", "F", "false", "FALSE", "False"):
        return False
    raise MetadataError(f"DOCKER_METADATA_SET_OUTPUT_ENV: parseBool syntax error: {text}")


def action_major_version(uses: str | None) -> int:
    """``docker/metadata-action@v6.1.0`` -> 6; a sha or branch reads as 5 (the version this emulation started at)."""
    found = re.search(r"@v?(\d+)", uses or "")
    return int(found.group(1)) if found else 5


def inputs_from_step(step: Step, ctx: ExprContext) -> tuple[MetadataInputs, dict[str, str]]:
    """The inputs and the ``DOCKER_METADATA_*`` environment of a metadata-action step, as far as ``ctx`` knows."""
    values = {name: input_text(node, ctx) for name, node in step.with_.items()}
    env: dict[str, str] = {}
    for name in METADATA_ENV:
        node = step.env.get(name)
        value = ctx.env.get(name) if node is None else input_text(node, ctx)
        if value is None:
            continue
        env[name] = value.display() if isinstance(value, Unknown) else str(value)
    return MetadataInputs.from_with(values, major_version=action_major_version(step.uses)), env


def compute_metadata(step: Step, event: BuildEvent, ctx: ExprContext) -> MetadataResult:
    """The tags, images and labels ``step`` (a docker/metadata-action step) would output for ``event``."""
    inputs, env = inputs_from_step(step, ctx)
    try:
        outputs = evaluate_metadata(inputs, event, env)
    except MetadataLimit as exc:
        return MetadataResult(step.id, step.line, (), (), (), {}, (f"docker/metadata-action not evaluated: {exc}",))
    except MetadataError as exc:
        return MetadataResult(step.id, step.line, (), (), (), {},
                              (f"docker/metadata-action would fail: {exc}",))
    notes = list(outputs.notes)
    if not outputs.images:
        notes.append(f"metadata-action step at line {step.line} has no images: tags have no image name")
    return MetadataResult(step.id, step.line, outputs.images, outputs.tag_names, outputs.tags, outputs.labels,
                          tuple(notes), outputs)
