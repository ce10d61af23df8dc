"""Assemble the evidence of a run and write the bundle (``evidence.json`` + ``evidence.md``) to a directory."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from cicd_acceptance import __version__
from cicd_acceptance.config import Settings
from cicd_acceptance.errors import LocalFileError
from cicd_acceptance.evidence.files import write_atomic
from cicd_acceptance.evidence.jsonable import JSON, Redactor, to_jsonable
from cicd_acceptance.evidence.markdown import render_markdown
from cicd_acceptance.evidence.model import Evidence, RunContext, ScenarioResult, evidence_to_json
from cicd_acceptance.evidence.verdict import Verdict

__all__ = ["build_evidence", "run_context", "utc_now", "write_bundle"]

_PLAN_SKIP = {"sources"}


def utc_now() -> str:
    """Now, as ``2026-11-27T14:05:09Z``."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_context(settings: Settings | None, redact: Redactor) -> RunContext:
    """The plain-data description of what was accepted (empty when settings could not be resolved)."""
    if settings is None:
        return RunContext()
    plan = settings.plan
    values = {f.name: getattr(plan, f.name) for f in dataclasses.fields(plan) if f.name not in _PLAN_SKIP}
    plan_json = to_jsonable(values, redact)
    t = settings.target
    return RunContext(
        repo_dir=str(t.repo_dir), repository=settings.repository, head_sha=t.head_sha, branch=t.branch,
        plan_file=str(settings.plan_file) if settings.plan_file else None,
        plan=plan_json if isinstance(plan_json, dict) else {},
        plan_sources={k: plan.source_of(k) for k in values},
        settings_sources={k: redact(v) for k, v in settings.sources.items()},
        live_mode=settings.live_mode, live_off_reason=redact(settings.live_off_reason),
        api_url=redact(settings.api_url), registry=settings.registry,
    )


def build_evidence(*, context: RunContext, results: Sequence[ScenarioResult], verdict: Verdict | None,
                   api_budget: dict[str, JSON] | None, started_at: str, finished_at: str) -> Evidence:
    """The :class:`Evidence` of a run; with no verdict (no criterion ran) the line says so."""
    if verdict is None:
        return Evidence(harness_version=__version__, started_at=started_at, finished_at=finished_at,
                        context=context, scenarios=tuple(results),
                        verdict_line="ACCEPTANCE NOT MET: no acceptance criterion ran", met=False,
                        api_budget=api_budget)
    return Evidence(harness_version=__version__, started_at=started_at, finished_at=finished_at, context=context,
                    scenarios=tuple(results), verdict_line=verdict.line, met=verdict.met, api_budget=api_budget,
                    status=verdict.status, rehearsal=verdict.rehearsal, exit_code=verdict.exit_code,
                    counts=verdict.counts())


def write_bundle(directory: Path, ev: Evidence) -> list[Path]:
    """Write ``evidence.json`` and ``evidence.md`` into ``directory`` (created if needed); return their paths."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in (("evidence.json", evidence_to_json(ev)), ("evidence.md", render_markdown(ev))):
            write_atomic(directory / name, text.encode("utf-8"))
            written.append(directory / name)
    except OSError as exc:
        raise LocalFileError(f"cannot write the evidence bundle: {exc.strerror}: {exc.filename}",
                             source=f"--evidence-dir {directory}") from None
    return written
