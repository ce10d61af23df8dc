"""Run a call that might block on a FIFO, without letting it hang the test run."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest


def within(seconds: float, call: Callable[[], object], fifo: Path) -> BaseException | None:
    """Run ``call`` in a daemon thread; the exception it raised, or None. If it blocks on ``fifo`` for more than
    ``seconds``, open the FIFO's other end (which releases it) and fail the test."""
    caught: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:  # handed back to the test
            caught.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        thread.join(5)
        pytest.fail(f"blocked on the FIFO {fifo.name} for more than {seconds}s")
    return caught[0] if caught else None
