"""Bearer tokens of the emulated registry: the docker token protocol as ghcr.io speaks it.

A client gets ``401`` + ``WWW-Authenticate: Bearer realm=".../token",service="..."``, asks
``GET /token?scope=repository:<name>:pull[,push]`` (anonymously or with HTTP Basic ``user:token``) and retries
with ``Authorization: Bearer <token>``. Tokens here are self-contained and HMAC-signed with a key made per app,
so no token table has to be kept or locked: a token carries its scopes and expiry (the emulator clock's time)
and cannot be forged or widened by the client.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

__all__ = ["ACTIONS", "Grant", "Scope", "TokenIssuer", "parse_basic", "parse_scopes"]

ACTIONS = frozenset({"pull", "push", "delete", "*"})


@dataclass(frozen=True)
class Scope:
    """One requested ``repository:<name>:<actions>`` scope."""

    name: str
    actions: frozenset[str]


@dataclass(frozen=True)
class Grant:
    """What a verified token allows: (repository, action) pairs, ``*`` standing for every action."""

    scopes: frozenset[tuple[str, str]]
    expires_at: float

    def allows(self, name: str, action: str) -> bool:
        """Whether this token may do ``action`` (pull, push, delete) on ``name``."""
        return (name, action) in self.scopes or (name, "*") in self.scopes


class TokenIssuer:
    """Issues and verifies signed bearer tokens that expire ``ttl_s`` seconds after ``now()``."""

    def __init__(self, *, now: Callable[[], datetime], ttl_s: int, key: bytes | None = None) -> None:
        self._now = now
        self.ttl_s = ttl_s
        self._key = key or secrets.token_bytes(32)

    def issue(self, scopes: Iterable[tuple[str, str]]) -> str:
        """A token for ``scopes``; opaque to clients (like ghcr.io's)."""
        payload = json.dumps({"s": sorted(scopes), "e": self._now().timestamp() + self.ttl_s,
                              "n": secrets.token_hex(8)}, separators=(",", ":")).encode()
        body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        return f"{body}.{self._sign(body)}"

    def verify(self, token: str) -> Grant | None:
        """The grant of a genuine, unexpired token; None for anything else."""
        body, _, signature = token.partition(".")
        # Bytes, not str: compare_digest refuses non-ASCII str, and a header may hold anything.
        if not hmac.compare_digest(signature.encode("utf-8", "surrogateescape"), self._sign(body).encode()):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except (binascii.Error, ValueError):
            return None
        grant = Grant(frozenset((str(n), str(a)) for n, a in data["s"]), float(data["e"]))
        return grant if grant.expires_at > self._now().timestamp() else None

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()


def parse_scopes(values: Iterable[str]) -> list[Scope] | None:
    """``scope`` query values (each may hold several, space-separated) -> scopes; None if one is malformed.

    Non-repository scopes (``registry:catalog:*``) are dropped: the emulator grants nothing for them.
    """
    out: list[Scope] = []
    for value in values:
        for item in value.split():
            kind, _, rest = item.partition(":")
            name, _, actions = rest.rpartition(":")
            if kind != "repository":
                continue
            wanted = frozenset(a for a in actions.split(",") if a)
            if not name or not wanted or not wanted <= ACTIONS:
                return None
            out.append(Scope(name, wanted))
    return out


def parse_basic(header: str | None) -> tuple[str, str] | None:
    """``Basic base64(user:password)`` -> (user, password); None when absent or not Basic."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None
