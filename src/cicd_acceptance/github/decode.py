"""Typed reads of decoded JSON for the GitHub models: each helper names the model and field it failed on.

A wrong shape raises :class:`PayloadError` naming the model and field; it never leaves the client, which turns it
into a :class:`cicd_acceptance.errors.GitHubAPIError` naming the call that returned the payload.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

__all__ = ["Payload", "PayloadError", "boolean", "login", "objects", "opt_int", "opt_obj", "opt_str",
           "parse_timestamp", "req_int", "req_str", "timestamp"]

Payload = Mapping[str, object]


class PayloadError(ValueError):
    """A decoded payload does not have the shape of ``model``; ``reason`` says which field and how."""

    def __init__(self, reason: str, *, model: str) -> None:
        self.reason = reason
        self.model = model
        super().__init__(f"{model}: {reason}")


def _fail(model: str, key: str, expected: str, value: object) -> PayloadError:
    return PayloadError(f"field {key!r} should be {expected}, got {type(value).__name__}", model=model)


def req_str(data: Payload, key: str, model: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise _fail(model, key, "a string", value)
    return value


def opt_str(data: Payload, key: str, model: str) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _fail(model, key, "a string or null", value)


def req_int(data: Payload, key: str, model: str) -> int:
    value = data.get(key)
    # bool is an int subclass; a boolean id is a shape error, not the number 1.
    if not isinstance(value, int) or isinstance(value, bool):
        raise _fail(model, key, "an integer", value)
    return value


def opt_int(data: Payload, key: str, model: str) -> int | None:
    value = data.get(key)
    return None if value is None else req_int(data, key, model)


def boolean(data: Payload, key: str, model: str, default: bool = False) -> bool:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _fail(model, key, "a boolean", value)
    return value


def opt_obj(data: Payload, key: str, model: str) -> Payload | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _fail(model, key, "an object", value)
    return value


def objects(data: Payload, key: str, model: str) -> list[Payload]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise _fail(model, key, "a list of objects", value)
    return list(value)


def login(data: Payload, key: str, model: str) -> str | None:
    user = opt_obj(data, key, model)
    return None if user is None else opt_str(user, "login", model)


def parse_timestamp(value: str | None) -> datetime | None:
    """Parse GitHub's ISO 8601 timestamps (``2026-01-01T10:00:00Z``); ``None`` stays ``None``."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"timestamp {value!r} is not ISO 8601", model="timestamp") from None


def timestamp(data: Payload, key: str, model: str) -> datetime | None:
    return parse_timestamp(opt_str(data, key, model))
