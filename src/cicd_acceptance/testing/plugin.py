"""The pytest plugin of cicd-acceptance: options, settings resolved once, the report header, base fixtures.

Settings are resolved in ``pytest_configure`` (once per process) and kept in ``config.stash``; a bad value stops the
run with one clear line (``pytest.UsageError``), never a traceback and never a pass.
"""

from __future__ import annotations

import atexit
import gc
import os

import pytest

from cicd_acceptance.config import Options, Settings, resolve_settings
from cicd_acceptance.errors import HarnessError
from cicd_acceptance.plan import Plan
from cicd_acceptance.target import Target
from cicd_acceptance.testing.outlines import EXAMPLE_PARAMETER, plan_examples

__all__ = ["SETTINGS_KEY", "get_settings"]

SETTINGS_KEY = pytest.StashKey[Settings]()
_GROUP = "cicd-acceptance"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(_GROUP, "cicd-acceptance: what to accept and where")
    group.addoption("--repo-dir", metavar="PATH",
                    help="checkout to accept (env ACCEPTANCE_REPO_DIR; default: the bundled sample "
                         "examples/stream-monitor)")
    group.addoption("--plan", metavar="FILE",
                    help="TOML file overriding the ExecPlan's expectations (default: acceptance.toml in the target)")
    group.addoption("--github-repo", metavar="OWNER/NAME",
                    help="repository on GitHub (env GITHUB_REPOSITORY; default: the origin remote)")
    group.addoption("--github-api-url", metavar="URL",
                    help="GitHub REST API base (env GITHUB_API_URL; GHES: https://HOST/api/v3)")
    group.addoption("--registry", metavar="HOST[:PORT]", help="container registry (default from the plan: ghcr.io)")
    group.addoption("--emulator", action="store_true", default=False,
                    help="start the bundled emulator on the target and run the live checks against it")
    group.addoption("--require-live", action="store_true", default=False,
                    help="fail (instead of skip) @live scenarios that cannot run")
    group.addoption("--evidence-dir", metavar="DIR", help="write evidence.json and evidence.md there")
    group.addoption("--execplan", metavar="PATH", help="append the acceptance result to this ExecPlan's Progress")
    group.addoption("--appear-timeout", metavar="SECONDS", type=float,
                    help="how long a dispatched or expected run may take to appear (default 300)")
    group.addoption("--run-timeout", metavar="SECONDS", type=float,
                    help="how long a run may take to complete (default 3600)")


def _options(config: pytest.Config) -> Options:
    return Options(
        repo_dir=config.getoption("--repo-dir"), plan=config.getoption("--plan"),
        github_repo=config.getoption("--github-repo"), github_api_url=config.getoption("--github-api-url"),
        registry=config.getoption("--registry"), emulator=bool(config.getoption("--emulator")),
        require_live=bool(config.getoption("--require-live")), evidence_dir=config.getoption("--evidence-dir"),
        execplan=config.getoption("--execplan"), appear_timeout=config.getoption("--appear-timeout"),
        run_timeout=config.getoption("--run-timeout"),
    )


_GEN0_THRESHOLD = 20_000


def tune_gc() -> None:
    """Garbage collection for a short process that allocates a lot up front, once per process.

    A static run spends a fifth of its CPU in the cyclic collector: about ninety collections during start-up and
    the rules (the default first-generation threshold, 700 allocations, is met by every import), and a last full
    collection at interpreter exit that walks every object still alive. So: the objects of the start-up imports
    are frozen (later collections skip them), the first generation collects every 20,000 allocations instead of
    700 (a few MB more at most), and at exit everything is frozen, so finalisation frees without tracing.
    Memory still returns to the system at exit; only cycles left over at exit are not traced before it.
    """
    if gc.get_threshold()[0] >= _GEN0_THRESHOLD:
        return  # done already (pytester runs pytest again in this process)
    gc.freeze()
    gc.set_threshold(_GEN0_THRESHOLD, *gc.get_threshold()[1:])
    atexit.register(gc.freeze)


def pytest_configure(config: pytest.Config) -> None:
    tune_gc()
    try:
        config.stash[SETTINGS_KEY] = resolve_settings(_options(config), os.environ)
    except HarnessError as exc:
        raise pytest.UsageError(f"cicd-acceptance: {exc}") from None


def get_settings(config: pytest.Config) -> Settings:
    """The settings resolved for this run."""
    return config.stash[SETTINGS_KEY]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Outlines whose Examples come from the plan get one row per planned value (see ``testing.outlines``)."""
    settings = metafunc.config.stash.get(SETTINGS_KEY, None)
    if settings is None or EXAMPLE_PARAMETER not in metafunc.fixturenames:
        return
    from pytest_bdd.scenario import scenario_wrapper_template_registry as registry

    template = registry.get(metafunc.function)
    if template is None:
        return
    try:
        rows = plan_examples(template, settings.plan)
    except ValueError as exc:
        raise pytest.UsageError(f"cicd-acceptance: {exc}") from None
    if rows is not None:
        metafunc.parametrize(EXAMPLE_PARAMETER, rows, ids=["-".join(row.values()) for row in rows])


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = config.stash.get(SETTINGS_KEY, None)
    return settings.header_lines() if settings else []


@pytest.fixture(scope="session")
def acceptance_settings(pytestconfig: pytest.Config) -> Settings:
    """Every setting of this run, resolved once, with provenance."""
    return get_settings(pytestconfig)


@pytest.fixture(scope="session")
def acceptance_plan(acceptance_settings: Settings) -> Plan:
    """What the ExecPlan promised (defaults, or the target's plan file)."""
    return acceptance_settings.plan


@pytest.fixture(scope="session")
def acceptance_target(acceptance_settings: Settings) -> Target:
    """The checkout being accepted."""
    return acceptance_settings.target
