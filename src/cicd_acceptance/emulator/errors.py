"""The emulator's own errors: a request its state refuses, carrying the HTTP status and GitHub's message.

The state raises them (the Python API and the ``/_emulator/`` control API see them as exceptions); the REST routes
answer them as GitHub answers the same request (:func:`cicd_acceptance.emulator.responses.refusal`)::

    EmulatorError (HarnessError)   status 400
    ├── Forbidden                  403: GitHub refuses the action in the run's current state (a re-run of a running run)
    ├── NotFound                   404: no such workflow, run or job
    ├── Conflict                   409: the action came too late (cancelling a completed run)
    └── Unprocessable              422: a value GitHub validates is wrong (``field`` names it)

``reason`` says what is wrong in our words (``run 21000000001 has not completed``) and is the exception's text;
``message`` is what GitHub's body says (``This workflow is already running``), the reason when GitHub's is not
more specific.
"""

from __future__ import annotations

from typing import ClassVar

from cicd_acceptance.errors import HarnessError

__all__ = ["Conflict", "EmulatorError", "Forbidden", "NotFound", "Unprocessable"]


class EmulatorError(HarnessError):
    """A request the emulated GitHub refuses; ``status`` is the HTTP status GitHub answers it with."""

    status: ClassVar[int] = 400

    def __init__(self, reason: str, *, message: str | None = None, field: str | None = None) -> None:
        self.reason = reason
        self.message = message or reason
        self.field = field
        super().__init__(reason)


class Forbidden(EmulatorError):
    """403: refused in the current state of the run (GitHub's answer to a re-run it will not do)."""

    status = 403


class NotFound(EmulatorError):
    """404: the workflow, run or job does not exist."""

    status = 404


class Conflict(EmulatorError):
    """409: the action no longer applies (the run has completed)."""

    status = 409


class Unprocessable(EmulatorError):
    """422: a value of the request is invalid; ``field`` names it in GitHub's ``errors[]``."""

    status = 422
