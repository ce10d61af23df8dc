"""Live acceptance: what GitHub Actions and the registry say about the pinned commit.

Modules: ``ci_status`` (is CI green for a commit and event), ``dispatch`` (dispatch once and find *that* run),
``waiter`` (wait with conditional requests), ``progress`` (status lines), ``images`` (per-service image facts),
``build`` (snapshot -> dispatch -> wait -> verify), ``acceptance`` (the session the steps use), ``verdicts``,
``timing`` and ``emulated`` (wiring to the bundled emulator). Import from the modules: the package re-exports
nothing, so loading one light module (the verdicts the step definitions name) does not load the HTTP clients.
"""

from __future__ import annotations

__all__: list[str] = []
