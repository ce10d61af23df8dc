"""The pytest side of the ``@static`` scenarios: rule results shared by the session, and how a rule's findings
become a pass, a failure or a skip.

Rules that run a tool (actionlint, zizmor, go) are started in the background as soon as collection ends (for the
static scenarios selected), and each ``Then`` step collects its own result: the child processes overlap with
pytest's own work and with each other instead of queueing. The step definitions themselves are in
``steps/static_steps.py``.
"""

from __future__ import annotations

import dataclasses

import pytest

from cicd_acceptance.criteria import CRITERIA, CheckContext, Criterion, RuleResults
from cicd_acceptance.errors import HarnessError, ToolMissing
from cicd_acceptance.plan import Plan
from cicd_acceptance.target import Target
from cicd_acceptance.testing.evidence_plugin import RecordEvidence, scenario_template
from cicd_acceptance.testing.plugin import SETTINGS_KEY
from cicd_acceptance.testing.tooling import REQUIRE_TOOLS_ENV, require_tool, tools_required
from cicd_acceptance.tools import find_tool
from cicd_acceptance.workflows.checks.finding import Finding, Rule, format_findings

_NOT_BLOCKING = pytest.StashKey[list[Finding]]()
_UNDECIDED = pytest.StashKey[list[Finding]]()
_RULES_RUN = pytest.StashKey[set[str]]()
_RESULTS = pytest.StashKey[RuleResults]()
WHEN_PREFIX = "I check "


def _selected_criteria(session: pytest.Session) -> set[str]:
    """Criteria whose scenarios this session runs, read from their ``When I check <subject>`` steps."""
    subjects = {c.subject: c.id for c in CRITERIA}
    selected: set[str] = set()
    for item in session.items:
        template = scenario_template(item)
        for step in template.steps if template is not None else ():
            if step.name.startswith(WHEN_PREFIX):
                selected.add(subjects.get(step.name.removeprefix(WHEN_PREFIX), ""))
    return selected - {""}


def _results(config: pytest.Config, target: Target, plan: Plan) -> RuleResults:
    """The session's rule results for this target and plan (created on first use)."""
    results = config.stash.get(_RESULTS, None)
    if results is None or results.ctx.target != target or results.ctx.plan != plan:
        results = RuleResults(CheckContext(target, plan), workers=8)
        config.stash[_RESULTS] = results
    return results


def _start_results(config: pytest.Config, target: Target, plan: Plan, wanted: set[str]) -> RuleResults:
    results = _results(config, target, plan)
    rules = [r for c in CRITERIA if c.id in wanted for r in c.rules if r.tool is None or find_tool(r.tool)]
    # Tool rules first (their child processes decide when the session ends), then the pure ones, whose Python work
    # then overlaps with those processes instead of following them.
    results.start(r.id for r in sorted(rules, key=lambda r: (r.tool is None, r.tool != "go")))
    return results


def _prefetched(session: pytest.Session) -> set[str]:
    """Criteria to start at once. None under pytest-xdist: each worker sees every item, not the ones it will run,
    so starting them all would run every tool once per worker."""
    return set() if hasattr(session.config, "workerinput") else _selected_criteria(session)


def _admits_static(markexpr: str) -> bool:
    """Whether ``-m`` selects a scenario marked ``static`` alone (an expression pytest cannot read: no)."""
    if not markexpr.strip():
        return True
    try:
        from _pytest.mark.expression import Expression

        return bool(Expression.compile(markexpr).evaluate(_only_static))
    except Exception:  # a private API of pytest: when it changes, the tools start after collection instead
        return False


def _only_static(name: str, /, **_: str | int | bool | None) -> bool:
    return name == "static"


def _runs_the_features(config: pytest.Config) -> bool:
    """Whether the run collects the scenarios' module whole: a path argument that is the features folder, a folder
    above it or a module in it, and nothing narrowing the selection (``::``, ``-k``, ``--deselect``, ``--lf``,
    ``--sw``)."""
    base = (config.rootpath / str(config.getini("bdd_features_base_dir") or "features")).resolve()
    narrowed = any(config.getoption(name, None) for name in ("keyword", "deselect", "lf", "stepwise"))
    if narrowed or any("::" in arg for arg in config.args) or not base.is_dir():
        return False
    for arg in config.args:
        path = (config.invocation_params.dir / arg).resolve()
        if path == base or path in base.parents or (path.suffix == ".py" and path.parent == base):
            return True
    return False


def _tools_early(config: pytest.Config) -> bool:
    """Whether this run surely checks the static criteria, so that their tools may start before collection."""
    return (not hasattr(config, "workerinput") and not config.getoption("collectonly", False)
            and _admits_static(str(config.getoption("markexpr", "") or "")) and _runs_the_features(config))


@pytest.hookimpl(trylast=True)  # after the settings are resolved
def pytest_configure(config: pytest.Config) -> None:
    """Start the tool rules (actionlint, zizmor, the local test run) now when the run surely has the static
    scenarios: collection then overlaps with their child processes instead of preceding them."""
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is not None and _tools_early(config):
        results = _results(config, settings.target, settings.plan)
        results.start(r.id for c in CRITERIA for r in c.rules if r.tool is not None and find_tool(r.tool))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the rules of the selected static scenarios now, so they run while pytest sets up the rest."""
    wanted = _prefetched(session)
    settings = session.config.stash.get(SETTINGS_KEY, None)
    if wanted and settings is not None:
        _start_results(session.config, settings.target, settings.plan, wanted)


def pytest_unconfigure(config: pytest.Config) -> None:
    results = config.stash.get(_RESULTS, None)
    if results is not None:
        results.close()


@pytest.fixture(scope="session")
def static_results(request: pytest.FixtureRequest, acceptance_target: Target, acceptance_plan: Plan) -> RuleResults:
    """Rule results shared by every static scenario of the session (tool rules already started, see above)."""
    return _start_results(request.config, acceptance_target, acceptance_plan, _prefetched(request.session))


def _format(findings: list[Finding]) -> str:
    return format_findings(findings) or "none"


def _others(results: RuleResults, crit: Criterion, rule_id: str) -> list[Finding]:
    """Blocking findings of the criterion's other rules: pure ones (cheap) are awaited, tool ones only if done."""
    computed = results.computed()
    others: list[Finding] = []
    for other in crit.rules:
        if other.id == rule_id:
            continue
        try:
            findings = computed.get(other.id, []) if other.tool else results.findings(other.id)
        except HarnessError:
            continue  # its own step reports the error
        others += [f for f in findings if f.blocking]
    return others


def _distinct(others: list[Finding], shown: list[Finding]) -> list[Finding]:
    """``others`` without those that only repeat a shown finding under another rule (an unreadable file)."""
    seen = {(f.path, f.line, f.message) for f in shown}
    kept: list[Finding] = []
    for finding in others:
        if (finding.path, finding.line, finding.message) not in seen:
            seen.add((finding.path, finding.line, finding.message))
            kept.append(finding)
    return kept


def _record_remaining(results: RuleResults, crit: Criterion, failed: Rule, record: RecordEvidence) -> None:
    """The steps after a failed one do not run: record their rules' findings now, so the evidence is complete."""
    later = crit.rules[crit.rules.index(failed) + 1:]
    computed = results.computed()
    for other in later:
        if other.id in computed:
            record("findings", {"criterion": crit.id, "rule": other.id,
                                "findings": [dataclasses.asdict(f) for f in computed[other.id]]})


def findings_or_fail(results: RuleResults, rule: Rule) -> list[Finding]:
    if rule.tool:
        require_tool(rule.tool, why=f"needed by the rule {rule.id}")
    try:
        return results.findings(rule.id)
    except ToolMissing as exc:  # the machine cannot do the check (no isolation, a Go too old): skip, never red
        missing = f"not checked: {rule.description} ({rule.id}): {exc}"
        error = ""
    except HarnessError as exc:
        missing, error = "", f"not checked: {rule.description} ({rule.id}): {exc}"
    if missing and not tools_required():
        pytest.skip(missing)
    if missing:
        error = f"{missing} ({REQUIRE_TOOLS_ENV}=1 makes a missing tool a failure)"
    pytest.fail(error, pytrace=False)  # outside the except block: no chained traceback in the report


def note_not_blocking(config: pytest.Config, rule: Rule, quiet: list[Finding]) -> None:
    """Keep findings that do not block for the terminal summary, and show them in the scenario's output."""
    config.stash.setdefault(_NOT_BLOCKING, []).extend(quiet)
    print(f"not blocking ({rule.id}):\n{_format(quiet)}")


def settle_undecided(node: pytest.Item, crit: Criterion, rule: Rule, undecided: list[Finding]) -> None:
    """Undecided facts are neither a pass nor a failure: once every rule of the criterion ran without a mismatch,
    the criterion is not met statically and the skip says which live scenario settles each fact."""
    __tracebackhide__ = True
    node.stash.setdefault(_UNDECIDED, []).extend(undecided)
    ran = node.stash.setdefault(_RULES_RUN, set())
    ran.add(rule.id)
    pending = node.stash[_UNDECIDED]
    if pending and ran >= {r.id for r in crit.rules}:
        pytest.skip(f"not met statically: {len(pending)} fact(s) only a run can decide (undecided, not wrong)\n"
                    f"{_format(pending)}")


def fail_rule(results: RuleResults, crit: Criterion, rule: Rule, blocking: list[Finding],
              record: RecordEvidence) -> None:
    __tracebackhide__ = True
    others = _distinct(_others(results, crit, rule.id), blocking)  # awaits the pure rules
    _record_remaining(results, crit, rule, record)
    also = f"\nother findings of '{crit.id}':\n{_format(others)}" if others else ""
    # pytest.fail without a traceback: the findings are the whole story, pytest internals are noise.
    pytest.fail(f"not met: {rule.description} ({len(blocking)} finding(s) of {rule.id})\n"
                f"{_format(blocking)}{also}", pytrace=False)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """List the findings that did not block (zizmor below the plan's severity) so the report shows them."""
    collected: list[Finding] = config.stash.get(_NOT_BLOCKING, [])
    quiet = sorted(set(collected))
    if quiet:
        terminalreporter.section("static checks: findings below the blocking severity")
        for finding in quiet:
            terminalreporter.write_line(str(finding))
