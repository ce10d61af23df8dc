"""The part of Handlebars that docker/metadata-action's templates use.

``{{name}}``, ``{{ name }}``, ``{{{name}}}`` and ``{{&name}}`` (not escaped), ``{{!comment}}``, ``\\{{`` (a literal
``{{``), ``~`` whitespace control, and helper calls with string/number/boolean parameters and ``key=value`` hash
arguments (``{{date 'YYYYMMDD' tz='Asia/Tokyo'}}``). As in Handlebars: a value that is a function is called, a
missing value renders as ``''``, a missing helper with parameters is an error, and ``{{...}}`` output is
HTML-escaped. Block helpers (``{{#if}}``), partials and sub-expressions raise :class:`TemplateUnsupported`.

A context value or helper result may be :class:`Unknown` (for example a date not known statically): the rendered
text is then an :class:`Unknown` template showing what is not known.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from cicd_acceptance.errors import HarnessError
from cicd_acceptance.workflows.expr_values import Unknown

__all__ = ["Helper", "TemplateError", "TemplateLimit", "TemplateUnsupported", "escape_html", "render",
           "statement_paths"]

Helper = Callable[[list[Any], dict[str, Any]], Any]

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;", "`": "&#x60;", "=": "&#x3D;"}
_ARG = re.compile(
    r"""\s*(?:(?P<key>[^\s=}'"()]+)=)?(?:'(?P<sq>(?:\\.|[^'\\])*)'|"(?P<dq>(?:\\.|[^"\\])*)"|(?P<word>[^\s=}'"()]+))""")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_MAX_TEMPLATE = 1 << 20  # the size cap of a workflow file: a value can be no longer
_MAX_STATEMENTS = 1000   # real patterns hold a handful; bounds the work a crafted value can cause


class TemplateError(HarnessError):
    """The template does not compile or calls a helper that does not exist (the action fails the same way)."""


class TemplateLimit(TemplateError):
    """A template longer than the harness reads (not an error of the template itself)."""


class TemplateUnsupported(TemplateError):
    """Valid Handlebars that this emulation does not evaluate (block helpers, partials, sub-expressions)."""


def escape_html(value: str) -> str:
    return "".join(_ESCAPES.get(char, char) for char in value)


def render(template: str, context: Mapping[str, Any]) -> str | Unknown:
    """``handlebars.compile(template)(context)``."""
    pieces: list[str | Unknown] = []
    for kind, text in _parse(template):
        pieces.append(text if kind == "text" else _evaluate(text, context, escape=kind == "escaped"))
    if any(isinstance(piece, Unknown) for piece in pieces):
        return Unknown("".join(piece.display() if isinstance(piece, Unknown) else piece for piece in pieces),
                       template=True)
    return "".join(piece for piece in pieces if isinstance(piece, str))


def statement_paths(template: str) -> list[str] | None:
    """The paths of the template's mustache statements (``['raw']`` for ``{{ raw }}``); None if it does not parse."""
    try:
        return [_split_statement(text)[0] for kind, text in _parse(template) if kind != "text"]
    except TemplateError:
        return None


def _parse(template: str) -> list[tuple[str, str]]:
    """``[(kind, text)]`` with kind ``text``, ``escaped`` or ``raw``; comments are dropped."""
    if len(template) > _MAX_TEMPLATE:
        raise TemplateLimit(f"template longer than {_MAX_TEMPLATE} characters")
    parts: list[tuple[str, str]] = []
    index = 0
    while index < len(template):
        start = template.find("{{", index)
        if start == -1:
            parts.append(("text", template[index:]))
            break
        if start > index and template[start - 1] == "\\" and template[max(0, start - 2):start] != "\\\\":
            end = template.find("{{", start + 2)  # an escaped mustache runs as text up to the next one
            stop = len(template) if end == -1 else end
            parts.append(("text", template[index:start - 1] + template[start:stop]))
            index = stop
            continue
        doubled = template[max(0, start - 2):start] == "\\\\"  # `\\{{`: a literal backslash, then a real mustache
        parts.append(("text", template[index:start - 1] if doubled else template[index:start]))
        if len(parts) > 2 * _MAX_STATEMENTS:
            raise TemplateLimit(f"template with more than {_MAX_STATEMENTS} {{{{...}}}} statements")
        index = _statement(template, start, parts)
    return _strip_whitespace(parts)


def _statement(template: str, start: int, parts: list[tuple[str, str]]) -> int:
    triple = template.startswith("{{{", start)
    close = "}}}" if triple else "}}"
    body_start = start + (3 if triple else 2)
    if template.startswith("!--", body_start) or template.startswith("~!--", body_start):
        end = template.find("--", template.find("!--", body_start) + 3)
        end = template.find("}}", end) if end != -1 else -1
        if end == -1:
            raise TemplateError("unterminated comment")
        return end + 2
    end = template.find(close, body_start)
    if end == -1:
        raise TemplateError(f"Parse error: unterminated {{{{ at {start}")
    body = template[body_start:end]
    strip_left = body.startswith("~")
    strip_right = body.endswith("~")
    body = body[1 if strip_left else 0:len(body) - (1 if strip_right else 0)]
    marker = "~<" if strip_left else ""
    if body.lstrip().startswith("!"):
        parts.append(("comment", marker + ("~>" if strip_right else "")))
        return end + len(close)
    kind = "raw" if triple else "escaped"
    stripped = body.strip()
    if stripped.startswith("&"):
        kind, stripped = "raw", stripped[1:].strip()
    if not stripped:
        raise TemplateError("Parse error: empty mustache")
    if stripped[0] in "#/^>" or stripped == "else" or "(" in stripped:
        raise TemplateUnsupported(f"{{{{{stripped}}}}} (block helpers, partials, sub-expressions)")
    parts.append((kind, marker + stripped + ("~>" if strip_right else "")))
    return end + len(close)


def _strip_whitespace(parts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    strip_next = False
    for kind, text in parts:
        if kind == "text":
            out.append((kind, text.lstrip() if strip_next else text))
            strip_next = False
            continue
        if text.startswith("~<") and out and out[-1][0] == "text":
            out[-1] = ("text", out[-1][1].rstrip())
        strip_next = text.endswith("~>")
        text = text.removeprefix("~<").removesuffix("~>")
        if kind != "comment":
            out.append((kind, text))
    return out


def _split_statement(text: str) -> tuple[str, list[tuple[str | None, Any]]]:
    """``date 'YYYY' tz='UTC'`` -> ``("date", [(None, "YYYY"), ("tz", "UTC")])``."""
    args: list[tuple[str | None, Any]] = []
    position = 0
    while position < len(text) and text[position:].strip():
        found = _ARG.match(text, position)
        if found is None:
            raise TemplateError(f"Parse error in {{{{{text}}}}}")
        position = found.end()
        if found.group("sq") is not None or found.group("dq") is not None:
            literal = found.group("sq") if found.group("sq") is not None else found.group("dq")
            value: Any = ("literal", re.sub(r"\\(.)", r"\1", literal))
        else:
            value = ("word", found.group("word"))
        args.append((found.group("key"), value))
    if not args or args[0][0] is not None or args[0][1][0] != "word":
        raise TemplateError(f"Parse error in {{{{{text}}}}}")
    return args[0][1][1], args[1:]


def _lookup(path: str, context: Mapping[str, Any]) -> Any:
    path = path.removeprefix("this.").removeprefix("./")
    value: Any = context
    for part in re.split(r"[./]", path):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            return None
    return value


def _param(value: tuple[str, str], context: Mapping[str, Any]) -> Any:
    kind, text = value
    if kind == "literal":
        return text
    if _NUMBER.fullmatch(text):
        return float(text) if "." in text else int(text)
    if text in ("true", "false"):
        return text == "true"
    if text in ("null", "undefined"):
        return None
    return _lookup(text, context)


def _evaluate(text: str, context: Mapping[str, Any], *, escape: bool) -> str | Unknown:
    path, args = _split_statement(text)
    target = _lookup(path, context)
    if args:
        if not callable(target):
            raise TemplateError(f"Missing helper: \"{path}\"")
        positional = [_param(value, context) for key, value in args if key is None]
        named = {key: _param(value, context) for key, value in args if key is not None}
        result = target(positional, named)
    else:
        result = target([], {}) if callable(target) else target
    if isinstance(result, Unknown):
        return result
    rendered = _to_string(result)
    return escape_html(rendered) if escape else rendered


def _to_string(value: Any) -> str:
    """What JavaScript's ``'' + value`` gives for the values templates see."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, list | tuple):
        return ",".join("" if item is None else _to_string(item) for item in value)
    if isinstance(value, Mapping):
        return "[object Object]"
    return str(value)
