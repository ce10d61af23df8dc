"""Fold pytest's per-phase reports into one :class:`ScenarioResult` per criterion.

The pytest adapter turns each report into a :class:`PhaseReport` of plain values (so this module needs no pytest)
and feeds it here on the controller process. Everything a scenario recorded travels in the report's
``user_properties`` as ``("cicd_scenario", json)`` and ``("cicd_evidence", json)``, which pytest-xdist carries from
workers to the controller; that is why evidence is collected here and never from cucumber JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from cicd_acceptance.evidence.jsonable import JSON
from cicd_acceptance.evidence.model import EvidenceEntry, Outcome, ScenarioResult

__all__ = [
    "EVIDENCE_PROPERTY",
    "SCENARIO_PROPERTY",
    "Collector",
    "PhaseReport",
    "is_criterion_nodeid",
]

SCENARIO_PROPERTY = "cicd_scenario"
EVIDENCE_PROPERTY = "cicd_evidence"
_CRITERIA_DIR = "features"
_BUDGET_SUMS = ("requests", "counted", "not_modified")


def is_criterion_nodeid(nodeid: str) -> bool:
    """Only items collected from ``features/`` are acceptance criteria; the harness's own tests are not."""
    return nodeid.replace("\\", "/").split("/", 1)[0] == _CRITERIA_DIR


@dataclass(frozen=True)
class PhaseReport:
    """The parts of a pytest ``TestReport`` the collector uses. ``message`` is the short failure or skip reason."""

    nodeid: str
    when: str                    # setup | call | teardown
    outcome: str                 # passed | failed | skipped
    duration: float = 0.0
    markers: tuple[str, ...] = ()
    user_properties: tuple[tuple[str, object], ...] = ()
    message: str = ""
    wasxfail: str | None = None
    worker: str = "main"


@dataclass
class _Item:
    nodeid: str
    markers: tuple[str, ...] = ()
    outcome: Outcome = "passed"
    reason: str = ""
    duration: float = 0.0
    properties: tuple[tuple[str, object], ...] = ()
    worker: str = "main"
    saw_call_or_skip: bool = False


def _phase_outcome(report: PhaseReport) -> tuple[Outcome, str] | None:
    """This phase's contribution: a failure or skip with its message, or None when it passed."""
    if report.wasxfail is not None and report.outcome == "skipped":
        # An expected failure still means the criterion does not hold.
        return "failed", f"expected failure: {report.wasxfail}".rstrip(": ")
    if report.outcome == "failed":
        return "failed", f"{report.when}: {report.message}" if report.when != "call" else report.message
    if report.outcome == "skipped":
        return "skipped", report.message
    return None


@dataclass
class Collector:
    """Accumulates reports; :meth:`results` gives the criteria in feature-file order."""

    _items: dict[str, _Item] = field(default_factory=dict)
    not_run: set[str] = field(default_factory=set)
    _expected: dict[str, str] = field(default_factory=dict)

    def expect(self, nodeid: str, title: str) -> None:
        """A criterion that was collected to run; if no result arrives (Ctrl-C, crash) it counts as not run."""
        if is_criterion_nodeid(nodeid):
            self._expected.setdefault(nodeid, title)

    def missing(self) -> list[str]:
        """Titles of expected criteria that produced no result."""
        return sorted(title for nodeid, title in self._expected.items()
                      if nodeid not in self._items or not self._items[nodeid].saw_call_or_skip)

    def add(self, report: PhaseReport) -> None:
        if not is_criterion_nodeid(report.nodeid):
            return
        item = self._items.setdefault(report.nodeid, _Item(report.nodeid))
        item.markers = tuple(sorted(set(item.markers) | set(report.markers)))
        item.duration += report.duration
        item.worker = report.worker
        # user_properties only grow during a test; the longest list seen holds everything the steps recorded.
        if len(report.user_properties) >= len(item.properties):
            item.properties = report.user_properties
        if report.when == "call" or report.outcome != "passed":
            item.saw_call_or_skip = True
        verdict = _phase_outcome(report)
        if verdict is None or item.outcome == "failed":
            return
        if verdict[0] == "failed" or item.outcome == "passed":
            item.outcome, item.reason = verdict

    def add_not_run(self, titles: Iterable[str]) -> None:
        self.not_run.update(titles)

    def results(self) -> list[ScenarioResult]:
        done = [_result(i) for i in self._items.values() if i.saw_call_or_skip]
        return sorted(done, key=lambda r: (r.feature_file, r.line, r.nodeid))

    def api_budget(self) -> dict[str, JSON] | None:
        """Requests used: the largest cumulative figure of each worker process, summed over workers."""
        per_worker: dict[str, Mapping[str, JSON]] = {}
        for item in self._items.values():
            for entry in _entries(item.properties):
                if entry.kind == "api_budget" and _num(entry.data, "requests") >= _num(
                        per_worker.get(item.worker, {}), "requests"):
                    per_worker[item.worker] = entry.data
        if not per_worker:
            return None
        return _sum_budgets(list(per_worker.values()))


def _num(data: Mapping[str, JSON], key: str) -> float:
    value = data.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else -1.0


def _sum_budgets(budgets: Sequence[Mapping[str, JSON]]) -> dict[str, JSON]:
    total: dict[str, JSON] = {}
    for key in _BUDGET_SUMS:
        values = [b[key] for b in budgets if isinstance(b.get(key), int)]
        total[key] = sum(cast(list[int], values)) if values else None
    remaining = [b["rate_limit_remaining"] for b in budgets if isinstance(b.get("rate_limit_remaining"), int)]
    total["rate_limit_remaining"] = min(cast(list[int], remaining)) if remaining else None
    total["processes"] = len(budgets)
    return total


def _entries(properties: Iterable[tuple[str, object]]) -> list[EvidenceEntry]:
    entries = []
    for name, value in properties:
        if name != EVIDENCE_PROPERTY or not isinstance(value, str):
            continue
        try:
            doc = json.loads(value)
        except json.JSONDecodeError:
            continue  # written by record_evidence only; a foreign value with our name is ignored, not fatal
        if isinstance(doc, dict) and isinstance(doc.get("kind"), str) and isinstance(doc.get("data"), dict):
            entries.append(EvidenceEntry(doc["kind"], cast(dict[str, JSON], doc["data"])))
    return entries


def _meta(properties: Iterable[tuple[str, object]]) -> dict[str, Any]:
    for name, value in properties:
        if name == SCENARIO_PROPERTY and isinstance(value, str):
            try:
                doc = json.loads(value)
            except json.JSONDecodeError:
                return {}
            return doc if isinstance(doc, dict) else {}
    return {}


def _result(item: _Item) -> ScenarioResult:
    meta = _meta(item.properties)
    path = item.nodeid.split("::", 1)[0]
    name = str(meta.get("scenario") or item.nodeid.split("::")[-1])
    _, bracket, params = item.nodeid.partition("[")
    row = str(meta["row"]) if "row" in meta else (params.rstrip("]") if bracket else "")
    return ScenarioResult(
        nodeid=item.nodeid, feature=str(meta.get("feature") or path),
        feature_file=str(meta.get("feature_file") or path), line=int(meta.get("line", 0) or 0), scenario=name,
        markers=item.markers, outcome=item.outcome, reason=item.reason, duration_s=item.duration,
        evidence=tuple(_entries(item.properties)), row=row,
    )
