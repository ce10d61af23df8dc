"""The pytest adapter of the evidence package: ``record_evidence``, the collector, the verdict line, the bundle.

Every process (controller and pytest-xdist workers) tags scenario items with ``("cicd_scenario", json)`` and lets
steps add ``("cicd_evidence", json)`` to ``user_properties``; pytest ships those with each report, so the collector,
which lives on the controller only, sees everything whether or not the run is distributed. At the end of the session
the controller writes the bundle (``--evidence-dir``), the ExecPlan entry (``--execplan``), the GitHub Actions job
summary and annotations, and, as the very last line of the output, the verdict.

Other plugins import :func:`add_secret` from here, possibly before pytest registers this module as a plugin; the
marker PYTEST_DONT_REWRITE (this module has no asserts to rewrite) keeps pytest from warning about that order.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Generator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cicd_acceptance.errors import HarnessError
from cicd_acceptance.evidence.actions import annotation_lines, append_step_summary, group
from cicd_acceptance.evidence.bundle import build_evidence, run_context, utc_now, write_bundle
from cicd_acceptance.evidence.collector import (
    EVIDENCE_PROPERTY,
    SCENARIO_PROPERTY,
    Collector,
    PhaseReport,
    is_criterion_nodeid,
)
from cicd_acceptance.evidence.execplan import check_execplan, progress_entry, record_progress
from cicd_acceptance.evidence.jsonable import Redactor, to_jsonable
from cicd_acceptance.evidence.markdown import render_markdown
from cicd_acceptance.evidence.model import EVIDENCE_KINDS, Evidence, ScenarioResult
from cicd_acceptance.evidence.verdict import Verdict, decide, is_rehearsal
from cicd_acceptance.secret import Secret
from cicd_acceptance.testing.plugin import SETTINGS_KEY

if TYPE_CHECKING:
    from pytest_bdd.parser import ScenarioTemplate

__all__ = ["SECRETS_KEY", "RecordEvidence", "add_secret", "record_evidence", "scenario_template"]

RecordEvidence = Callable[[str, Mapping[str, object]], None]
SECRETS_KEY = pytest.StashKey[list[Secret]]()
_NOT_RUN_KEY = pytest.StashKey[set[str]]()
_WORKER_NOT_RUN = "cicd_not_run"
_TOKEN_ENV = ("GITHUB_TOKEN", "GH_TOKEN")
_MESSAGE_LIMIT = 300
# pytest registers its own markers in the same ini list; they say nothing about what a criterion is.
_PYTEST_MARKERS = {"filterwarnings", "parametrize", "skip", "skipif", "tryfirst", "trylast", "usefixtures", "xfail"}


def add_secret(config: pytest.Config, secret: Secret) -> None:
    """Register a credential (e.g. the emulator's token) so evidence and messages redact it too."""
    config.stash.setdefault(SECRETS_KEY, []).append(secret)


_REDACTOR_KEY = pytest.StashKey[tuple[int, Redactor]]()


def _redactor(config: pytest.Config) -> Redactor:
    """Redacts every known token; rebuilt only when a secret was added since (base64 forms cost a little)."""
    extra: list[Secret] = config.stash.get(SECRETS_KEY, [])
    cached = config.stash.get(_REDACTOR_KEY, None)
    if cached is not None and cached[0] == len(extra):
        return cached[1]
    settings = config.stash.get(SETTINGS_KEY, None)
    known: list[str | Secret | None] = [settings.token if settings else None]
    known += [os.environ.get(name) for name in _TOKEN_ENV]
    known += extra
    redactor = Redactor(known)
    config.stash[_REDACTOR_KEY] = (len(extra), redactor)
    return redactor


@pytest.fixture
def record_evidence(request: pytest.FixtureRequest) -> RecordEvidence:
    """``record_evidence(kind, data)``: attach JSON-able evidence (secrets redacted) to the current scenario."""
    redact = _redactor(request.config)

    def record(kind: str, data: Mapping[str, object]) -> None:
        if kind not in EVIDENCE_KINDS:
            # A step recording a kind that does not exist is a bug in the step, not a setting.
            raise ValueError(f"record_evidence: unknown evidence kind {kind!r}; expected one of "
                             f"{', '.join(EVIDENCE_KINDS)}")
        doc = {"kind": kind, "data": to_jsonable(dict(data), redact)}
        request.node.user_properties.append((EVIDENCE_PROPERTY, json.dumps(doc, sort_keys=True)))

    return record


# --- every process: tag scenario items, remember deselected criteria -------------------------------------------


def scenario_template(item: pytest.Item) -> ScenarioTemplate | None:
    """pytest-bdd's template (feature, name, steps) of the scenario ``item`` runs; None for any other item."""
    function = getattr(item, "function", None)
    if function is None:
        return None
    try:
        from pytest_bdd.scenario import scenario_wrapper_template_registry as registry
    except ImportError:  # pragma: no cover - pytest-bdd is a dependency; a version without the registry
        return None
    return registry.get(function)


def _scenario_meta(item: pytest.Item) -> dict[str, object] | None:
    """Feature and scenario of a pytest-bdd item, from pytest-bdd's registry (its docstring as a fallback)."""
    function = getattr(item, "function", None)
    if function is None:
        return None
    template = scenario_template(item)
    if template is not None:
        meta: dict[str, object] = {"feature": template.feature.name, "feature_file": template.feature.rel_filename,
                                   "scenario": template.name, "line": template.line_number}
    else:
        feature, sep, scenario = (function.__doc__ or "").partition(": ")
        if not (sep and is_criterion_nodeid(item.nodeid)):
            return None
        meta = {"feature": feature, "scenario": scenario}
    return {**meta, **_outline_row(item, str(meta["scenario"]))}


def _outline_row(item: pytest.Item, name: str) -> dict[str, object]:
    """An outline row: its name with the example values filled in, else the row id to show beside the name."""
    _, bracket, row = item.nodeid.partition("[")
    callspec = getattr(item, "callspec", None)
    example = callspec.params.get("_pytest_bdd_example") if callspec is not None else None
    if isinstance(example, dict):
        rendered = name
        for key, value in example.items():
            rendered = rendered.replace(f"<{key}>", str(value))
        if rendered != name:
            return {"scenario": rendered, "row": ""}
    return {"row": row.rstrip("]") if bracket else ""}


def _title(item: pytest.Item) -> str:
    meta = _scenario_meta(item) or {}
    name, row = str(meta.get("scenario") or item.name), str(meta.get("row") or "")
    return f"{name} [{row}]" if row else name


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        meta = _scenario_meta(item)
        if meta is not None:
            item.user_properties.append((SCENARIO_PROPERTY, json.dumps(meta, sort_keys=True)))


def pytest_deselected(items: Sequence[pytest.Item]) -> None:
    titles = {_title(i) for i in items if is_criterion_nodeid(i.nodeid)}
    if not titles:
        return
    config = items[0].config
    config.stash.setdefault(_NOT_RUN_KEY, set()).update(titles)
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller reads this in pytest_testnodedown
        titles_so_far: set[str] = config.stash[_NOT_RUN_KEY]
        workeroutput[_WORKER_NOT_RUN] = json.dumps(sorted(titles_so_far))


@pytest.hookimpl(trylast=True)  # after cicd_acceptance.testing.plugin has resolved the settings
def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return  # xdist worker: the controller collects
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is not None and settings.execplan is not None:
        try:
            check_execplan(settings.execplan)
        except HarnessError as exc:
            raise pytest.UsageError(f"cicd-acceptance: {exc}") from None
    config.pluginmanager.register(EvidenceSession(config), "cicd-evidence-session")


# --- controller only ------------------------------------------------------------------------------------------------


def _short(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    if not lines:
        return ""
    first = lines[0] if len(lines) == 1 else f"{lines[0]} (+{len(lines) - 1} more lines)"
    return first if len(first) <= _MESSAGE_LIMIT else first[: _MESSAGE_LIMIT - 3] + "..."


def _message(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if report.skipped and isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    crash: object = getattr(longrepr, "reprcrash", None)
    crash_message = str(getattr(crash, "message", "") or "")
    if crash_message:
        return _short(crash_message)
    return _short(str(longrepr or "")) if report.failed else ""


def _wasxfail(report: pytest.TestReport) -> str | None:
    value = getattr(report, "wasxfail", None)
    return None if value is None else str(value)


class EvidenceSession:
    """Collects criteria on the controller and reports at the end of the session."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.collector = Collector()
        self.started_at = utc_now()
        registered = {line.split(":")[0].split("(")[0].strip() for line in config.getini("markers")}
        self.markers = registered - _PYTEST_MARKERS

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        markers = tuple(sorted(k for k in report.keywords if k in self.markers))
        self.collector.add(PhaseReport(
            nodeid=report.nodeid, when=report.when or "call", outcome=report.outcome, duration=report.duration,
            markers=markers, user_properties=tuple(report.user_properties),
            message=_redactor(self.config)(_message(report)), wasxfail=_wasxfail(report),
            worker=str(getattr(report, "worker_id", "main")),
        ))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            self.collector.expect(item.nodeid, _title(item))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: object, ids: list[str]) -> None:
        # The controller never sees the items, only their ids: name a missing one by its test name.
        for nodeid in ids:
            self.collector.expect(nodeid, nodeid.split("::")[-1])

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: object, error: object) -> None:
        output = getattr(node, "workeroutput", {}) or {}
        if _WORKER_NOT_RUN in output:
            self.collector.add_not_run(json.loads(output[_WORKER_NOT_RUN]))

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> Generator[None, object, object]:
        # Outermost wrapper: the terminal reporter's summary and stats print inside, so our lines come last.
        result = yield
        if self.config.option.collectonly:
            return result  # nothing ran, nothing to judge
        deselected: set[str] = self.config.stash.get(_NOT_RUN_KEY, set())
        self.collector.add_not_run(deselected)
        results = self.collector.results()
        settings = self.config.stash.get(SETTINGS_KEY, None)
        rehearsal = is_rehearsal(settings.live_mode if settings else "off", results)
        # Missing results: the run stopped early (Ctrl-C, -x, a crashed worker); not left out on purpose.
        verdict = decide(results, not_run=sorted(self.collector.not_run), unfinished=self.collector.missing(),
                         rehearsal=rehearsal)
        if verdict is not None and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = verdict.exit_code  # only ever raised: a failing harness test stays a failure
        if not self._report(results, verdict) and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED  # evidence asked for but not written is a failure
        if verdict is not None:
            self._write(verdict.line)
        return result

    def _report(self, results: list[ScenarioResult], verdict: Verdict | None) -> bool:
        """Bundle, ExecPlan entry, Actions output; each is tried even when another fails. False if one failed."""
        settings = self.config.stash.get(SETTINGS_KEY, None)
        if verdict is None and (settings is None or settings.evidence_dir is None):
            return True
        ev = build_evidence(context=run_context(settings, _redactor(self.config)), results=results,
                            verdict=verdict, api_budget=self.collector.api_budget(), started_at=self.started_at,
                            finished_at=utc_now())
        parts: list[Callable[[], None]] = []
        if settings is not None and settings.evidence_dir is not None:
            parts.append(functools.partial(self._bundle, ev, settings.evidence_dir))
        if settings is not None and settings.execplan is not None:
            parts.append(functools.partial(self._execplan, ev, verdict, settings.execplan))
        parts.append(functools.partial(self._actions, ev, settings.repo_dir if settings else Path.cwd()))
        ok = True
        for part in parts:
            try:
                part()
            except HarnessError as exc:
                self._write(f"cicd-acceptance: {exc}")
                ok = False
        return ok

    def _bundle(self, ev: Evidence, directory: Path) -> None:
        written = write_bundle(directory, ev)
        self._write(f"cicd-acceptance: evidence written to {', '.join(str(p) for p in written)}")

    def _execplan(self, ev: Evidence, verdict: Verdict | None, path: Path) -> None:
        if verdict is None:
            self._write(f"cicd-acceptance: no acceptance criterion ran; nothing recorded in {path}")
            return
        changed = record_progress(path, progress_entry(ev, verdict_reason=verdict.reason))
        self._write(f"cicd-acceptance: {'progress recorded in' if changed else 'this run is already recorded in'} "
                    f"{path}")

    def _actions(self, ev: Evidence, repo_dir: Path) -> None:
        if not ev.scenarios:
            return
        if os.environ.get("GITHUB_STEP_SUMMARY", "").strip():
            append_step_summary(render_markdown(ev))
        if os.environ.get("GITHUB_ACTIONS", "").strip().lower() != "true":
            return
        criteria = [f"{s.outcome:8} {s.title}{': ' + s.reason if s.reason else ''}" for s in ev.scenarios]
        for line in group(f"Acceptance criteria ({len(criteria)})", criteria):
            self._write(line)
        # The runner resolves annotation paths against the workspace, which is not the cwd of a step that sets
        # working-directory (the template runs the harness from harness/ and checks the target out in target/).
        workspace = Path(os.environ.get("GITHUB_WORKSPACE") or Path.cwd())
        for line in annotation_lines(ev.scenarios, repo_dir=repo_dir, workspace=workspace):
            self._write(line)

    def _write(self, line: str) -> None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(line)
        else:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
