"""Writing files so that a reader never sees half of one: a temp file in the same folder, fsync, then rename."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` in one step; ``mode`` keeps a file's permissions (else the umask default).

    ``open(..., "xb")`` rather than ``mkstemp``: a new file gets the mode a plain ``open()`` gives, not mkstemp's
    0600, without touching the process-wide umask. Raises ``OSError``; callers say what they were writing.
    """
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
