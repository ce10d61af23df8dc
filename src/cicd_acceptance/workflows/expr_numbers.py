"""Numbers in GitHub expressions: one IEEE double, parsed and printed the way GitHub's evaluator does.

GitHub's evaluator parses a string the way JavaScript's ``Number()`` does (surrounding whitespace trimmed, an empty
string is 0, ``0x``/``0o``/``0b`` prefixes, ``Infinity`` spelt exactly so; ``'1_000'`` and ``'infinity'`` are
NaN) and prints a number with its fraction rounded to 15 decimal places, then in JavaScript's shortest form
(``0.1 + 0.2`` prints ``0.3``, ``1e21`` prints ``1e+21``). Python's ``float()`` and ``repr()`` differ on exactly
those points, so both directions are written out here.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Context, Decimal

__all__ = ["MAX_EXACT_INT", "js_number_text", "number_text", "parse_number", "utf16_length"]

# Integers up to 2**53 are exact doubles: kept as int (prints without '.0'), anything larger becomes a float.
MAX_EXACT_INT = 2**53

# ECMAScript's WhiteSpace and LineTerminator code points: what Number() and String.prototype.trim() remove.
JS_WHITESPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
    "\u2028\u2029\u202f\u205f\u3000\ufeff"

_DECIMAL = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_PREFIXED = re.compile(r"0(?:[xX](?P<hex>[0-9a-fA-F]+)|[oO](?P<oct>[0-7]+)|[bB](?P<bin>[01]+))")
_FIFTEEN_PLACES = Decimal("1e-15")
_EXACT = Context(prec=400)  # enough for any double below 1e21 with 15 places


def parse_number(text: str) -> int | float:
    """``Number(text)`` in JavaScript: the value, or NaN when the whole (trimmed) text is not a number."""
    stripped = text.strip(JS_WHITESPACE)
    if not stripped:
        return 0
    prefixed = _PREFIXED.fullmatch(stripped)
    if prefixed is not None:
        base = 16 if prefixed.group("hex") else 8 if prefixed.group("oct") else 2
        return exact(int(stripped[2:], base))
    if _DECIMAL.fullmatch(stripped) is None:
        return math.nan
    if stripped.lstrip("+-") == "Infinity":
        return -math.inf if stripped.startswith("-") else math.inf
    value = float(stripped)  # correctly rounded, as JavaScript's
    return exact(int(value)) if value.is_integer() and abs(value) <= MAX_EXACT_INT else value


def exact(value: int) -> int | float:
    """An integer as GitHub holds it: exact up to 2**53, otherwise rounded to the nearest double."""
    if abs(value) <= MAX_EXACT_INT:
        return value
    try:
        return float(value)
    except OverflowError:  # past the largest double: JavaScript's Number() gives Infinity
        return math.inf if value > 0 else -math.inf


def number_text(value: float) -> str:
    """A number converted to a string: at most 15 decimal places, then JavaScript's shortest form."""
    if value == 0:
        return "0"
    if isinstance(value, int):
        return js_number_text(value)
    if math.isnan(value) or math.isinf(value) or abs(value) >= 1e21:
        return js_number_text(value)
    # toFixed(15): the exact decimal value rounded half away from zero, then read back as a double.
    rounded = Decimal(value).quantize(_FIFTEEN_PLACES, rounding=ROUND_HALF_UP, context=_EXACT)
    return js_number_text(float(rounded))


def js_number_text(value: float) -> str:
    """JavaScript's ``Number.prototype.toString()``: shortest round-trip digits, exponent from 1e21 and below 1e-6."""
    if isinstance(value, int) and abs(value) < 10**21:
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    # repr() gives the shortest digits that round-trip, as JavaScript does; only the layout differs.
    parts = Decimal(repr(abs(float(value)))).normalize().as_tuple()
    digits = "".join(str(digit) for digit in parts.digits)
    point = len(digits) + int(parts.exponent)  # value = 0.<digits> * 10**point
    count = len(digits)
    if count <= point <= 21:
        body = digits + "0" * (point - count)
    elif 0 < point <= 21:
        body = f"{digits[:point]}.{digits[point:]}"
    elif -6 < point <= 0:
        body = f"0.{'0' * -point}{digits}"
    else:
        power = point - 1
        body = f"{digits[0]}{'.' + digits[1:] if count > 1 else ''}e{'+' if power >= 0 else '-'}{abs(power)}"
    return sign + body


def utf16_length(text: str) -> int:
    """The length JavaScript and .NET report: code points outside the BMP count twice."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)
