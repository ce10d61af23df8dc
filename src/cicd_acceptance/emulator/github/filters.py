"""Query-parameter semantics shared by list endpoints: GitHub's search date syntax and page/per_page with Link.

``created`` accepts every form of GitHub's search syntax: ``>=D``, ``>D``, ``<=D``, ``<D``, ``D1..D2``, ``D..*``,
``*..D`` and a plain ``D``, where ``D`` is a date (``2026-03-02``, meaning the whole UTC day) or a date-time with
``Z`` or an offset (``2026-03-02T09:00:00+01:00``). A value that does not parse raises
:class:`~cicd_acceptance.emulator.errors.Unprocessable` naming the parameter, which the routes answer with 422 like
GitHub's validation errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar
from urllib.parse import urlencode

from cicd_acceptance.emulator.errors import Unprocessable

__all__ = ["created_predicate", "paginate"]

T = TypeVar("T")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _bounds(text: str) -> tuple[datetime, datetime]:
    """The instant range a date or date-time denotes: a date spans its day, a date-time is one instant."""
    value = text.strip()
    try:
        if _DATE_ONLY.match(value):
            start = datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
            return start, start + timedelta(days=1)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError as exc:
        raise Unprocessable(f"invalid date {text!r} in 'created'", field="created") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment, moment + timedelta(microseconds=1)


def created_predicate(expression: str) -> Callable[[datetime], bool]:
    """A test for ``created_at`` from GitHub's search date syntax (see the module docstring)."""
    text = expression.strip()
    for op in (">=", "<=", ">", "<"):
        if text.startswith(op):
            return _comparison(op, *_bounds(text[len(op):]))
    if ".." in text:
        left, _, right = text.partition("..")
        start = _bounds(left)[0] if left.strip() != "*" else None
        end = _bounds(right)[1] if right.strip() != "*" else None
        if start is None and end is None:
            raise Unprocessable("'created' range '*..*' has no bound", field="created")
        return lambda t: (start is None or t >= start) and (end is None or t < end)
    low, high = _bounds(text)
    return lambda t: low <= t < high


def _comparison(op: str, low: datetime, high: datetime) -> Callable[[datetime], bool]:
    # A bound spans [low, high): one instant for a date-time, a whole day for a date.
    checks: dict[str, Callable[[datetime], bool]] = {
        ">=": lambda t: t >= low, "<=": lambda t: t < high, ">": lambda t: t >= high, "<": lambda t: t < low}
    return checks[op]


def paginate(items: Sequence[T], *, page: str | None, per_page: str | None, base_url: str,
             query: Sequence[tuple[str, str]], default_per_page: int = 30) -> tuple[list[T], str]:
    """Slice ``items`` like GitHub (per_page max 100) and build ``Link`` with next/last/first/prev."""
    size = _int(per_page, default_per_page, "per_page")
    number = _int(page, 1, "page")
    size = min(max(size, 1), 100)
    number = max(number, 1)
    last = max((len(items) + size - 1) // size, 1)
    chosen = list(items[(number - 1) * size: number * size])
    kept = [(key, value) for key, value in query if key not in {"page", "per_page"}]

    def url(target: int) -> str:
        return f"{base_url}?{urlencode([*kept, ('per_page', str(size)), ('page', str(target))])}"

    links = []
    if number < last:
        links += [f'<{url(number + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
    if number > 1:
        links += [f'<{url(1)}>; rel="first"', f'<{url(min(number - 1, last))}>; rel="prev"']
    return chosen, ", ".join(links)


def _int(text: str | None, default: int, name: str) -> int:
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError as exc:
        raise Unprocessable(f"{name} must be a number, got {text!r}", field=name) from exc
