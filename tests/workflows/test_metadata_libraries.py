"""Differential test: the pieces of the metadata-action emulation against the JavaScript libraries the action itself
computes with (node-semver, @renovate/pep440, moment-timezone, handlebars, csv-parse), installed into ``.tools`` by
``.ci/install-tools.sh``. One ``node`` process answers every case; the answers must be the same.

Known differences, left out on purpose: Handlebars block helpers (``{{#if}}``) are not emulated (the action's
patterns never need them).
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cicd_acceptance.testing.tooling import REQUIRE_TOOLS_ENV, require_tool, tools_required
from cicd_acceptance.workflows.expressions import Unknown
from cicd_acceptance.workflows.handlebars import TemplateError, render
from cicd_acceptance.workflows.metadata_inputs import MetadataError, csv_fields, input_list
from cicd_acceptance.workflows.moment import default_format, format_moment, in_zone
from cicd_acceptance.workflows.semver import parse_pep440, parse_semver

pytestmark = pytest.mark.tool

MODULES = Path(__file__).resolve().parents[2] / ".tools" / "node_modules"
LIBRARIES = ("handlebars", "moment-timezone", "semver", "@renovate/pep440", "csv-parse")

NODE_SCRIPT = r"""
const handlebars = require('handlebars');
const moment = require('moment-timezone');
const semver = require('semver');
const pep440 = require('@renovate/pep440');
const {parse} = require('csv-parse/sync');
moment.tz.setDefault();
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const guard = f => { try { return f(); } catch (error) { return {error: error.name}; } };
const helpers = {branch: () => 'main', amp: 'a&b<c>', n: 3, items: ['rc', 1], none: null,
                 shout: (text, options) => String(text).toUpperCase() + (options.hash.end || '')};
process.stdout.write(JSON.stringify({
  semver: cases.semver.map(v => {
    if (!semver.valid(v)) return null;
    const s = semver.parse(v, {loose: true});
    return {version: s.version, raw: s.raw, prerelease: s.prerelease, build: s.build};
  }),
  pep440: cases.pep440.map(v => {
    if (!pep440.valid(v)) return null;
    const e = pep440.explain(v);
    return {clean: pep440.clean(v), final: !(e.is_prerelease || e.is_postrelease || e.is_devrelease),
            major: pep440.major(v), minor: pep440.minor(v), patch: pep440.patch(v)};
  }),
  moment: cases.moment.map(([iso, format, tz]) => moment(new Date(iso)).tz(tz).format(format)),
  handlebars: cases.handlebars.map(t => guard(() => handlebars.compile(t)(helpers))),
  csv: cases.csv.map(s => guard(() => parse(s, {relaxColumnCount: true, skipEmptyLines: true})[0])),
  list: cases.list.map(([s, noInfix]) => guard(() => parse(s, {columns: false, relaxQuotes: true, comment: '#',
      comment_no_infix: noInfix, relaxColumnCount: true, skipEmptyLines: true}).map(r => r.join(',').trim())
      .filter(item => item))),
}));
"""

SEMVER = ["1.2.3", "v1.2.3", " v1.2.3 ", "=1.2.3", "v=1.2.3", "1.2.3-rc.1", "1.2.3-0a.1", "1.2.3-01", "1.2.3-00",
          "1.2.3-0", "1.2.3+build.01", "1.2", "01.2.3", "1.2.3-", "1.2.3-rc..1", "v1.2.3.4", "1.2.3+",
          "9007199254740992.0.0", "9007199254740991.0.0", "1.2.3-beta.67+exp.sha.5114f85", "V1.2.3",
          "1.2.3-\u03b1", "1.2.3-x.7.z.92", "v2.0.8-beta.67", "p1/v1.0.0", "1.0.0-rc.1+build-2", "  1.2.3-rc.1  ",
          "v0.0.0", "1.2.3-beta-2", "1.2.3--", "1.2.3-DEV.SNAPSHOT", "1.2.3-rc.1.2.3.4.5"]
PEP440 = ["1.2.3", "v1.2.3", "1.2.3RC2", "1.2.3-post1", "1.0-dev4", "1.2+local.7", "2!1.0", "1!4.2", "1.2.3rc2",
          "1.1beta2", "1.2post1", "1.0dev4", "1.2", "1", "1.2.3.4", "v1.2.3rc2", "1.2.3.x", "one", "1.2-beta-gamma",
          "", "1.0a1.post2.dev3", "1.0.post1.dev2", "1.0c1", "1.0pre2", "1.0preview3", "1.0-1", "1.0_a1", "V1.0",
          " 1.0 ", "1.0+ubuntu-1", "1.0.0.0.1", "2.5.0beta4"]
FORMATS = ["YYYYMMDD", "YYYYMMDD-HHmmss", "YYYY-MM-DDTHH:mm:ss.SSS[Z]", "dddd, MMMM Do YYYY, h:mm:ss a",
           "ddd D MMM YY", "H:mm Z", "HHmm ZZ", "Q Qo DDD DDDD DDDo", "W WW Wo GGGG GG", "w ww wo gggg gg", "X x",
           "[week] w [of] YYYY", "k kk A a S SS SSS SSSS", "LL [at] LT", "l ll lll llll LTS L LLL LLLL",
           "e E d do dd", "M Mo MMM", "Hmm Hmmss hmm", "z zz", "YYYYYY YYYYY N NN NNNN", ""]
ZONES = ["UTC", "Asia/Tokyo", "America/New_York", "Asia/Kolkata", "Europe/Paris", "Australia/Lord_Howe",
         "Not/AZone"]
INSTANTS = ["2026-01-03T21:04:05.678Z", "2025-12-28T12:00:00.000Z", "2025-12-27T12:00:00.000Z",
            "2024-02-29T23:59:59.999Z", "2020-01-10T00:30:00.000Z", "2021-01-01T00:00:00.000Z",
            "2026-06-30T13:07:09.001Z"]
HANDLEBARS = ["plain", "{{branch}}-x", "{{ branch }}", "{{missing}}.", "{{amp}}", "{{{amp}}}", "{{& amp}}", "{{n}}",
              "{{items}}", "{{none}}", "{{shout 'hi' end='!'}}", "{{shout \"it's\"}}", "a {{~branch~}} b",
              "x{{! a comment }}y", "x{{!-- a }} comment --}}y", "\\{{branch}}", "}}{", "{{branch", "{{}}",
              "{{shout-it 'x'}}", "{{n 'x'}}", "{{shout 1.5}}", "{{shout true}}", "{{ amp }}{{amp}}",
              "{{~ branch }} x", "{{raw}}", "{{this.branch}}", "{{shout n}}"]
CSV_PARTS = ["type=raw", "value=a", '"value=a,b"', '"x""y"', 'a"b', '"ab', '"a"b', ' "a"', "", "p={{x}}", "'q'",
             '"a" ', "v=1", '""', "pattern=\\d{8}"]


def _csv_cases() -> list[str]:
    cases = []
    for first in CSV_PARTS:
        for second in CSV_PARTS:
            cases.append(f"{first},{second}" if second else first)
    return [case for case in cases if case]


def _list_cases() -> list[str]:
    parts = ["type=raw", '"value=a,b"', "value=a#b", " # note", 'say "hi"', '"x""y"', "#", "v=1 ", "p=\\d{8}"]
    return [f"{first},{second}" for first in parts for second in parts] + parts


def _require_libraries() -> str:
    node = require_tool("node", why="the differential test runs the action's own libraries")
    missing = [name for name in LIBRARIES if not (MODULES / name / "package.json").is_file()]
    if missing:
        reason = f"{', '.join(missing)} not installed in {MODULES} (run .ci/install-tools.sh)"
        if tools_required():
            pytest.fail(f"{reason} ({REQUIRE_TOOLS_ENV}=1 makes a missing tool a failure)", pytrace=False)
        pytest.skip(reason)
    return node


@pytest.fixture(scope="module")
def library_answers() -> dict[str, Any]:
    node = _require_libraries()
    cases = {"semver": SEMVER, "pep440": PEP440, "handlebars": HANDLEBARS, "csv": _csv_cases(),
             "list": [[line, no_infix] for line in _list_cases() for no_infix in (False, True)],
             "moment": [[iso, fmt, tz] for iso in INSTANTS for fmt in FORMATS for tz in ZONES]}
    completed = subprocess.run([node, "-e", NODE_SCRIPT], input=json.dumps(cases), capture_output=True, text=True,
                               timeout=120, check=True, env={"NODE_PATH": str(MODULES), "TZ": "UTC"})
    answers: dict[str, Any] = json.loads(completed.stdout)
    answers["cases"] = cases
    return answers


def test_semver_matches_node_semver(library_answers: dict[str, Any]) -> None:
    for text, want in zip(SEMVER, library_answers["semver"], strict=True):
        version = parse_semver(text)
        got = None if version is None else {"version": version.version, "raw": version.raw,
                                            "prerelease": list(version.prerelease), "build": list(version.build)}
        assert got == want, text


def test_pep440_matches_the_actions_library(library_answers: dict[str, Any]) -> None:
    for text, want in zip(PEP440, library_answers["pep440"], strict=True):
        version = parse_pep440(text)
        got = None if version is None else {"clean": version.clean, "final": version.is_final,
                                            "major": version.part(0), "minor": version.part(1),
                                            "patch": version.part(2)}
        assert got == want, text


def test_moment_formats_match_moment_timezone(library_answers: dict[str, Any]) -> None:
    cases = library_answers["cases"]["moment"]
    assert len(cases) > 1000
    for (iso, fmt, tz), want in zip(cases, library_answers["moment"], strict=True):
        moment = in_zone(datetime.fromisoformat(iso.replace("Z", "+00:00")), tz)
        assert format_moment(moment, fmt or default_format(moment)) == want, (iso, fmt, tz)


def test_handlebars_matches_handlebars(library_answers: dict[str, Any]) -> None:
    context: dict[str, Any] = {
        "branch": lambda args, named: "main", "amp": "a&b<c>", "n": 3, "items": ["rc", 1], "none": None,
        "shout": lambda args, named: ("undefined" if args[0] is None else _js_string(args[0])).upper()
        + str(named.get("end", "")),
    }
    for template, want in zip(HANDLEBARS, library_answers["handlebars"], strict=True):
        try:
            got: Any = render(template, context)
        except TemplateError:
            got = {"error": "Error"}
        assert not isinstance(got, Unknown)
        assert (isinstance(got, dict) and isinstance(want, dict)) or got == want, template


def test_csv_fields_match_csv_parse(library_answers: dict[str, Any]) -> None:
    for text, want in zip(library_answers["cases"]["csv"], library_answers["csv"], strict=True):
        try:
            got: Any = csv_fields(text)
        except MetadataError:
            got = {"error": "CsvError"}
        assert (isinstance(got, dict) and isinstance(want, dict)) or got == want, text


def test_input_lists_match_the_toolkits_reading(library_answers: dict[str, Any]) -> None:
    for (line, no_infix), want in zip(library_answers["cases"]["list"], library_answers["list"], strict=True):
        try:
            got: Any = input_list(line, 6 if no_infix else 5)
        except MetadataError:
            got = {"error": "CsvError"}
        assert (isinstance(got, dict) and isinstance(want, dict)) or got == want, (line, no_infix)


def _js_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def test_the_instants_cover_a_zone_change() -> None:
    # Lord Howe moves by half an hour: a zone table, not a fixed offset, must be behind in_zone.
    summer = in_zone(datetime(2026, 1, 3, tzinfo=UTC), "Australia/Lord_Howe").utcoffset()
    winter = in_zone(datetime(2026, 6, 30, tzinfo=UTC), "Australia/Lord_Howe").utcoffset()
    assert summer is not None
    assert winter is not None
    assert summer - winter == timedelta(minutes=30)
