"""What the ExecPlan promised, as data: services, workflow files, image names and tags.

The defaults are the ExecPlan ``ci-cd-build-automation.md``. A target may override them with a TOML file (``--plan
FILE``, else ``acceptance.toml`` in the target when present); every value remembers where it came from so the pytest
header and error messages can say "acceptance.toml:services" rather than leave the reader guessing.

Example ``acceptance.toml``::

    services = ["gateway", "worker", "webhook-demo"]
    default_branch = "main"
    [workflows]
    ci = ".github/workflows/ci.yml"
    build = ".github/workflows/build-images.yml"
    [images]
    registry = "ghcr.io"
    pattern = "{registry}/{owner}/{repo}-{service}"
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from cicd_acceptance.committags import CommitTagForm, commit_tag_candidates
from cicd_acceptance.errors import ConfigError, WorkflowLoadError
from cicd_acceptance.targetfiles import read_regular_file, read_target_bytes

__all__ = ["DEFAULT_PLAN_FILE", "SEVERITIES", "Plan", "load_plan"]

DEFAULT_PLAN_FILE = "acceptance.toml"
SEVERITIES = ("informational", "low", "medium", "high")

_SERVICE_RE = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
_BRANCH_RE = re.compile(r"^[A-Za-z0-9._/-]+$")
_PATTERN_FIELDS = {"registry", "owner", "repo", "service"}
MAX_PLAN_BYTES = 64 * 1024


@dataclass(frozen=True)
class Plan:
    """The plan's expectations. ``sources`` maps each field name to where its value came from."""

    services: tuple[str, ...] = ("gateway", "worker", "webhook-demo")
    dockerfile_pattern: str = "Dockerfile.{service}"
    ci_workflow: str = ".github/workflows/ci.yml"
    build_workflow: str = ".github/workflows/build-images.yml"
    registry: str = "ghcr.io"
    image_pattern: str = "{registry}/{owner}/{repo}-{service}"
    default_branch: str = "main"
    test_job: str = "test"
    test_command: str = "go test ./..."
    latest_tag: str = "latest"
    sha_tag_prefix: str = "sha-"
    zizmor_min_severity: str = "high"
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    def image_for(self, service: str, repository: str, *, registry: str | None = None) -> str:
        """Full lowercase image reference of ``service`` for ``owner/name`` (no tag)."""
        owner, _, repo = repository.partition("/")
        ref = self.image_pattern.format(registry=registry or self.registry, owner=owner, repo=repo, service=service)
        return ref.lower()

    def image_path(self, service: str, repository: str) -> str:
        """The repository path of the image inside the registry (``owner/repo-service``), lowercase."""
        full = self.image_for(service, repository)
        prefix = self.registry.lower() + "/"
        return full[len(prefix):] if full.startswith(prefix) else full

    @property
    def ci_workflow_file(self) -> str:
        """The CI workflow's file name, which the REST API accepts as its id (``ci.yml``)."""
        return self.ci_workflow.rsplit("/", 1)[-1]

    @property
    def build_workflow_file(self) -> str:
        """The build workflow's file name, which the REST API accepts as its id (``build-images.yml``)."""
        return self.build_workflow.rsplit("/", 1)[-1]

    def dockerfile_for(self, service: str) -> str:
        """Path (relative to the repository root) of the Dockerfile that builds ``service``."""
        return self.dockerfile_pattern.format(service=service)

    def sha_tags(self, sha: str, forms: Iterable[CommitTagForm] = ()) -> tuple[str, ...]:
        """The spellings of the commit tag to look for: ``forms`` (what the build computes), then the plan's prefix
        with the short (7, metadata-action's default) and the long SHA (``format=long``), then the bare SHA
        (:mod:`cicd_acceptance.committags`)."""
        return commit_tag_candidates(self.sha_tag_prefix, sha, forms)

    def source_of(self, name: str) -> str:
        return self.sources.get(name, "default (ExecPlan)")


# TOML key path -> (Plan field, validator). Validators return the converted value or raise ValueError(why).
# The plan may come from the target itself (``acceptance.toml``), so every value is hostile input: typed, bounded
# in length, paths kept inside the repository, and format patterns limited to plain documented fields.
MAX_TEXT = 256
MAX_COMMAND = 4096
MAX_SERVICES = 64
_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
_TAG_PREFIX_RE = re.compile(r"^(?:[A-Za-z0-9_][A-Za-z0-9._-]{0,63})?$")
_JOB_ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_REGISTRY_RE = re.compile(r"^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:]+\])(?::[0-9]{1,5})?$")


def _str_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a non-empty list of strings")
    if len(value) > MAX_SERVICES or any(len(v) > 64 for v in value):
        raise ValueError(f"expected at most {MAX_SERVICES} services of at most 64 characters each")
    bad = [v for v in value if not _SERVICE_RE.match(v)]
    if bad:
        raise ValueError(f"service names must be lowercase [a-z0-9._-], found {bad}")
    if len(set(value)) != len(value):
        raise ValueError(f"duplicate services in {value}")
    return tuple(value)


def _text(value: Any, limit: int = MAX_TEXT, *, multiline: bool = False) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty string, found {_kind(value)}")
    if len(value) > limit:
        raise ValueError(f"expected at most {limit} characters, found {len(value)}")
    if "\x00" in value or (not multiline and any(ch in value for ch in "\r\n")):
        raise ValueError("expected one line of text without NUL characters" if not multiline
                         else "expected text without NUL characters")
    return value


def _kind(value: Any) -> str:
    return "a string" if isinstance(value, str) and value.strip() else (
        "an empty string" if isinstance(value, str) else f"a TOML {type(value).__name__}")


def _command(value: Any) -> str:
    return _text(value, MAX_COMMAND, multiline=True)  # a run: block may span lines


def _branch(value: Any) -> str:
    text = _text(value)
    if not _BRANCH_RE.match(text) or ".." in text or text.startswith(("/", "-")) or text.endswith(("/", ".lock")):
        raise ValueError(f"not a branch name: {text!r}")
    return text


def _relative(text: str) -> str:
    """Refuse a path that could leave the repository (it is checked again when a file is read)."""
    parts = PurePosixPath(text).parts
    if text.startswith(("/", "\\")) or "\\" in text or ".." in parts or (parts and parts[0].endswith(":")):
        raise ValueError(f"expected a path inside the repository (relative, no '..'), found {text!r}")
    return text


def _workflow_path(value: Any) -> str:
    text = _relative(_text(value))
    if not text.startswith(".github/workflows/") or not text.endswith((".yml", ".yaml")) or text.count("/") != 2:
        raise ValueError(f"expected .github/workflows/<name>.yml, found {text!r}")
    return text


def _pattern_fields(text: str) -> set[str]:
    """The replacement fields of ``text``; attribute or index access, conversions and format specs are refused."""
    names: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ValueError(f"not a valid pattern ({exc}): {text!r}") from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"placeholders are plain names such as {{service}}, found {{{name}}} in {text!r}")
        names.add(name)
    return names


def _pattern(required: set[str], *, path: bool = False) -> Any:
    def check(value: Any) -> str:
        text = _text(value)
        names = _pattern_fields(text)
        unknown, missing = names - _PATTERN_FIELDS, required - names
        if unknown or missing:
            raise ValueError(f"placeholders must include {sorted(required)} and only {sorted(_PATTERN_FIELDS)}, "
                             f"found {sorted(names)}")
        if path and any(ch in text for ch in "*?[]"):
            # The Dockerfile rule globs the pattern: a '**' could walk a symlinked '/' for ever.
            raise ValueError(f"a path pattern takes no glob characters (*?[]), found {text!r}")
        return _relative(text) if path else text
    return check


def _registry(value: Any) -> str:
    text = _text(value).strip().lower()
    if not _REGISTRY_RE.match(text):
        raise ValueError(f"expected a registry HOST[:PORT] such as ghcr.io, found {text!r}")
    return text


def _tag(value: Any) -> str:
    text = _text(value)
    if not _TAG_RE.match(text):
        raise ValueError(f"expected a container image tag ([A-Za-z0-9_][A-Za-z0-9._-], at most 128), found {text!r}")
    return text


def _tag_prefix(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, found {_kind(value)}")
    if not _TAG_PREFIX_RE.match(value):
        raise ValueError(f"expected a tag prefix ([A-Za-z0-9_][A-Za-z0-9._-], at most 64), found {value[:80]!r}")
    return value


def _job_id(value: Any) -> str:
    text = _text(value)
    if not _JOB_ID_RE.match(text):
        raise ValueError(f"expected a job id ([A-Za-z_][A-Za-z0-9_-]*), found {text!r}")
    return text


def _severity(value: Any) -> str:
    text = _text(value).lower()
    if text not in SEVERITIES:
        raise ValueError(f"expected one of {list(SEVERITIES)}, found {value!r}")
    return text


_KEYS: dict[str, tuple[str, Any]] = {
    "services": ("services", _str_list),
    "default_branch": ("default_branch", _branch),
    "dockerfile_pattern": ("dockerfile_pattern", _pattern({"service"}, path=True)),
    "workflows.ci": ("ci_workflow", _workflow_path),
    "workflows.build": ("build_workflow", _workflow_path),
    "images.registry": ("registry", _registry),
    "images.pattern": ("image_pattern", _pattern({"service"})),
    "tags.latest": ("latest_tag", _tag),
    "tags.sha_prefix": ("sha_tag_prefix", _tag_prefix),
    "ci.test_job": ("test_job", _job_id),
    "ci.test_command": ("test_command", _command),
    "security.zizmor_min_severity": ("zizmor_min_severity", _severity),
}
_MAX_TABLE_DEPTH = 2  # every known key is at most two levels deep (``images.pattern``)


def _flatten(data: dict[str, Any], path: Path, prefix: str = "", depth: int = 1) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if depth >= _MAX_TABLE_DEPTH:
                raise ConfigError(f"unknown key (known: {', '.join(sorted(_KEYS))})", source=f"{path}:{name[:100]}")
            flat.update(_flatten(value, path, prefix=name + ".", depth=depth + 1))
        else:
            flat[name] = value
    return flat


def _read_plan_text(path: Path, origin: str, root: Path | None) -> str:
    """The plan file's text: bounded, a regular file, and inside ``root`` when the target supplies it."""
    try:
        if root is not None:
            data = read_target_bytes(root, str(path.relative_to(root)), max_bytes=MAX_PLAN_BYTES,
                                     display_path=str(path))
        else:
            data = read_regular_file(path, display_path=str(path), max_bytes=MAX_PLAN_BYTES)
    except WorkflowLoadError as exc:
        why = "plan file not found" if exc.reason == "file not found" else f"cannot read plan file: {exc.reason}"
        raise ConfigError(why, source=f"{origin} {path}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"cannot read plan file: not UTF-8 ({exc.reason})", source=f"{origin} {path}") from None


def load_plan(path: Path | None, *, origin: str = "--plan", root: Path | None = None) -> Plan:
    """Return the default plan, overridden by the TOML file at ``path`` when given.

    ``root``: the repository when the plan file is the target's own (it must then lie inside it, symlinks
    included). Every bad key or value raises :class:`ConfigError` naming ``file:key``.
    """
    if path is None:
        return Plan()
    text = _read_plan_text(path, origin, root)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", source=str(path)) from None
    except RecursionError:
        raise ConfigError("invalid TOML: nested too deeply", source=str(path)) from None
    changes: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key, value in _flatten(data, path).items():
        if key not in _KEYS:
            raise ConfigError(f"unknown key (known: {', '.join(sorted(_KEYS))})", source=f"{path}:{key[:100]}")
        field_name, convert = _KEYS[key]
        try:
            changes[field_name] = convert(value)
        except ValueError as exc:
            raise ConfigError(str(exc), source=f"{path}:{key}") from None
        sources[field_name] = f"{path}:{key}"
    return replace(Plan(), **changes, sources=sources)
