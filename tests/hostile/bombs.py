"""Compressed bodies that inflate far beyond their size, built in well under a second."""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache


@lru_cache(maxsize=4)
def gzip_bomb(inflated_mib: int = 128, fill: bytes = b" ") -> bytes:
    """A valid gzip body (about 1 KB per MiB) that inflates to ``inflated_mib`` MiB of ``fill``.

    A full flush resets the compressor's history, so every MiB compresses to the same bytes: compress one MiB
    once and repeat it, rather than deflating a gigabyte in the test.
    """
    chunk = fill * (1 << 20)
    raw = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = raw.compress(chunk) + raw.flush(zlib.Z_FULL_FLUSH)
    tail = raw.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(inflated_mib):
        crc = zlib.crc32(chunk, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, (len(chunk) * inflated_mib) & 0xFFFFFFFF)
    return header + block * inflated_mib + tail + trailer
