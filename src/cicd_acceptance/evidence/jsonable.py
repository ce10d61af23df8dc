"""Turn step data into JSON values with every known secret removed.

Evidence ends up in files people share (``evidence.json``, JUnit XML properties, the step summary), so every value
passes through :func:`to_jsonable` on its way in: a :class:`~cicd_acceptance.secret.Secret` becomes ``"***"``, and
every string has each known secret value (and its base64 forms, as found in ``Authorization: Basic`` headers)
replaced, even though clients already keep tokens out of what they return (belt and braces).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from typing import Union

from cicd_acceptance.secret import Secret

__all__ = ["JSON", "Redactor", "to_jsonable"]

JSON = Union[None, bool, int, float, str, list["JSON"], dict[str, "JSON"]]  # noqa: UP007 - recursive alias

_MIN_SECRET_LEN = 4  # shorter values would redact ordinary words; real tokens are far longer
_MAX_DEPTH = 32


class Redactor:
    """Replaces every occurrence of known secret values (raw and base64-encoded) with ``***``."""

    def __init__(self, secrets: Iterable[str | Secret | None] = ()) -> None:
        values: set[str] = set()
        for item in secrets:
            raw = item.reveal() if isinstance(item, Secret) else item
            if raw and len(raw) >= _MIN_SECRET_LEN:
                values.update(_forms(raw))
        # Longest first, so a value that contains another is replaced whole.
        self._values = sorted(values, key=len, reverse=True)

    def __repr__(self) -> str:
        return f"Redactor({len(self._values)} forms)"

    def __call__(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, "***")
        return text


def _forms(raw: str) -> set[str]:
    """The raw value and the base64 forms it takes in Basic auth headers and config files."""
    forms = {raw}
    for prefix in ("", "x-access-token:", "token:", "user:"):
        encoded = base64.b64encode(f"{prefix}{raw}".encode()).decode()
        forms.add(encoded.rstrip("="))
    forms.add(base64.b64encode(raw.encode()).decode())
    # A value embedded mid-stream in base64 shifts by 0-2 bytes; the stable core of each shift still identifies it.
    for shift in (1, 2):
        encoded = base64.b64encode(b"\0" * shift + raw.encode()).decode()
        core = encoded[4:-4]
        if len(core) >= 8:
            forms.add(core)
    return forms


def to_jsonable(value: object, redact: Redactor, *, _depth: int = 0) -> JSON:
    """A JSON value for ``value``: mappings, sequences, scalars, dates, paths, enums, dataclasses; else ``str()``."""
    if _depth > _MAX_DEPTH:
        return "<too deeply nested>"
    if isinstance(value, Secret):
        return "***"
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {redact(str(k)): to_jsonable(v, redact, _depth=_depth + 1) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return to_jsonable(fields, redact, _depth=_depth + 1)
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return [to_jsonable(v, redact, _depth=_depth + 1) for v in items]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value, redact, _depth=_depth + 1)
    return redact(str(value))  # paths, and anything else, as their text
