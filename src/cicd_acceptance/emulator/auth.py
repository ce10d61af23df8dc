"""Tokens the emulator accepts: who they belong to, whether they may write, and their hourly limit.

A PAT-like token gets 5,000 requests/hour and a ``GITHUB_TOKEN``-like one 1,000 (GitHub's documented figures);
both are configurable. Values are kept in :class:`~cicd_acceptance.secret.Secret` so no listing of the state
can print them.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass

from cicd_acceptance.secret import Secret

__all__ = ["ANONYMOUS", "PAT_LIMIT", "WORKFLOW_TOKEN_LIMIT", "TokenInfo", "TokenStore", "parse_authorization"]

PAT_LIMIT = 5_000
WORKFLOW_TOKEN_LIMIT = 1_000
ANONYMOUS_LIMIT = 60


@dataclass(frozen=True)
class TokenInfo:
    """What a token may do. ``key`` identifies its rate-limit bucket without holding the value."""

    key: str
    login: str
    user_id: int
    write: bool
    limit: int
    kind: str  # "pat", "github_token" or "anonymous"


ANONYMOUS = TokenInfo(key="anonymous", login="", user_id=0, write=False, limit=ANONYMOUS_LIMIT, kind="anonymous")


def parse_authorization(header: str | None) -> str | None:
    """The token in ``Authorization: token X`` / ``Bearer X`` (GitHub accepts both), or None."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() in {"token", "bearer"} and value.strip():
        return value.strip()
    return ""  # present but unusable: treated as a bad credential, like GitHub


class TokenStore:
    """The accepted tokens. ``lookup`` returns None for an unknown value (-> 401 Bad credentials)."""

    def __init__(self, *, owner_login: str) -> None:
        self._owner_login = owner_login
        self._lock = threading.Lock()
        self._tokens: dict[Secret, TokenInfo] = {}

    def add(self, value: str | None = None, *, write: bool = True, limit: int = PAT_LIMIT, kind: str = "pat",
            login: str | None = None) -> Secret:
        """Accept a token (a random one when ``value`` is None) and return it wrapped."""
        token = Secret(value or "ghp_" + secrets.token_hex(18))
        with self._lock:
            number = len(self._tokens) + 1
            self._tokens[token] = TokenInfo(key=f"token-{number}", login=login or self._owner_login,
                                            user_id=1000 + number, write=write, limit=limit, kind=kind)
        return token

    def lookup(self, value: str) -> TokenInfo | None:
        """The token's info, or None when it is not accepted."""
        if not value:
            return None
        with self._lock:
            return self._tokens.get(Secret(value))

    def accepts(self, value: str) -> bool:
        """True for any accepted token (the registry's Basic-auth check uses this)."""
        return self.lookup(value) is not None
