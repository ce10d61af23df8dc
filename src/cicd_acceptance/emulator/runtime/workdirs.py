"""Runner directories at stable paths, as a hosted runner has (``/home/runner/work/<repo>/<repo>``).

A job takes the first free slot under ``base`` (an exclusive ``flock`` on the slot's lock file, so emulators in
other processes never share one), empties it, and empties it again when done. Stable paths matter for speed as
well as fidelity: Go's build and test caches key packages by their directory, so the same commit tested in the
same slot is a cache hit.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

from cicd_acceptance.errors import HarnessError

__all__ = ["MAX_SLOTS", "WorkDir"]

MAX_SLOTS = 32


class WorkDir:
    """An exclusive, empty directory ``path`` under ``base`` until :meth:`close`."""

    def __init__(self, base: Path) -> None:
        base.mkdir(parents=True, exist_ok=True)
        for slot in range(MAX_SLOTS):
            lock = os.open(base / f"{slot}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(lock)
                continue
            self._lock = lock
            self.path = base / str(slot)
            shutil.rmtree(self.path, ignore_errors=True)
            self.path.mkdir()
            return
        raise HarnessError(f"no free runner directory under {base} ({MAX_SLOTS} jobs are running)")

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        fcntl.flock(self._lock, fcntl.LOCK_UN)
        os.close(self._lock)

    def __enter__(self) -> WorkDir:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
