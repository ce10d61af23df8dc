"""The emulator's own errors: a request its state refuses, carrying the HTTP status and GitHub's message.

The state raises them (the Python API and the ``/_emulator/`` control API see them as exceptions); the REST routes
answer them as GitHub answers the same request (:func:`cicd_acceptance.emulator.responses.refusal`)::

    EmulatorError (HarnessError)   status 400
    ├── Forbidden                  403: GitHub refuses the action in the run's current state (a re-run of a running run)
    ├── NotFound                   404: no such workflow, run or job
    ├── Conflict                   409: the action came too late (cancelling a completed run)
    ├── Unprocessable              422: a value GitHub validates is wrong (``field`` names it)
    └── OciRefused                 the emulated registry refuses a request with an OCI error ``code`` and the
                                   status distribution answers it with (``status_code``)

``reason`` says what is wrong in our words (``run 21000000001 has not completed``) and is the exception's text;
``message`` is what GitHub's body says (``This workflow is already running``), the reason when GitHub's is not
more specific.
"""

from __future__ import annotations

from typing import ClassVar

from cicd_acceptance.errors import HarnessError

__all__ = ["Conflict", "EmulatorError", "Forbidden", "NotFound", "OciRefused", "Unprocessable"]


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


class OciRefused(EmulatorError):
    """The emulated registry refuses ``method url`` with the OCI error ``code`` (``NAME_INVALID``,
    ``DIGEST_INVALID``...) and ``status_code``; ``detail`` is the ``detail`` of the answer's ``errors[]``."""

    def __init__(self, message: str, *, code: str, method: str, url: str, status_code: int = 400,
                 detail: object = None) -> None:
        self.code = code
        self.status_code = status_code
        self.detail = detail
        super().__init__(f"{method} {url}: {code}: {message}", message=message)
