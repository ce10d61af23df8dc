"""A Compose file as Bake reads it (one of Bake's default files, or given with ``-f``).

Each service with a ``build`` is a target of that name (a ``.`` becomes ``_``) and a member of the ``default``
group: ``build`` is the context when it is a string; otherwise ``context``, ``dockerfile``, ``tags``, ``labels``,
``args``, ``cache_from``, ``cache_to``, ``platforms`` and ``no_cache`` are read, and the ``x-bake`` extension adds
``tags``, ``platforms``, ``cache-from``, ``cache-to``, ``output`` and ``no-cache``. Without tags the service's
``image`` is the tag. Values are interpolated as Compose does (``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``,
``$VAR``, ``$$``) from the environment and then the ``.env`` file of the working directory; an unset variable is
empty. A value from the environment that only a run knows leaves the string unknown, shown as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cicd_acceptance.workflows.bakefile import BakeFile, Block
from cicd_acceptance.workflows.expressions import Unknown
from cicd_acceptance.workflows.yamlnode import load_yaml_text

__all__ = ["compose_file", "parse_dotenv"]

Value = str | Unknown

_VARIABLE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-+?])(?P<arg>[^}]*))?\}"
                       r"|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))")
_LISTS = {"tags": "tags", "cache_from": "cache-from", "cache_to": "cache-to", "platforms": "platforms"}
_X_BAKE = ("tags", "platforms", "cache-from", "cache-to", "output")


def parse_dotenv(text: str) -> dict[str, str]:
    """``KEY=value`` lines of a ``.env`` file (comments, ``export`` and surrounding quotes dropped)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip().removeprefix("export ").strip()
        name, sep, value = line.partition("=")
        if not sep or line.startswith("#") or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name.strip()):
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        else:
            value = value.split(" #", 1)[0].strip()
        values[name.strip()] = value
    return values


def compose_file(text: str, path: str, env: Mapping[str, Value], dotenv: Mapping[str, str]) -> BakeFile:
    """The targets and ``default`` group Bake makes of the Compose file ``text`` (a YAML error names the line)."""
    root = load_yaml_text(text, display_path=path).plain()
    services = root.get("services") if isinstance(root, dict) else None
    reader = _Interpolation(env, dotenv)
    targets: list[Block] = []
    for name, service in (services.items() if isinstance(services, dict) else ()):
        if not isinstance(service, dict) or service.get("build") is None:
            continue
        attrs = _build(service["build"], reader)
        if not attrs.get("tags") and service.get("image"):
            attrs["tags"] = [reader.text(service["image"])]
        targets.append(Block(str(name).replace(".", "_"), attrs))
    groups = (Block("default", {"targets": [block.name for block in targets]}),) if targets else ()
    return BakeFile(path, "data", groups=groups, targets=tuple(targets))


def _build(build: Any, reader: _Interpolation) -> dict[str, Any]:
    if not isinstance(build, dict):
        return {"context": reader.text(build)}
    attrs: dict[str, Any] = {}
    for key in ("context", "dockerfile"):
        if build.get(key) is not None:
            attrs[key] = reader.text(build[key])
    for key, name in _LISTS.items():
        if isinstance(build.get(key), list):
            attrs[name] = [reader.text(item) for item in build[key]]
    for key in ("labels", "args"):
        if build.get(key) is not None:
            attrs[key] = _mapping(build[key], reader)
    if build.get("no_cache") is True:
        attrs["no-cache"] = True
    extension = build.get("x-bake")
    if isinstance(extension, dict):
        for key in _X_BAKE:
            items = extension.get(key)
            items = items.split() if isinstance(items, str) else items
            if isinstance(items, list):
                added = [reader.text(item) for item in items]
                attrs[key] = [*attrs.get(key, []), *(item for item in added if item not in attrs.get(key, []))]
        if isinstance(extension.get("no-cache"), bool):
            attrs["no-cache"] = extension["no-cache"]
    return attrs


def _mapping(value: Any, reader: _Interpolation) -> dict[str, Value]:
    """A Compose map written as a mapping or as ``KEY=value`` items (a bare ``KEY`` takes the environment's)."""
    out: dict[str, Value] = {}
    items = value.items() if isinstance(value, dict) else (
        (str(item).partition("=")[0], str(item).partition("=")[2] if "=" in str(item) else None)
        for item in (value if isinstance(value, list) else ()))
    for key, item in items:
        if item is None:
            found = reader.lookup(str(key))
            if found is not None:
                out[str(key)] = found
            continue
        out[str(key)] = reader.text(item)
    return out


class _Interpolation:
    def __init__(self, env: Mapping[str, Value], dotenv: Mapping[str, str]) -> None:
        self.env = env
        self.dotenv = dotenv

    def lookup(self, name: str) -> Value | None:
        if name in self.env:
            return self.env[name]
        return self.dotenv.get(name)

    def text(self, raw: Any) -> Value:
        if isinstance(raw, bool):
            return "true" if raw else "false"
        text = str(raw)
        unknown = False
        pieces: list[str] = []
        position = 0
        for match in _VARIABLE.finditer(text):
            pieces.append(text[position:match.start()])
            position = match.end()
            if match.group("escaped"):
                pieces.append("$")
                continue
            value = self.lookup(match.group("braced") or match.group("plain"))
            op, arg = match.group("op") or "", match.group("arg") or ""
            if op in (":-", "-") and (value is None or (op == ":-" and value == "")):
                value = arg
            elif op in (":+", "+"):
                value = arg if value is not None and (op == "+" or value != "") else ""
            elif op in (":?", "?") and (value is None or (op == ":?" and value == "")):
                value = Unknown(match.group(0), template=True)  # Compose stops with this error message
            if isinstance(value, Unknown):
                unknown = True
            pieces.append("" if value is None else str(value))
        pieces.append(text[position:])
        joined = "".join(pieces)
        return Unknown(joined, template=True) if unknown else joined
