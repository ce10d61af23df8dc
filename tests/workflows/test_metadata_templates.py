"""The pieces metadata-action's templates rest on: Handlebars rendering, moment date formats, node-semver and
PEP 440 validity."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from cicd_acceptance.workflows.expressions import Unknown
from cicd_acceptance.workflows.handlebars import (
    TemplateError,
    TemplateLimit,
    TemplateUnsupported,
    render,
    statement_paths,
)
from cicd_acceptance.workflows.moment import default_format, format_moment, in_zone
from cicd_acceptance.workflows.semver import parse_pep440, parse_semver, semver_tag

CONTEXT: dict[str, Any] = {
    "branch": lambda args, named: "main",
    "amp": "a&b<c>",
    "n": 3,
    "items": ["rc", 1],
    "shout": lambda args, named: str(args[0]).upper() + str(named.get("end", "")),
    "later": lambda args, named: Unknown("<later>", template=True),
}


@pytest.mark.parametrize(("template", "expected"), [
    ("plain", "plain"),
    ("{{branch}}-x", "main-x"),
    ("{{ branch }}", "main"),
    ("{{missing}}.", "."),
    ("{{amp}}", "a&amp;b&lt;c&gt;"),
    ("{{{amp}}}", "a&b<c>"),
    ("{{& amp}}", "a&b<c>"),
    ("{{n}}", "3"),
    ("{{items}}", "rc,1"),
    ("{{shout 'hi' end='!'}}", "HI!"),
    ('{{shout "it\'s"}}', "IT&#x27;S"),
    ("a {{~branch~}} b", "amainb"),
    ("x{{! a comment }}y", "xy"),
    ("x{{!-- a }} comment --}}y", "xy"),
    ("\\{{branch}}", "{{branch}}"),
    ("}}{", "}}{"),
])
def test_handlebars_render(template: str, expected: str) -> None:
    assert render(template, CONTEXT) == expected


def test_unknown_values_make_an_unknown_template() -> None:
    rendered = render("v-{{later}}-{{branch}}", CONTEXT)
    assert isinstance(rendered, Unknown)
    assert rendered.display() == "v-<later>-main"


@pytest.mark.parametrize("template", ["{{branch", "{{}}", "{{shout-it 'x'}}", "{{n 'x'}}", "{{'x'}}"])
def test_handlebars_errors(template: str) -> None:
    with pytest.raises(TemplateError):
        render(template, CONTEXT)


@pytest.mark.parametrize("template", ["{{#if branch}}x{{/if}}", "{{> partial}}", "{{shout (lower 'x')}}"])
def test_handlebars_unsupported(template: str) -> None:
    with pytest.raises(TemplateUnsupported):
        render(template, CONTEXT)


def test_statement_paths() -> None:
    assert statement_paths("{{ raw }}") == ["raw"]
    assert statement_paths("{{raw}}.{{version}}") == ["raw", "version"]
    assert statement_paths("{{raw") is None


INSTANT = datetime(2026, 1, 3, 21, 4, 5, 678000, tzinfo=UTC)


@pytest.mark.parametrize(("pattern", "tz", "expected"), [
    ("YYYYMMDD", "UTC", "20260103"),
    ("YYYYMMDD-HHmmss", "Asia/Tokyo", "20260104-060405"),
    ("YYYY-MM-DDTHH:mm:ss.SSS[Z]", "UTC", "2026-01-03T21:04:05.678Z"),
    ("dddd, MMMM Do YYYY, h:mm:ss a", "UTC", "Saturday, January 3rd 2026, 9:04:05 pm"),
    ("ddd D MMM YY", "America/New_York", "Sat 3 Jan 26"),
    ("H:mm Z", "America/New_York", "16:04 -05:00"),
    ("HHmm ZZ", "Asia/Kolkata", "0234 +0530"),
    ("Q Qo DDD DDDD", "UTC", "1 1st 3 003"),
    ("W WW GGGG", "UTC", "1 01 2026"),
    ("w gggg", "UTC", "1 2026"),
    ("X x", "UTC", "1767474245 1767474245678"),
    ("[week] w [of] YYYY", "UTC", "week 1 of 2026"),
    ("YYYYMMDD", "Not/AZone", "20260103"),
    ("k A S SS", "UTC", "21 PM 6 67"),
    ("LL [at] LT", "UTC", "January 3, 2026 at 9:04 PM"),
    ("l", "UTC", "1/3/2026"),
])
def test_moment_formats(pattern: str, tz: str, expected: str) -> None:
    assert format_moment(in_zone(INSTANT, tz), pattern) == expected


@pytest.mark.parametrize(("tz", "expected"), [
    ("UTC", "2026-01-03T21:04:05Z"), ("Europe/London", "2026-01-03T21:04:05Z"),
    ("Asia/Tokyo", "2026-01-04T06:04:05+09:00"), ("Not/AZone", "2026-01-03T21:04:05+00:00"),
])
def test_moment_default_format(tz: str, expected: str) -> None:
    moment = in_zone(INSTANT, tz)
    assert format_moment(moment, default_format(moment)) == expected


def test_zone_abbreviation() -> None:
    assert format_moment(in_zone(INSTANT, "UTC"), "z") == "UTC"
    assert format_moment(in_zone(INSTANT, "Not/AZone"), "z") == ""


def test_locale_week_at_year_end() -> None:
    # 2025-12-28 is a Sunday: in the English locale it starts week 1 of 2026.
    assert format_moment(in_zone(datetime(2025, 12, 28, 12, tzinfo=UTC), "UTC"), "w gggg") == "1 2026"
    assert format_moment(in_zone(datetime(2025, 12, 27, 12, tzinfo=UTC), "UTC"), "w gggg") == "52 2025"


@pytest.mark.parametrize(("text", "valid"), [
    ("1.2.3", True), ("v1.2.3", True), (" v1.2.3 ", True), ("1.2.3-rc.1", True), ("1.2.3-0a.1", True),
    ("1.2.3+build.01", True), ("1.2.3-rc.1+b", True), ("1.2", False), ("01.2.3", False), ("1.2.3-01", False),
    ("1.2.3-", False), ("1.2.3-rc..1", False), ("=1.2.3", False), ("v1.2.3.4", False), ("1.2.3+", False),
    ("9007199254740992.0.0", False), ("1." + "1" * 300 + ".0", False),
])
def test_semver_validity(text: str, valid: bool) -> None:
    assert (parse_semver(text) is not None) is valid


def test_semver_fields() -> None:
    version = parse_semver("v2.0.8-beta.67+exp.sha.5114f85")
    assert version is not None
    assert version.version == "2.0.8-beta.67"
    assert version.fields()["prerelease"] == ["beta", 67]
    assert version.fields()["build"] == ["exp", "sha", "5114f85"]
    assert version.fields()["raw"] == "v2.0.8-beta.67+exp.sha.5114f85"


def test_semver_tag_kept_for_the_first_api() -> None:
    assert semver_tag("v1.2.3", "{{major}}.{{minor}}") == ("1.2", True)
    assert semver_tag("v1.2.3-rc.1", "{{major}}") == ("1.2.3-rc.1", False)
    assert semver_tag("v1.2.3-rc.1", "{{raw}}") == ("v1.2.3-rc.1", False)
    assert semver_tag("nope", "{{version}}") is None


@pytest.mark.parametrize(("text", "clean", "final"), [
    ("1.2.3", "1.2.3", True), ("v1.2.3", "1.2.3", True), ("1.2.3RC2", "1.2.3rc2", False),
    ("1.2.3-post1", "1.2.3.post1", False), ("1.0-dev4", "1.0.dev4", False), ("1.2+local.7", "1.2+local,7", True),
    ("2!1.0", "2!1.0", True),
])
def test_pep440(text: str, clean: str, final: bool) -> None:
    version = parse_pep440(text)
    assert version is not None
    assert (version.clean, version.is_final) == (clean, final)


@pytest.mark.parametrize("text", ["1.2.3.x", "one", "1.2-beta-gamma", "", " 1.0 "])
def test_pep440_invalid(text: str) -> None:
    assert parse_pep440(text) is None


def test_a_crafted_template_is_bounded() -> None:
    started = time.process_time()
    with pytest.raises(TemplateLimit):
        render("{{branch}}-" * 150_000, CONTEXT)
    assert render("v" * 60_000, CONTEXT) == "v" * 60_000
    assert time.process_time() - started < 5
