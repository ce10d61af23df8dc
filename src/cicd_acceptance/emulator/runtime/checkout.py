"""A fresh checkout of a run's commit: the target's tree at that sha, extracted into a temporary directory.

The target may be a folder of a larger repository (the bundled sample is): only that folder is extracted, at the
root of the checkout, as a workflow of that repository would see it. The archive is read from ``git archive``
with a time bound and a size bound; members that are links or special files are not created (the ``data``
filter), so nothing in the checkout can point outside it.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from cicd_acceptance.errors import TargetError
from cicd_acceptance.target import git_options_without_filters

__all__ = ["MAX_CHECKOUT_BYTES", "Checkout", "tree_prefix"]

MAX_CHECKOUT_BYTES = 256 << 20
_GIT_TIMEOUT_S = 60.0


def _git(root: Path, *args: str, limit: int = 1 << 20) -> bytes:
    try:
        # The target's configuration names commands (a smudge filter, for one): none runs here.
        done = subprocess.run(["git", *git_options_without_filters(root), *args], cwd=root, capture_output=True,
                              check=False, timeout=_GIT_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TargetError(f"git {args[0]} failed: {exc}", path=str(root)) from exc
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise TargetError(f"git {args[0]} failed: {detail[-1] if detail else 'no output'}", path=str(root))
    if len(done.stdout) > limit:
        raise TargetError(f"git {args[0]} produced more than {limit} bytes", path=str(root))
    return done.stdout


def tree_prefix(root: Path) -> str:
    """The checkout folder's path inside its repository (``examples/stream-monitor/``, or ``""`` at the top)."""
    return _git(root, "rev-parse", "--show-prefix").decode("utf-8", errors="replace").strip()


class Checkout:
    """The files of ``sha`` (limited to ``prefix``) in a temporary directory; ``close()`` removes it."""

    def __init__(self, root: Path, sha: str, prefix: str) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="emulator-checkout-"))
        try:
            top = Path(_git(root, "rev-parse", "--show-toplevel").decode("utf-8", errors="replace").strip())
            data = _git(top, "archive", "--format=tar", f"{sha}:{prefix}", limit=MAX_CHECKOUT_BYTES)
            with tarfile.open(fileobj=io.BytesIO(data)) as archive:
                archive.extractall(self.path, filter="data")
        except (TargetError, tarfile.TarError, OSError) as exc:
            self.close()
            raise TargetError(f"cannot check out {sha[:12]}: {exc}", path=str(root)) from exc

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> Checkout:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
