"""Action inputs that hold lists (``tags:``, ``images:``, ``platforms:``, ``labels:``) and their CSV entries.

Actions receive every input as a string after the runner has substituted ``${{ }}``. A part that stays unknown
is kept in the text as ``${{ ... }}`` (an :class:`Unknown` template), so splitting and CSV parsing work on that
text, and any piece still containing ``${{`` is reported as :class:`Unknown` instead of being guessed.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from cicd_acceptance.workflows.expr_values import to_text
from cicd_acceptance.workflows.expressions import ExprContext, Unknown, find_expressions, resolve
from cicd_acceptance.workflows.yamlnode import Node

__all__ = ["input_text", "is_unknown_text", "parse_attributes", "split_items", "text_or_unknown"]


def input_text(node: Node | None, ctx: ExprContext) -> str | None:
    """The input as the action would receive it, with unknown parts left as ``${{ ... }}``."""
    if node is None or node.is_null:
        return None
    if node.is_sequence:  # not valid for `with:` on GitHub, but written often enough to read it kindly
        return "\n".join(input_text(child, ctx) or "" for child in node.elements())
    value = resolve(node, ctx.at(node.line))
    if isinstance(value, Unknown):
        return value.display()
    return to_text(value)


def is_unknown_text(text: str) -> bool:
    return "${{" in text


def text_or_unknown(text: str) -> str | Unknown:
    return Unknown(text, template=True) if is_unknown_text(text) else text


def split_items(text: str, *, commas: bool) -> list[str]:
    """Split on newlines (and on commas when ``commas``) outside ``${{ }}``; drop blanks and ``#`` comments."""
    spans = [(start, end) for start, end, _ in find_expressions(text)]
    items: list[str] = []
    current: list[str] = []
    for index, char in enumerate(text):
        inside = any(start <= index < end for start, end in spans)
        if not inside and (char == "\n" or (commas and char == ",")):
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip() and not item.strip().startswith("#")]


def parse_attributes(entry: str) -> list[tuple[str, str | None]]:
    """``type=raw,value=a`` -> ``[("type", "raw"), ("value", "a")]``; a field without ``=`` has value ``None``.

    Fields are CSV (quotes allowed, as metadata-action reads them); keys are lowercased.
    """
    fields = next(_csv_rows(entry), [])
    pairs: list[tuple[str, str | None]] = []
    for field in fields:
        key, sep, value = field.partition("=")
        pairs.append((key.strip().lower(), value.strip()) if sep else (field.strip(), None))
    return pairs


def _csv_rows(entry: str) -> Iterator[list[str]]:
    # Commas inside ${{ }} must not split a field: protect them while the csv module runs.
    protected = entry
    for start, end, _ in reversed(find_expressions(entry)):
        protected = protected[:start] + entry[start:end].replace(",", "\x00") + protected[end:]
    for row in csv.reader([protected], skipinitialspace=True):
        yield [field.replace("\x00", ",") for field in row]
