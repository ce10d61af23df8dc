"""A token wrapper that never prints itself.

``Secret`` keeps a credential out of ``str``, ``repr``, f-strings, pytest's assertion rewriting and tracebacks;
the value is reachable only through :meth:`Secret.reveal`, which code calls at the moment it builds a header.
"""

from __future__ import annotations

__all__ = ["Secret"]


class Secret:
    """An opaque credential. ``str(Secret("x"))`` and ``repr`` are ``'***'``; equality compares values."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not value:
            raise ValueError("a Secret needs a non-empty value")
        self._value = value

    def reveal(self) -> str:
        """Return the raw value; call only where it goes on the wire."""
        return self._value

    def redact(self, text: str) -> str:
        """Return ``text`` with every occurrence of the value replaced by ``***``."""
        return text.replace(self._value, "***")

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> tuple[object, ...]:
        # Pickling (xdist, multiprocessing) would carry the raw value into other processes' logs.
        raise TypeError("Secret values are not picklable")
