"""Wiring only: the plugins and step modules of cicd-acceptance (see docs/architecture.md).

Step modules are registered here, in the root conftest, because pytest-bdd finds step definitions among the
fixtures pytest has scanned, and ``pytest_plugins`` is only honoured at the top level.
"""

from __future__ import annotations

import importlib.util

_PLUGINS = [
    "cicd_acceptance.testing.plugin",            # options, settings, header, base fixtures
    "cicd_acceptance.testing.live_plugin",       # the live session: emulator or GitHub, clients
    "cicd_acceptance.testing.evidence_plugin",   # evidence bundle, verdict line, ExecPlan progress
    "steps.static_steps",
    "steps.live_steps",
    "steps.project_steps",                       # criteria about this repository's own workflows
]

# Modules land one by one while the harness is being built; list only those present so a partial tree still runs.
pytest_plugins = [name for name in _PLUGINS if importlib.util.find_spec(name) is not None]
