"""Byte ranges of a blob answer, exactly as the CNCF distribution registry serves them.

Distribution hands a blob to Go's ``http.ServeContent``, so its range rules are Go's (checked against
distribution 2.8.2 on 127.0.0.1; ``tests/emulator/test_registry_real.py`` compares the two):

* the header must start with ``bytes=`` exactly (``BYTES=``, ``bytes =`` or another unit: 416 without
  ``Content-Range``); ranges are split on ``,``, blanks around each are trimmed and empty ones skipped
  (``bytes=`` alone is no range at all: 200);
* ``a-b`` (``b`` capped at the last byte), ``a-`` and the suffix ``-n`` (capped at the size, ``-0`` is an empty
  range); a malformed range or ``a > b`` fails the whole header (416 without ``Content-Range``); a range starting
  at or past the end is dropped, and when every range was dropped the answer is 416 with ``bytes */size``;
* ranges that together ask for more bytes than the blob has are ignored (200, the whole blob): Go's guard against
  a client asking for the same bytes many times;
* one range: 206 with ``Content-Range``; several: 206 ``multipart/byteranges``, one part per range in the order
  asked (overlaps kept), each with its own ``Content-Range`` and the blob's ``Content-Type``.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

__all__ = ["ByteRange", "RangeNotSatisfiable", "multipart_byteranges", "parse_ranges"]

_UNIT = "bytes="
_INTEGER = re.compile(r"[+-]?[0-9]+")  # Go's strconv.ParseInt(s, 10, 64): an optional sign, ASCII digits
_INT64_MAX = 2**63 - 1
_BLANKS = " \t\r\n"  # Go's textproto.TrimString


@dataclass(frozen=True)
class ByteRange:
    """``length`` bytes from ``start`` (``length`` 0 for the suffix ``-0``)."""

    start: int
    length: int

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.start + self.length - 1}/{size}"


class RangeNotSatisfiable(Exception):
    """416. ``no_overlap``: every range starts past the end (the answer then names the size)."""

    def __init__(self, *, no_overlap: bool) -> None:
        super().__init__("invalid range: failed to overlap" if no_overlap else "invalid range")
        self.no_overlap = no_overlap


def _integer(text: str) -> int | None:
    if not _INTEGER.fullmatch(text):
        return None
    value = int(text)
    return value if abs(value) <= _INT64_MAX else None


def _one(spec: str, size: int) -> ByteRange | None:
    """One ``a-b``/``a-``/``-n`` of a blob of ``size`` bytes; None when it starts past the end."""
    first, dash, last = spec.partition("-")
    if not dash:
        raise RangeNotSatisfiable(no_overlap=False)
    first, last = first.strip(_BLANKS), last.strip(_BLANKS)
    if not first:
        count = _integer(last) if last and not last.startswith("-") else None
        if count is None or count < 0:
            raise RangeNotSatisfiable(no_overlap=False)
        count = min(count, size)
        return ByteRange(size - count, count)
    start = _integer(first)
    if start is None or start < 0:
        raise RangeNotSatisfiable(no_overlap=False)
    if start >= size:
        return None
    if not last:
        return ByteRange(start, size - start)
    end = _integer(last)
    if end is None or start > end:
        raise RangeNotSatisfiable(no_overlap=False)
    return ByteRange(start, min(end, size - 1) - start + 1)


def parse_ranges(header: str, size: int) -> list[ByteRange]:
    """The ranges a ``Range`` header asks of a blob of ``size`` bytes; [] to send the whole blob (200).

    Raises :class:`RangeNotSatisfiable` for a 416. The number of ranges is bounded by the header's length, and
    the bytes they ask for by ``size`` (more is answered with the whole blob).
    """
    if not header:
        return []
    if not header.startswith(_UNIT):
        raise RangeNotSatisfiable(no_overlap=False)
    ranges: list[ByteRange] = []
    dropped = False
    for spec in header[len(_UNIT):].split(","):
        spec = spec.strip(_BLANKS)
        if not spec:
            continue
        found = _one(spec, size)
        dropped = dropped or found is None
        if found is not None:
            ranges.append(found)
    if dropped and not ranges:
        raise RangeNotSatisfiable(no_overlap=True)
    return [] if sum(r.length for r in ranges) > size else ranges


def multipart_byteranges(data: bytes, ranges: list[ByteRange], content_type: str) -> tuple[str, bytes]:
    """(``Content-Type``, body) of a 206 with several ranges, laid out as Go's ``mime/multipart`` writes it
    (a 60-character boundary, as Go's, so the lengths match distribution's too)."""
    boundary = secrets.token_hex(30)
    parts = [f"--{boundary}\r\nContent-Range: {r.content_range(len(data))}\r\nContent-Type: {content_type}\r\n\r\n"
             .encode() + data[r.start:r.start + r.length] for r in ranges]
    body = b"\r\n".join(parts) + f"\r\n--{boundary}--\r\n".encode()
    return f"multipart/byteranges; boundary={boundary}", body
