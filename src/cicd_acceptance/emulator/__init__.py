"""A local stand-in for GitHub's REST API and GHCR that real clients accept, with a workflow executor and faults.

State + routes + server, no module-level state: build an :class:`EmulatorState` from a checkout, get the WSGI app
with :func:`make_app`, and either use it in-process (``EmulatorTransport``) or serve it with
:class:`ThreadedServer`. ``python -m cicd_acceptance.emulator --repo-dir PATH`` does the latter from a shell.
"""

from __future__ import annotations

from cicd_acceptance.emulator.app import make_app
from cicd_acceptance.emulator.server import ThreadedServer
from cicd_acceptance.emulator.state import EmulatorConfig, EmulatorState
from cicd_acceptance.emulator.transport import EmulatorTransport

__all__ = ["EmulatorConfig", "EmulatorState", "EmulatorTransport", "ThreadedServer", "make_app"]
