"""``evidence.md``: the evidence of a run, for people (and for GitHub's job summary).

Every value that came from outside (finding messages, job names, failure messages) is escaped for a table cell, so
a ``|``, a newline or HTML in it can neither break the layout nor inject markup into the summary page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from cicd_acceptance.evidence.jsonable import JSON
from cicd_acceptance.evidence.model import Evidence, ScenarioResult

__all__ = ["cell", "finding_list", "render_markdown"]

_ICONS = {"passed": "✅ passed", "failed": "❌ failed", "skipped": "⏭️ skipped"}


class _Md(str):
    """Text that is already escaped Markdown; :func:`cell` passes it through unchanged."""

    __slots__ = ()


def cell(value: JSON | object) -> str:
    """``value`` as one Markdown table cell: no newlines, pipes or HTML; empty shows as ``-``."""
    if isinstance(value, _Md):
        return value
    if value is None or value == "":
        return "-"
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value if v is not None)
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(text.replace("|", "\\|").split())


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return [*lines, ""]


def _section(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """A titled table, or nothing when there are no rows."""
    return [f"## {title}", "", *_table(header, rows)] if rows else []


def _code(value: object) -> _Md:
    text = cell(value)
    return _Md(text if text == "-" else f"`{text.replace('`', '')}`")


def _budget(budget: Mapping[str, JSON] | None) -> str:
    if not budget:
        return "no API requests recorded"
    return (f"{budget.get('requests')} requests ({budget.get('counted')} counted against the rate limit, "
            f"{budget.get('not_modified')} answered 304), rate limit left {budget.get('rate_limit_remaining')}")


def _live(ev: Evidence) -> str:
    c = ev.context
    if c.live_mode == "off":
        return f"off: {c.live_off_reason}"
    if c.live_mode == "emulator":
        return "rehearsal: the bundled emulator stood in for GitHub and the registry"
    if ev.rehearsal:
        return f"rehearsal: {c.api_url} answered as the bundled emulator, registry {c.registry}"
    return f"{c.api_url}, registry {c.registry}"


_MEANING = {
    "met": "every criterion of the plan ran and passed",
    "partial": "every selected criterion passed, but some were left out on purpose: this does not accept the plan",
    "not met": "a selected criterion failed, was skipped or did not finish",
}


def _proven(ev: Evidence) -> str:
    if not ev.counts:
        return "no acceptance criterion ran"
    where = (" on the bundled emulator: a rehearsal, nothing is proven about GitHub and GHCR" if ev.rehearsal
             else "")
    unrun = _not_emulated(ev.scenarios)
    if unrun:
        where += (f"; {len(unrun)} step{'s' if len(unrun) != 1 else ''} could not be run by the emulator and "
                  "count as passed (listed below)")
    return f"{_MEANING.get(ev.status, ev.status)}{where} (exit status {ev.exit_code})"


def _not_emulated(scenarios: Sequence[ScenarioResult]) -> list[Mapping[str, JSON]]:
    """The ``not_emulated`` entries, each once (several scenarios may judge the same run)."""
    seen: set[tuple[object, ...]] = set()
    found = []
    for s in scenarios:
        for entry in s.entries("not_emulated"):
            key = (entry.get("run_id"), entry.get("job"), entry.get("message"), entry.get("error"))
            if key not in seen:
                seen.add(key)
                found.append(entry)
    return found


def _unrun(scenarios: Sequence[ScenarioResult]) -> list[str]:
    rows = [(e.get("run_id"), e.get("job"), e.get("message") or e.get("error")) for e in _not_emulated(scenarios)]
    return _section("Steps the emulator did not run", ("Run", "Job", "What the emulator reported"), rows)


def _actor(scenarios: Sequence[ScenarioResult]) -> str:
    """Whose dispatches count as ours, and how that login was learnt (from the first ``server`` entry)."""
    for s in scenarios:
        for server in s.entries("server"):
            login = server.get("actor")
            source = server.get("actor_source") or "unknown"
            return f"{login} ({source})" if login else f"none: {source}"
    return ""


def _summary(ev: Evidence) -> list[str]:
    c = ev.context
    rows = [
        ("Target", f"{_code(c.repository)} at {_code(c.head_sha)} ({_code(c.repo_dir)}, branch {cell(c.branch)})"),
        ("Harness", f"cicd-acceptance {cell(ev.harness_version)}, evidence schema {ev.schema_version}"),
        ("Started / finished", f"{cell(ev.started_at)} / {cell(ev.finished_at)}"),
        ("Verdict", cell(_proven(ev))),
        ("Live checks", cell(_live(ev))),
        ("Correlation actor", cell(_actor(ev.scenarios))),
        ("API budget", cell(_budget(ev.api_budget))),
    ]
    return ["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows), ""]


def _plan(ev: Evidence) -> list[str]:
    c = ev.context
    rows = [(k, _code(v), c.plan_sources.get(k, "default")) for k, v in sorted(c.plan.items())]
    head = [f"## Plan ({cell(c.plan_file or 'ExecPlan defaults')})", ""]
    return head + _table(("Setting", "Value", "Source"), rows)


def _criteria(scenarios: Sequence[ScenarioResult]) -> list[str]:
    rows = [(_ICONS[s.outcome], s.feature, s.title, ", ".join(s.markers), s.reason) for s in scenarios]
    return _section("Criteria", ("Verdict", "Feature", "Scenario", "Tags", "Reason"), rows)


def _findings(scenarios: Sequence[ScenarioResult]) -> list[str]:
    rows = []
    for s in scenarios:
        for entry in s.entries("findings"):
            for f in finding_list(entry):
                where = f"{f.get('path')}:{f.get('line')}" if f.get("line") else f.get("path")
                blocking = "yes" if f.get("blocking", True) else "no"
                if f.get("undecided"):  # only a run can decide it: say which live check does
                    blocking = f"undecided, settled by {f.get('settled_by') or 'a live run'}"
                rows.append((s.title, _code(where), f.get("rule"), f.get("message"), blocking))
    return _section("Static findings", ("Scenario", "Where", "Rule", "Message", "Blocking"), rows)


def finding_list(entry: Mapping[str, JSON]) -> list[Mapping[str, JSON]]:
    """The findings of a ``findings`` entry: its ``findings`` list, or the entry itself when it is one finding."""
    return _list(entry["findings"]) if "findings" in entry else [entry]


def _list(value: JSON) -> list[Mapping[str, JSON]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _runs(scenarios: Sequence[ScenarioResult]) -> list[str]:
    runs = [r for s in scenarios for r in s.entries("run")]
    if not runs:
        return []
    rows = [(r.get("workflow"), _Md(f"[{cell(r.get('id'))}]({cell(r.get('url'))})") if r.get("url") else r.get("id"),
             r.get("event"), _code(r.get("head_sha")), r.get("status"), r.get("conclusion"), r.get("created"),
             r.get("started"), r.get("completed")) for r in runs]
    lines = _section("Workflow runs", (
        "Workflow", "Run", "Event", "Head SHA", "Status", "Conclusion", "Created", "Started", "Completed"), rows)
    jobs = [(r.get("workflow"), r.get("id"), j.get("name"), j.get("conclusion"), j.get("failing_step"))
            for r in runs for j in _list(r.get("jobs"))]
    return lines + (_table(("Workflow", "Run", "Job", "Conclusion", "Failing step"), jobs) if jobs else [])


def _dispatches(scenarios: Sequence[ScenarioResult]) -> list[str]:
    rows = [(d.get("workflow"), d.get("ref"), d.get("requested_at"), d.get("status_code"), d.get("correlation"),
             d.get("run_id")) for s in scenarios for d in s.entries("dispatch")]
    head = ("Workflow", "Ref", "Requested at", "Response", "Correlated by", "Run")
    return _section("Dispatch", head, rows)


def _images(scenarios: Sequence[ScenarioResult]) -> list[str]:
    images = [i for s in scenarios for i in s.entries("image")]
    if not images:
        return []
    lines = _section("Images", ("Service", "Reference", "Tag", "Digest"), [
        (i.get("service"), _code(i.get("reference")), i.get("tag"), _code(i.get("digest"))) for i in images])
    platforms = [(i.get("service"), p.get("platform"), _code(p.get("digest")), _code(p.get("revision")),
                  p.get("created")) for i in images for p in _list(i.get("platforms"))]
    if platforms:
        lines += _table(("Service", "Platform", "Digest", "Revision label", "Created"), platforms)
    facts = [(i.get("service"), "✅" if f.get("passed") else "❌", f.get("name"), f.get("observed"))
             for i in images for f in _list(i.get("facts"))]
    return lines + (_table(("Service", "", "Fact", "Observed"), facts) if facts else [])


def _block(lines: Sequence[JSON]) -> list[str]:
    """A quoted block of log lines: a fence longer than any backtick run inside, so nothing can close it early."""
    text = [str(line).replace("\r", "") for line in lines if line is not None]
    longest = max((len(run) for line in text for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + "text", *text, fence, ""]


def _log_head(log: Mapping[str, JSON]) -> str:
    purpose = log.get("purpose")
    if purpose == "push":
        digest = log.get("registry_digest")
        shown = "the log shows it" if log.get("digest_in_log") else "not found in the log"
        reference = f"{log.get('image')}:{log.get('tag')}"
        return (f"### push: {cell(log.get('service'))}: {_code(reference)} (run {cell(log.get('run_id'))}, "
                f"jobs {cell(log.get('jobs'))}); registry digest {_code(digest)}: {shown}")
    step = f", step {cell(log.get('step'))}" if log.get("step") else ""
    return f"### {cell(purpose)}: job {cell(log.get('job'))} (run {cell(log.get('run_id'))}{step})"


def _log(log: Mapping[str, JSON]) -> list[str]:
    lines = [_log_head(log), ""]
    if log.get("error"):
        lines += [f"- {cell(log.get('error'))}", ""]
    quoted = _list_of_text(log.get("lines")) or _list_of_text(log.get("errors"))
    if log.get("purpose") == "failure":
        quoted = [*_list_of_text(log.get("errors")), "...", *_list_of_text(log.get("tail"))]
    lines += _block(quoted) if quoted else ["- nothing to quote: no matching line in the log", ""]
    if not log.get("complete", True):
        lines += ["- the log was read only up to its size or time bound", ""]
    for a in _list(log.get("annotations")):
        lines.append(f"- annotation {cell(a.get('level'))} {_code(a.get('path'))}:{cell(a.get('line'))}: "
                     f"{cell(a.get('title'))} {cell(a.get('message'))}")
    return lines if not log.get("annotations") else [*lines, ""]


def _list_of_text(value: JSON) -> list[JSON]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _logs(scenarios: Sequence[ScenarioResult]) -> list[str]:
    logs = [log for s in scenarios for log in s.entries("log")]
    return ["## Quoted from the job logs", "", *(line for log in logs for line in _log(log))] if logs else []


def _notes(scenarios: Sequence[ScenarioResult]) -> list[str]:
    notes = [f"- {cell(s.title)}: {cell(n.get('text', n))}" for s in scenarios for n in s.entries("note")]
    return ["## Notes", "", *notes, ""] if notes else []


def render_markdown(ev: Evidence) -> str:
    """The whole ``evidence.md``; its first line is the verdict."""
    sections = [
        [f"# {ev.verdict_line}", ""], _summary(ev), _plan(ev), _criteria(ev.scenarios), _findings(ev.scenarios),
        _runs(ev.scenarios), _unrun(ev.scenarios), _dispatches(ev.scenarios), _images(ev.scenarios),
        _logs(ev.scenarios),
        _notes(ev.scenarios),
    ]
    return "\n".join(line for section in sections for line in section).rstrip("\n") + "\n"
