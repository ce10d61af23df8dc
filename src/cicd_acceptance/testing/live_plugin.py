"""The pytest adapter of the live acceptance: the session-scoped ``live_session`` fixture.

* live mode ``emulator``: the bundled emulator is started in-process on the target (127.0.0.1, a free port), its
  clock and ours compressed (:data:`~cicd_acceptance.live.emulated.EMULATOR_SPEED`), the settings pointed at it,
  its token registered for redaction; it stops at the end of the session;
* ``github``: the settings as resolved (real GitHub and registry);
* ``off``: every ``@live`` scenario is skipped with the reason, or fails under ``--require-live``.

Either way one :class:`~cicd_acceptance.live.acceptance.LiveSession` serves the whole session: the default branch's
HEAD is pinned once, and the build is dispatched at most once. A client error while opening the session (bad
token, unknown repository) fails the live scenarios with the error's one-line message, never a traceback.
Fixtures ``live_transports`` and ``live_emulator_speed`` may be overridden (tests inject transports).

Under pytest-xdist every worker has its own session fixtures, so each would dispatch its own build. When live
checks are on and ``-n`` distributes test by test (``--dist load``/``worksteal``), the plugin supplies the scheduler:
the scenarios of each module under ``bdd_features_base_dir`` form one unit (one worker), every other test is a unit
of its own, as with ``load``. (``loadgroup`` would be the usual tool, but pytest-xdist 3.8 marks groups through
``item._nodeid``, which pytest 9.2 no longer reads, so it does not group.)
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cicd_acceptance.config import Settings
from cicd_acceptance.errors import HarnessError
from cicd_acceptance.testing.plugin import SETTINGS_KEY

if TYPE_CHECKING:
    # The live modules (clients, emulator wiring) are imported by the fixtures that use them, so a run that
    # selects only static criteria does not pay for loading them at start-up.
    from cicd_acceptance.live.acceptance import LiveSession
    from cicd_acceptance.live.emulated import LiveTransports, RunningEmulator
    from cicd_acceptance.live.progress import ProgressPrinter
    from cicd_acceptance.live.waiter import RunChange

__all__ = ["live_emulator", "live_emulator_speed", "live_session", "live_transports"]

_SPLITTING_DIST = ("load", "worksteal")
_FEATURES_TOGETHER = pytest.StashKey[str]()


@pytest.hookimpl(trylast=True)  # after cicd_acceptance.testing.plugin has resolved the settings
def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or not config.pluginmanager.hasplugin("xdist"):
        return
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is not None and settings.live_mode != "off" and getattr(config.option, "dist", "no") in _SPLITTING_DIST:
        base = Path(str(config.getini("bdd_features_base_dir") or "features"))
        if base.is_absolute():
            base = base.relative_to(config.rootpath) if base.is_relative_to(config.rootpath) else Path("features")
        config.stash[_FEATURES_TOGETHER] = base.as_posix().strip("/") + "/"


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Keep each feature module on one worker (see the module docstring); None: xdist's own choice."""
    found = config.stash.get(_FEATURES_TOGETHER, None)
    if found is None:
        return None
    prefix: str = found
    from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]  # only under xdist

    class FeaturesTogether(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return nodeid.split("::", 1)[0] if nodeid.startswith(prefix) else nodeid

    return FeaturesTogether(config, log)


@pytest.fixture(scope="session")
def live_transports() -> LiveTransports:
    """Transports of the live clients; the network by default."""
    from cicd_acceptance.live.emulated import LiveTransports

    return LiveTransports()


@pytest.fixture(scope="session")
def live_emulator_speed() -> float:
    """How many emulated seconds pass per real second when the bundled emulator stands in for GitHub."""
    from cicd_acceptance.live.emulated import EMULATOR_SPEED

    return EMULATOR_SPEED


def _unavailable(settings: Settings) -> None:
    reason = f"live checks are off: {settings.live_off_reason}"
    if settings.require_live:
        pytest.fail(f"--require-live: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def live_emulator(request: pytest.FixtureRequest, acceptance_settings: Settings,
                  live_emulator_speed: float) -> Iterator[RunningEmulator | None]:
    """The running emulator in live mode ``emulator`` (None otherwise); stopped at the end of the session."""
    settings = acceptance_settings
    if settings.live_mode != "emulator":
        yield None
        return
    from cicd_acceptance.live.emulated import start_emulator

    try:
        emulator = start_emulator(settings.repo_dir, repository=settings.repository, speed=live_emulator_speed)
    except HarnessError as exc:
        pytest.fail(f"cannot start the bundled emulator: {exc}", pytrace=False)
    # Imported here: the evidence plugin is registered after this one, and importing it first would keep pytest
    # from rewriting its assertions.
    from cicd_acceptance.testing.evidence_plugin import add_secret

    add_secret(request.config, emulator.state.token)
    try:
        yield emulator
    finally:
        emulator.stop()


def _progress(config: pytest.Config, label: str) -> tuple[ProgressPrinter, Callable[[RunChange], None]]:
    """Progress lines on the real terminal while pytest captures output (a long build should not look hung)."""
    from cicd_acceptance.live.progress import ProgressPrinter

    stream = sys.__stderr__ or sys.stderr
    printer = ProgressPrinter(stream, label=label)
    capture = config.pluginmanager.getplugin("capturemanager")
    started: list[bool] = []

    def show(change: RunChange) -> None:
        if not started:
            stream.write("\n")  # pytest's progress dots are mid-line
            started.append(True)
        printer(change)

    def on_change(change: RunChange) -> None:
        if capture is None:
            show(change)
            return
        with capture.global_and_fixture_disabled():
            show(change)

    return printer, on_change


@pytest.fixture(scope="session")
def live_session(request: pytest.FixtureRequest, acceptance_settings: Settings,
                 live_emulator: RunningEmulator | None, live_transports: LiveTransports) -> Iterator[LiveSession]:
    """The live session of this run (see the module docstring)."""
    from cicd_acceptance.live.emulated import open_live_session
    from cicd_acceptance.live.timing import LiveTiming

    settings = acceptance_settings
    if settings.live_mode == "off":
        _unavailable(settings)
    timing = LiveTiming(appear_timeout_s=settings.appear_timeout_s, run_timeout_s=settings.run_timeout_s)
    actor = None
    if live_emulator is not None:
        settings, timing = live_emulator.settings_for(settings), live_emulator.timing(settings)
        actor = live_emulator.state.identity.owner
    progress, on_change = _progress(request.config, settings.plan.build_workflow_file)
    failure = ""
    try:
        session = open_live_session(settings, timing, transports=live_transports, actor=actor,
                                    started_emulator=live_emulator is not None, on_change=on_change)
    except HarnessError as exc:
        failure = f"cannot open the live session: {exc}"
    if failure:  # failed outside the except block, so the report shows one line, not the exception chain
        pytest.fail(failure, pytrace=False)
    try:
        yield session
    finally:
        progress.close()
        session.close()
