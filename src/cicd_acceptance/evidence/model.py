"""The evidence of one acceptance run, as frozen dataclasses with a stable JSON form (``schema_version`` 2).

The JSON form is documented field by field in ``docs/evidence.md``; :func:`evidence_from_json` reads it back and
refuses, with a message naming the file and the field, anything that is not that shape, so tools built on the
bundle fail loudly instead of reading the wrong thing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

from cicd_acceptance.errors import LocalFileError
from cicd_acceptance.evidence.jsonable import JSON

__all__ = [
    "EVIDENCE_KINDS",
    "SCHEMA_VERSION",
    "Evidence",
    "EvidenceEntry",
    "Outcome",
    "RunContext",
    "ScenarioResult",
    "evidence_from_json",
    "evidence_to_json",
]

SCHEMA_VERSION = 2
Outcome = Literal["passed", "failed", "skipped"]
EVIDENCE_KINDS = ("findings", "run", "dispatch", "image", "api_budget", "note", "server", "log", "not_emulated")
_STATUSES = ("met", "not met", "partial")
_OUTCOMES: tuple[str, ...] = get_args(Outcome)


@dataclass(frozen=True)
class EvidenceEntry:
    """One thing a step recorded: ``kind`` (one of :data:`EVIDENCE_KINDS`) and its JSON ``data``."""

    kind: str
    data: Mapping[str, JSON]


@dataclass(frozen=True)
class ScenarioResult:
    """The verdict of one criterion (one scenario, or one Examples row of an outline)."""

    nodeid: str
    feature: str
    feature_file: str
    scenario: str
    markers: tuple[str, ...]
    outcome: Outcome
    reason: str = ""           # skip reason, or the short failure message
    duration_s: float = 0.0
    evidence: tuple[EvidenceEntry, ...] = ()
    line: int = 0              # of the Scenario keyword in feature_file
    row: str = ""              # Examples row id of an outline whose name has no <placeholder> to fill

    @property
    def title(self) -> str:
        """How the criterion is named in the verdict: the scenario name, plus ``[row]`` when it needs one."""
        return f"{self.scenario} [{self.row}]" if self.row else self.scenario

    def entries(self, kind: str) -> list[Mapping[str, JSON]]:
        return [e.data for e in self.evidence if e.kind == kind]


@dataclass(frozen=True)
class RunContext:
    """What was accepted and how: target, plan values with their sources, live mode. Plain data, no Settings."""

    repo_dir: str = ""
    repository: str = ""
    head_sha: str = ""
    branch: str | None = None
    plan_file: str | None = None
    plan: Mapping[str, JSON] = field(default_factory=dict)
    plan_sources: Mapping[str, str] = field(default_factory=dict)
    settings_sources: Mapping[str, str] = field(default_factory=dict)
    live_mode: str = "off"
    live_off_reason: str = ""
    api_url: str = ""
    registry: str = ""


@dataclass(frozen=True)
class Evidence:
    """Everything ``evidence.json`` holds."""

    harness_version: str
    started_at: str
    finished_at: str
    context: RunContext
    scenarios: tuple[ScenarioResult, ...]
    verdict_line: str
    met: bool
    api_budget: Mapping[str, JSON] | None = None
    schema_version: int = SCHEMA_VERSION
    status: str = "not met"          # met | not met | partial
    rehearsal: bool = False          # the live half ran on the bundled emulator
    exit_code: int = 1
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        """``ACCEPTANCE MET``: every criterion passed, against GitHub."""
        return self.met and not self.rehearsal


def _entry_json(entry: EvidenceEntry) -> dict[str, JSON]:
    return {"kind": entry.kind, "data": dict(entry.data)}


def _scenario_json(s: ScenarioResult) -> dict[str, JSON]:
    return {
        "nodeid": s.nodeid, "feature": s.feature, "feature_file": s.feature_file, "line": s.line,
        "scenario": s.scenario, "row": s.row,
        "title": s.title, "markers": list(s.markers), "outcome": s.outcome, "reason": s.reason,
        "duration_s": round(s.duration_s, 3), "evidence": [_entry_json(e) for e in s.evidence],
    }


def _context_json(c: RunContext) -> dict[str, JSON]:
    return {
        "target": {"repo_dir": c.repo_dir, "repository": c.repository, "head_sha": c.head_sha, "branch": c.branch},
        "plan": {"file": c.plan_file, "values": dict(c.plan), "sources": dict(c.plan_sources)},
        "settings_sources": dict(c.settings_sources),
        "live": {"mode": c.live_mode, "off_reason": c.live_off_reason, "api_url": c.api_url,
                 "registry": c.registry},
    }


def evidence_to_json(ev: Evidence) -> str:
    """The stable JSON document (sorted keys, two-space indent, trailing newline)."""
    doc: dict[str, JSON] = {
        "schema_version": ev.schema_version,
        "harness": {"name": "cicd-acceptance", "version": ev.harness_version},
        "started_at": ev.started_at, "finished_at": ev.finished_at,
        **_context_json(ev.context),
        "verdict": {"met": ev.met, "line": ev.verdict_line, "status": ev.status, "rehearsal": ev.rehearsal,
                    "accepted": ev.accepted, "exit_code": ev.exit_code, "counts": dict(ev.counts)},
        "scenarios": [_scenario_json(s) for s in ev.scenarios],
        "api_budget": dict(ev.api_budget) if ev.api_budget is not None else None,
    }
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class _Reader:
    """Typed access to a parsed document; every complaint names the file and the JSON path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, what: str, found: object) -> LocalFileError:
        return LocalFileError(f"{where}: expected {what}, found {type(found).__name__} {found!r:.60}",
                           source=self.source)

    def obj(self, value: object, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "an object", value)
        return cast(dict[str, Any], value)

    def get(self, d: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
        if key not in d:
            raise LocalFileError(f"{where}.{key}: missing", source=self.source)
        value = d[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
            names = "/".join(t.__name__ for t in _as_tuple(kind))
            raise self.fail(f"{where}.{key}", names, value)
        return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _read_scenario(r: _Reader, raw: object, where: str) -> ScenarioResult:
    d = r.obj(raw, where)
    outcome = r.get(d, "outcome", str, where)
    if outcome not in _OUTCOMES:
        raise r.fail(f"{where}.outcome", " or ".join(_OUTCOMES), outcome)
    entries = []
    for i, e in enumerate(r.get(d, "evidence", list, where)):
        ed = r.obj(e, f"{where}.evidence[{i}]")
        entries.append(EvidenceEntry(r.get(ed, "kind", str, f"{where}.evidence[{i}]"),
                                     r.get(ed, "data", dict, f"{where}.evidence[{i}]")))
    markers: Sequence[Any] = r.get(d, "markers", list, where)
    return ScenarioResult(
        nodeid=r.get(d, "nodeid", str, where), feature=r.get(d, "feature", str, where),
        feature_file=r.get(d, "feature_file", str, where), scenario=r.get(d, "scenario", str, where),
        markers=tuple(str(m) for m in markers), outcome=cast(Outcome, outcome),
        reason=r.get(d, "reason", str, where), duration_s=float(r.get(d, "duration_s", (int, float), where)),
        evidence=tuple(entries), line=r.get(d, "line", int, where), row=r.get(d, "row", str, where),
    )


def _read_context(r: _Reader, doc: Mapping[str, Any]) -> RunContext:
    target = r.obj(r.get(doc, "target", dict, "$"), "$.target")
    plan = r.obj(r.get(doc, "plan", dict, "$"), "$.plan")
    live = r.obj(r.get(doc, "live", dict, "$"), "$.live")
    return RunContext(
        repo_dir=r.get(target, "repo_dir", str, "$.target"), repository=r.get(target, "repository", str, "$.target"),
        head_sha=r.get(target, "head_sha", str, "$.target"),
        branch=r.get(target, "branch", (str, type(None)), "$.target"),
        plan_file=r.get(plan, "file", (str, type(None)), "$.plan"), plan=r.get(plan, "values", dict, "$.plan"),
        plan_sources=r.get(plan, "sources", dict, "$.plan"),
        settings_sources=r.get(doc, "settings_sources", dict, "$"),
        live_mode=r.get(live, "mode", str, "$.live"), live_off_reason=r.get(live, "off_reason", str, "$.live"),
        api_url=r.get(live, "api_url", str, "$.live"), registry=r.get(live, "registry", str, "$.live"),
    )


def evidence_from_json(text: str, *, source: str = "evidence.json") -> Evidence:
    """Read a document written by :func:`evidence_to_json`; other shapes and other schema versions are a
    :class:`~cicd_acceptance.errors.LocalFileError` naming ``source`` and the JSON path (the file is not what the
    harness wrote)."""
    r = _Reader(source)
    try:
        doc = r.obj(json.loads(text), "$")
    except json.JSONDecodeError as exc:
        raise LocalFileError(f"line {exc.lineno}: not JSON: {exc.msg}", source=source) from None
    version = r.get(doc, "schema_version", int, "$")
    if version != SCHEMA_VERSION:
        raise LocalFileError(f"schema_version {version} is not supported (this harness reads {SCHEMA_VERSION})",
                          source=source)
    harness = r.obj(r.get(doc, "harness", dict, "$"), "$.harness")
    verdict = r.obj(r.get(doc, "verdict", dict, "$"), "$.verdict")
    scenarios = r.get(doc, "scenarios", list, "$")
    status = r.get(verdict, "status", str, "$.verdict")
    if status not in _STATUSES:
        raise r.fail("$.verdict.status", " or ".join(_STATUSES), status)
    return Evidence(
        harness_version=r.get(harness, "version", str, "$.harness"),
        started_at=r.get(doc, "started_at", str, "$"), finished_at=r.get(doc, "finished_at", str, "$"),
        context=_read_context(r, doc),
        scenarios=tuple(_read_scenario(r, s, f"$.scenarios[{i}]") for i, s in enumerate(scenarios)),
        verdict_line=r.get(verdict, "line", str, "$.verdict"), met=r.get(verdict, "met", bool, "$.verdict"),
        api_budget=r.get(doc, "api_budget", (dict, type(None)), "$"), status=status,
        rehearsal=r.get(verdict, "rehearsal", bool, "$.verdict"),
        exit_code=r.get(verdict, "exit_code", int, "$.verdict"), counts=r.get(verdict, "counts", dict, "$.verdict"),
    )
