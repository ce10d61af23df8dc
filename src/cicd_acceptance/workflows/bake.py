"""What ``docker buildx bake`` (and docker/bake-action) would build and push: its bake files merged and its targets
resolved, following Bake's reference and source.

* Without files, Bake reads those of :data:`DEFAULT_FILES` that exist in its working directory, in that order (the
  Compose files first, :mod:`.bakecompose`). Every file given or found is merged into one definition, in order (the
  Compose files before the others): for a target defined
  twice, ``args`` and ``labels`` merge by key, ``cache-from`` adds up, and the others (``context``, ``dockerfile``,
  ``tags``, ``platforms``, ``cache-to``, ``output``...) take the later value.
* ``variable`` blocks: the environment overrides the default (Bake reads the environment for declared variables
  only); a variable without a default is ``""``. Strings are templates: ``${NAME}`` is the variable, ``$${`` a
  literal ``${``.
* A target merges its ``inherits`` in order, then its own attributes, then the ``--set`` overrides that match it
  (``pattern.key=value``, a ``path.Match`` pattern; ``key+=value`` appends; several for one list key add up;
  ``platform`` values are comma-separated lists).
* ``context`` defaults to ``.`` and ``dockerfile`` to ``Dockerfile``, which is relative to the context.
* ``--push`` (bake-action's ``push: true``) is ``*.push=true``: an image with push, unless the target's outputs
  are local ones (``type=local``, ``tar``, ``oci``, ``cacheonly``); ``type=registry`` pushes anyway.
* The targets named (none: ``default``) resolve through groups, and may be patterns.

What Bake would compute that is not evaluated here (an HCL function or conditional, a variable whose value comes
from a step output) stays :class:`Unknown`, shown as written. What makes the targets themselves unknown (a bake file
only a run writes, a remote definition, an HCL matrix) is listed in :attr:`BakeResult.open`; a file Bake would
refuse (not HCL, JSON or YAML) is a :class:`BakeFault` with its file and line.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cicd_acceptance.errors import WorkflowLoadError
from cicd_acceptance.targetfiles import is_target_file, read_target_text
from cicd_acceptance.workflows.bakecompose import compose_file, parse_dotenv
from cicd_acceptance.workflows.bakefile import BakeFile, parse_bake
from cicd_acceptance.workflows.expressions import Unknown

__all__ = ["DEFAULT_FILES", "BakeFault", "BakeRequest", "BakeResult", "BakeSource", "BakeTarget", "compute_bake"]

Value = str | Unknown

DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml", "docker-bake.json",
                 "docker-bake.hcl", "docker-bake.override.json", "docker-bake.override.hcl")
_MAPS = ("args", "labels", "contexts")
_ADDED = ("cache-from", "annotations")
_LISTS = {"tags": "tags", "platform": "platforms", "cache-from": "cache-from", "cache-to": "cache-to",
          "output": "output", "annotations": "annotations"}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@)", re.IGNORECASE)
_MAX_TARGETS = 256


@dataclass(frozen=True)
class BakeSource:
    """A bake file given to Bake: a path (relative to its working directory; ``cwd://`` is dropped), or a file
    already read (``data``: docker/metadata-action's bake file)."""

    path: Value
    data: BakeFile | None = None


@dataclass(frozen=True)
class BakeRequest:
    """One bake invocation: files (none: the default ones), targets (none: ``default``), ``--set`` overrides, the
    environment Bake sees, ``--push`` (unknown when an expression decides) and ``--load``."""

    sources: tuple[BakeSource, ...]
    targets: tuple[Value, ...]
    overrides: tuple[Value, ...]
    env: Mapping[str, Value]
    push: bool | Unknown = False
    load: bool = False
    workdir: str = "."


@dataclass(frozen=True)
class BakeTarget:
    """A resolved target. ``dockerfile`` and ``context`` are relative to the repository; ``tags`` are full
    references; ``labels_unknown`` is set when the whole ``labels`` map is an expression Bake computes."""

    name: str
    context: Value
    dockerfile: Value
    tags: tuple[Value, ...]
    platforms: tuple[Value, ...]
    labels: dict[str, Value]
    args: dict[str, Value]
    cache_from: tuple[Value, ...]
    cache_to: tuple[Value, ...]
    no_cache: bool | Unknown
    push: bool | Unknown
    path: str
    line: int
    labels_unknown: Unknown | None = None


@dataclass(frozen=True)
class BakeFault:
    """A bake file Bake itself would refuse (not valid HCL or JSON): the build fails there."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


@dataclass
class BakeResult:
    """The targets Bake would build; ``open`` says why they are not known (then ``targets`` is empty)."""

    targets: list[BakeTarget] = field(default_factory=list)
    open: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    faults: list[BakeFault] = field(default_factory=list)


@dataclass
class _Override:
    value: Value = ""
    values: list[Value] = field(default_factory=list)
    append: bool = False


class _Open(Exception):
    """Not an error: the reason what Bake builds is known only at run time."""


def compute_bake(repo_dir: Path, request: BakeRequest) -> BakeResult:
    """The targets ``request`` builds in the checkout ``repo_dir``, with their tags, Dockerfiles and push."""
    result = BakeResult()
    files = _read_files(repo_dir, request, result)
    if result.open or result.faults:
        return result
    scope = _Scope(files, request.env)
    try:
        groups, targets, where = _definition(files, scope)
        overrides = _overrides(request.overrides, targets)
        names = _requested(request.targets, groups, targets)
        visited: dict[str, dict[str, Any] | None] = {}
        for name in names:
            attrs = _resolve(name, targets, overrides, visited)
            result.targets.append(_target(name, attrs, request, where.get(name, ("", 0))))
    except _Open as reason:
        result.open.append(str(reason))
        result.targets.clear()
    except RecursionError:  # values, groups or inherits nested thousands deep: hostile, not a real definition
        result.open.append("the bake definition nests too deeply to be read")
        result.targets.clear()
    result.notes.extend(scope.notes)
    return result


# --- reading the files -------------------------------------------------------------------------------------------

def _read_files(repo_dir: Path, request: BakeRequest, result: BakeResult) -> list[BakeFile]:
    sources = list(request.sources)
    if not sources:
        found = [name for name in DEFAULT_FILES if is_target_file(repo_dir, _join(request.workdir, name))]
        if not found:
            result.open.append("no bake file in the checkout (docker-bake.hcl, docker-bake.json, compose.yaml...); "
                               "one may be written at run time")
        sources = [BakeSource(name) for name in found]
    files: list[BakeFile] = []
    for source in sources:
        if source.data is not None:
            files.append(source.data)
        elif isinstance(source.path, Unknown):
            result.open.append(f"the bake file {source.path} is known only at run time")
        else:
            file = _read_file(repo_dir, source.path.removeprefix("cwd://"), request, result)
            if file is not None:
                files.append(file)
    # Bake merges the Compose files first, then the others in their order.
    return sorted(files, key=lambda file: not _is_compose(file.path))


def _read_file(repo_dir: Path, written: str, request: BakeRequest, result: BakeResult) -> BakeFile | None:
    if written == "-" or _REMOTE.match(written):
        result.open.append(f"the bake file {written} is not in the checkout")
        return None
    rel = _join(request.workdir, written)
    if rel == ".." or rel.startswith(("../", "/")):
        result.open.append(f"the bake file {written} is outside the repository; not read")
        return None
    try:
        text = read_target_text(repo_dir, rel)
    except WorkflowLoadError as exc:
        if exc.reason == "file not found":
            result.open.append(f"the bake file {rel} is not in the checkout (a step may write it)")
        else:  # refused by the harness (a symlink out of the repository, a FIFO, too large): not Bake's verdict
            result.open.append(f"the bake file {rel} is not read: {exc.reason}")
        return None
    try:
        if _is_compose(rel):
            return compose_file(text, rel, request.env, _dotenv(repo_dir, request.workdir))
        return parse_bake(text, rel)
    except WorkflowLoadError as exc:
        if exc.reason.startswith("an HCL bake file larger"):
            result.open.append(f"the bake file {rel} is not read: {exc.reason}")
        else:
            result.faults.append(BakeFault(exc.path, exc.line, exc.reason))
        return None


def _is_compose(path: str) -> bool:
    return path.lower().endswith((".yml", ".yaml"))


def _dotenv(repo_dir: Path, workdir: str) -> dict[str, str]:
    """The ``.env`` file of Bake's working directory, which Compose files are interpolated from too."""
    path = _join(workdir, ".env")
    if not is_target_file(repo_dir, path):
        return {}
    try:
        return parse_dotenv(read_target_text(repo_dir, path))
    except WorkflowLoadError:
        return {}


def _join(workdir: str, path: str) -> str:
    return posixpath.normpath(path if path.startswith("/") else posixpath.join(workdir, path))


# --- values ------------------------------------------------------------------------------------------------------

_UNDECLARED = object()


class _Scope:
    """The variables of every file (a later declaration wins) and the evaluation of raw values."""

    def __init__(self, files: list[BakeFile], env: Mapping[str, Value]) -> None:
        self.declared: dict[str, tuple[Any, str]] = {}
        for file in files:
            for block in file.variables:
                self.declared[block.name] = (block.attrs.get("default"), file.syntax)
        self.env = env
        self.values: dict[str, Any] = {}
        self.busy: set[str] = set()
        self.notes: list[str] = []

    def variable(self, name: str) -> Any:
        if name in self.values:
            return self.values[name]
        if name not in self.declared:
            return _UNDECLARED
        if name in self.busy:
            return Unknown(f"${{{name}}}", template=True)
        self.busy.add(name)
        default, syntax = self.declared[name]
        if name in self.env:
            value = _typed(self.env[name], default)
        else:
            value = "" if default is None else self.value(default, syntax)
        self.busy.discard(name)
        self.values[name] = value
        return value

    def value(self, raw: Any, syntax: str) -> Any:
        if syntax == "data" or raw is None or isinstance(raw, bool | int | float | Unknown):
            return raw
        if isinstance(raw, list):
            return [self.value(item, syntax) for item in raw]
        if isinstance(raw, dict):
            return {_unquote(str(key)): self.value(item, syntax) for key, item in raw.items()}
        text = str(raw)
        if syntax == "json":
            return self.template(text, escapes=False)
        if len(text) >= 2 and text[0] == text[-1] == '"':
            body = text[1:-1]
            if body.startswith("<<"):
                body = _heredoc(body)
            return self.template(body, escapes=True)
        if text.startswith("${") and text.endswith("}"):
            return self.expression(text[2:-1])
        return self.expression(text)

    def expression(self, source: str) -> Any:
        """A bare name, a literal or a quoted template; anything else (functions, conditionals) is unknown."""
        source = source.strip()
        if source in ("true", "false"):
            return source == "true"
        if source == "null":
            return None
        if _IDENT.fullmatch(source):
            value = self.variable(source)
            if value is _UNDECLARED:
                self.notes.append(f"bake variable {source} is not declared in the bake files; unknown")
                return Unknown(f"${{{source}}}", template=True)
            return value
        if _NUMBER.fullmatch(source):
            return source
        if len(source) >= 2 and source[0] == '"' and _closing_quote(source, 1) == len(source) - 1:
            return self.template(source[1:-1], escapes=True)
        return Unknown(f"${{{source}}}", template=True)

    def template(self, body: str, *, escapes: bool) -> Value:
        pieces: list[str] = []
        unknown = False
        index = 0
        while index < len(body):
            if body.startswith(("$${", "%%{"), index):
                pieces.append(body[index + 1:index + 3])
                index += 3
            elif body.startswith(("${", "%{"), index):
                end = _closing(body, index + 2)
                if end is None or body[index] == "%":  # a template directive (%{ if }) is not evaluated
                    return Unknown(body, template=True)
                value = self.expression(body[index + 2:end].strip("~ "))
                text = _text(value)
                unknown = unknown or text is None or isinstance(value, Unknown)
                pieces.append(body[index:end + 1] if text is None else text)
                index = end + 1
            elif escapes and body[index] == "\\" and index + 1 < len(body):
                pieces.append(_ESCAPES.get(body[index + 1], body[index:index + 2]))
                index += 2
            else:
                pieces.append(body[index])
                index += 1
        text = "".join(pieces)
        return Unknown(text, template=True) if unknown else text


def _typed(env: Value, default: Any) -> Any:
    """An environment value for a variable whose default is a boolean stays a boolean, as Bake parses it."""
    if isinstance(default, bool) and isinstance(env, str) and env.strip().lower() in ("true", "false", "1", "0"):
        return env.strip().lower() in ("true", "1")
    return env


def _text(value: Any) -> str | None:
    """How a value reads inside a template (None: not a string Bake would interpolate here)."""
    if isinstance(value, Unknown):
        return value.display()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, str | int):
        return str(value)
    return None


def _unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def _heredoc(body: str) -> str:
    """``<<EOT\\n...\\nEOT`` (python-hcl2 keeps heredocs so): the lines between the markers."""
    lines = body.split("\n")
    return "\n".join(lines[1:-1]) + ("\n" if len(lines) > 2 else "")


def _closing(text: str, start: int) -> int | None:
    """The index of the ``}`` closing an interpolation opened just before ``start`` (quotes and braces nest)."""
    depth = 1
    index = start
    while index < len(text):
        char = text[index]
        if char == '"':
            end = _closing_quote(text, index + 1)
            if end is None:
                return None
            index = end
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return None


def _closing_quote(text: str, start: int) -> int | None:
    index = start
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text.startswith("${", index):
            end = _closing(text, index + 2)
            if end is None:
                return None
            index = end + 1
            continue
        if text[index] == '"':
            return index
        index += 1
    return None


# --- the definition, the overrides, the targets ------------------------------------------------------------------

def _definition(files: list[BakeFile], scope: _Scope) -> tuple[dict[str, list[Value]], dict[str, dict[str, Any]],
                                                                  dict[str, tuple[str, int]]]:
    groups: dict[str, list[Value]] = {}
    targets: dict[str, dict[str, Any]] = {}
    where: dict[str, tuple[str, int]] = {}
    for file in files:
        for block in file.groups:
            members = scope.value(block.attrs.get("targets"), file.syntax)
            if not isinstance(members, list):
                raise _Open(f"the targets of group {block.name!r} ({file.path}) are computed by Bake")
            current = groups.setdefault(block.name, [])
            current += [member for member in members if member not in current]
        for block in file.targets:
            if "matrix" in block.attrs or "name" in block.attrs:
                raise _Open(f"target {block.name!r} ({file.path}) has a matrix, which is not expanded here")
            attrs = {key: scope.value(raw, file.syntax) for key, raw in block.attrs.items()}
            _merge(targets.setdefault(block.name, {}), attrs, same_target=True)
            where.setdefault(block.name, (file.path, block.line))
    return groups, targets, where


def _merge(into: dict[str, Any], attrs: Mapping[str, Any], *, same_target: bool = False) -> None:
    for key, value in attrs.items():
        if value is None:
            continue
        current = into.get(key)
        if key in _MAPS and isinstance(value, dict) and isinstance(current, dict):
            into[key] = {**current, **{name: item for name, item in value.items() if item is not None}}
        elif (key in _ADDED or (key == "inherits" and same_target)) and isinstance(value, list) \
                and isinstance(current, list):
            into[key] = current + [item for item in value if item not in current]
        else:
            into[key] = value


def _overrides(items: tuple[Value, ...], targets: dict[str, dict[str, Any]]) -> dict[str, dict[str, _Override]]:
    found: dict[str, dict[str, _Override]] = {}
    for item in items:
        text = str(item)
        key, sep, value = text.partition("=")
        if "${{" in key or "$" in key:
            raise _Open(f"the override {text!r} names its target or key only at run time")
        appending = key.endswith("+")
        pattern, dot, attr = key.removesuffix("+").partition(".")
        if not sep or not dot:
            continue  # `--set t.args.X` takes X from the environment; without `.key` Bake refuses the override
        names = [pattern] if pattern in targets else [name for name in targets if fnmatch.fnmatchcase(name, pattern)]
        if not names:
            raise _Open(f"the override {text!r} matches no target of the bake files (Bake would refuse it)")
        written: Value = Unknown(value, template=True) if "${{" in value else value
        for name in names:
            override = found.setdefault(name, {}).setdefault(attr, _Override())
            override.value = written
            override.values.append(written)
            override.append = appending
    return found


def _requested(given: tuple[Value, ...], groups: dict[str, list[Value]],
               targets: dict[str, dict[str, Any]]) -> list[str]:
    names: list[str] = []
    for name in given or ("default",):
        if isinstance(name, Unknown):
            raise _Open(f"the bake target {name} is named only at run time")
        if any(char in name for char in "*?["):
            matches = [known for known in [*groups, *targets] if fnmatch.fnmatchcase(known, name)]
            if not matches:
                raise _Open(f"no bake target matches {name!r}")
            names += matches
        else:
            names.append(name)
    resolved: list[str] = []
    for name in names:
        for target in _group(name, groups, set()):
            if target not in targets:
                raise _Open(f"bake target {target!r} is not defined in the bake files read (Bake would fail)")
            if target not in resolved:
                resolved.append(target)
    if len(resolved) > _MAX_TARGETS:
        raise _Open(f"more than {_MAX_TARGETS} bake targets")
    return resolved


def _group(name: str, groups: dict[str, list[Value]], seen: set[str]) -> list[str]:
    if name not in groups or name in seen:
        return [name]
    out: list[str] = []
    for member in groups[name]:
        if isinstance(member, Unknown):
            raise _Open(f"group {name!r} names a target only Bake computes ({member})")
        out += _group(member, groups, seen | {name})
    return out


def _resolve(name: str, targets: dict[str, dict[str, Any]], overrides: dict[str, dict[str, _Override]],
             visited: dict[str, dict[str, Any] | None]) -> dict[str, Any] | None:
    if name in visited:
        return visited[name]  # None while it is being resolved: an inheritance loop, which Bake skips too
    visited[name] = None
    own = targets.get(name)
    if own is None:
        raise _Open(f"bake target {name!r} inherits from a target the bake files do not define")
    merged: dict[str, Any] = {}
    parents = own.get("inherits") or []
    if not isinstance(parents, list):
        raise _Open(f"the inherits of bake target {name!r} are computed by Bake ({parents})")
    for parent in parents:
        if isinstance(parent, Unknown):
            raise _Open(f"bake target {name!r} inherits from a target named only at run time ({parent})")
        inherited = _resolve(str(parent), targets, overrides, visited)
        if inherited is not None:
            _merge(merged, inherited)
    _merge(merged, {key: value for key, value in own.items() if key != "inherits"})
    _apply(merged, overrides.get(name, {}))
    visited[name] = merged
    return merged


def _apply(attrs: dict[str, Any], overrides: dict[str, _Override]) -> None:
    for key, override in overrides.items():
        head, _, sub = key.partition(".")
        if head in _MAPS and sub:
            current = attrs.get(head)
            attrs[head] = {**(current if isinstance(current, dict) else {}), sub: override.value}
        elif head in _LISTS:
            name = _LISTS[head]
            current = attrs.get(name)
            kept = current if override.append and isinstance(current, list) else []
            attrs[name] = kept + list(override.values)
        elif head in ("context", "dockerfile", "target", "no-cache", "push", "load"):
            attrs[head] = override.value


# --- a resolved target -------------------------------------------------------------------------------------------

def _target(name: str, attrs: dict[str, Any] | None, request: BakeRequest, where: tuple[str, int]) -> BakeTarget:
    attrs = attrs or {}
    context = _scalar(attrs.get("context"), ".")
    dockerfile = _scalar(attrs.get("dockerfile"), "") or "Dockerfile"
    labels, labels_unknown = _mapping(attrs.get("labels"))
    args, _ = _mapping(attrs.get("args"))
    return BakeTarget(
        name=name, context=_context_path(context, request.workdir),
        dockerfile=_dockerfile_path(context, dockerfile, request.workdir), tags=_tags(attrs.get("tags")),
        platforms=_platforms(attrs.get("platforms")), labels=labels, args=args,
        cache_from=_list(attrs.get("cache-from")), cache_to=_list(attrs.get("cache-to")),
        no_cache=_flag(attrs.get("no-cache")), push=_pushes(attrs, request), path=where[0], line=where[1],
        labels_unknown=labels_unknown)


def _scalar(value: Any, default: str) -> Value:
    if value is None:
        return default
    if isinstance(value, Unknown):
        return value
    text = _text(value)
    return text if text is not None else Unknown(str(value), template=True)


def _context_path(context: Value, workdir: str) -> Value:
    if isinstance(context, Unknown) or (_REMOTE.match(context) and not context.startswith("cwd://")):
        return context
    return _join(workdir, context.removeprefix("cwd://"))


def _dockerfile_path(context: Value, dockerfile: Value, workdir: str) -> Value:
    """The Dockerfile relative to the repository: relative to the context, unless ``cwd://`` or absolute."""
    if isinstance(dockerfile, str) and dockerfile.startswith("cwd://"):
        return _join(workdir, dockerfile.removeprefix("cwd://"))
    if isinstance(context, Unknown) or isinstance(dockerfile, Unknown):
        return Unknown(f"{context}/{dockerfile}", template=True)
    if _REMOTE.match(context) and not context.startswith("cwd://"):
        return Unknown(f"{dockerfile} in {context}", template=True)
    if dockerfile.startswith("/"):
        return dockerfile
    return _join(workdir, posixpath.join(context.removeprefix("cwd://"), dockerfile))


def _list(value: Any) -> tuple[Value, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        return (value if isinstance(value, Unknown) else Unknown(str(value), template=True),)
    out: list[Value] = []
    for item in value:
        if isinstance(item, dict):
            item = ",".join(f"{key}={_text(val) or val}" for key, val in item.items())
        text = item if isinstance(item, Unknown) else _text(item)
        if text is not None and text != "" and text not in out:
            out.append(text)
    return tuple(out)


def _tags(value: Any) -> tuple[Value, ...]:
    return _list(value)


def _platforms(value: Any) -> tuple[Value, ...]:
    out: list[Value] = []
    for item in _list(value):
        parts = [item] if isinstance(item, Unknown) else [part.strip() for part in item.split(",") if part.strip()]
        out += [part for part in parts if part not in out]
    return tuple(out)


def _mapping(value: Any) -> tuple[dict[str, Value], Unknown | None]:
    if value is None:
        return {}, None
    if not isinstance(value, dict):
        return {}, value if isinstance(value, Unknown) else Unknown(str(value), template=True)
    out: dict[str, Value] = {}
    for key, item in value.items():
        if item is None:
            continue
        text = item if isinstance(item, Unknown) else _text(item)
        out[str(key)] = text if text is not None else Unknown(str(item), template=True)
    return out, None


def _flag(value: Any) -> bool | Unknown:
    if value is None:
        return False
    if isinstance(value, bool | Unknown):
        return value
    return str(value).strip().lower() in ("true", "1")


def _outputs(value: Any) -> list[dict[str, str]] | Unknown:
    outputs: list[dict[str, str]] = []
    for item in _list(value):
        if isinstance(item, Unknown):
            return item
        pairs = (part.partition("=") for part in item.split(","))
        outputs.append({key.strip().lower(): val.strip() for key, _, val in pairs})
    return outputs


def _pushes(attrs: dict[str, Any], request: BakeRequest) -> bool | Unknown:
    """Whether the target pushes: its outputs, ``--push`` (bake-action's ``push: true``) and ``*.push=``."""
    outputs = _outputs(attrs.get("output"))
    if isinstance(outputs, Unknown):
        return Unknown(f"the output {outputs} decides", template=True)
    flag: bool | Unknown = request.push
    written = attrs.get("push")
    if written is not None:
        flag = _flag(written)
    types = [output.get("type", "") for output in outputs]
    if flag is False:
        return any(kind == "registry" or (kind == "image" and output.get("push", "").lower() == "true")
                   for kind, output in zip(types, outputs, strict=True))
    already = "registry" in types
    # `push=true` adds an image output unless the target exports elsewhere (local, tar, oci, cacheonly).
    would = already or "image" in types or all(kind == "docker" for kind in types)
    if flag is True or already or not would:
        return bool(would)
    return flag
