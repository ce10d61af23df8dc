"""Wiring only: the plugins and step modules of cicd-acceptance (see docs/architecture.md).

Step modules are registered here, in the root conftest, because pytest-bdd finds step definitions among the
fixtures pytest has scanned, and ``pytest_plugins`` is only honoured at the top level.
"""

from __future__ import annotations

_PLUGINS = [
    "cicd_acceptance.testing.plugin",            # options, settings, header, base fixtures
    "cicd_acceptance.testing.live_plugin",       # the live session: emulator or GitHub, clients
    "cicd_acceptance.testing.evidence_plugin",   # evidence bundle, verdict line, ExecPlan progress
    "cicd_acceptance.testing.static_plugin",     # static rule results, prefetch, verdict of a rule
    "steps.static_steps",
    "steps.live_steps",
    "steps.project_steps",                       # criteria about this repository's own workflows
]

# Every module must be there: a typo or a missing file must stop the run, not switch a plugin off without a word.
pytest_plugins = list(_PLUGINS)
