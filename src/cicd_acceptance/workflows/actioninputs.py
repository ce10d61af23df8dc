"""How JavaScript actions read a boolean input (``@actions/core``'s ``getBooleanInput``).

docker/build-push-action (v3 on) reads ``push``, ``load``, ``pull`` and ``no-cache`` so: the text, trimmed, must be
one of YAML 1.2's core-schema booleans, ``true | True | TRUE | false | False | FALSE``. Anything else (``yes``,
``on``, ``1``, ``tRuE``) throws, and the step fails before it builds: it publishes nothing. The static model and the
emulator read them alike.
"""

from __future__ import annotations

__all__ = ["BOOLEAN_SPELLINGS", "BUILD_PUSH_BOOLEANS", "boolean_input"]

_TRUE = ("true", "True", "TRUE")
_FALSE = ("false", "False", "FALSE")
BOOLEAN_SPELLINGS = " | ".join((*_TRUE, *_FALSE))
BUILD_PUSH_BOOLEANS = ("push", "load", "pull", "no-cache")


def boolean_input(text: str) -> bool | None:
    """The boolean ``text`` stands for, or None when ``getBooleanInput`` refuses it."""
    value = text.strip()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None
