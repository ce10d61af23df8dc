"""JavaScript regular expressions: JavaScript's answers where Python's differ, its syntax errors, and a time bound
that a catastrophic pattern on a crafted value cannot get past."""

from __future__ import annotations

import time

import pytest

from cicd_acceptance.workflows.event import BuildEvent
from cicd_acceptance.workflows.expressions import Unknown
from cicd_acceptance.workflows.jsregex import (
    JsRegexError,
    JsRegexLimit,
    JsRegexTimeout,
    compile_js,
    js_string_match,
    split_slashed,
)
from cicd_acceptance.workflows.metadata import MetadataInputs, evaluate_metadata
from cicd_acceptance.workflows.model import parse_workflow
from cicd_acceptance.workflows.publication import publication_plan
from cicd_acceptance.workflows.yamlnode import load_yaml_text


def match(subject: str, source: str, flags: str = "") -> list[str | None] | None:
    return js_string_match(subject, compile_js(source, flags))


# (subject, source, flags, what JavaScript's subject.match(new RegExp(source, flags)) gives)
CASES: list[tuple[str, str, str, list[str | None] | None]] = [
    ("v1.2.3\n", r"^v\d+\.\d+\.\d+$", "", None),                 # `$` is the very end (Python: before a final \n)
    ("v1.2.3\nx", r"^v\d+\.\d+\.\d+$", "m", ["v1.2.3"]),
    ("x\rv1", r"^v\d$", "m", ["v1"]),                             # \r ends a line for JavaScript
    ("v\u0663", r"v\d", "", None),                                # \d is ASCII only
    ("caf\u00e9", r"\w+$", "", None),                             # \w is ASCII only
    ("caf\u00e9", r"caf\W", "", ["caf\u00e9"]),
    ("a\u00a0b", r"a\sb", "", ["a\u00a0b"]),                      # \s includes no-break space
    ("\u00e9t\u00e9", r"\bt", "", ["t"]),                          # \b with ASCII word characters
    ("a\nb", r"a.b", "", None),
    ("a\u2028b", r"a.b", "", None),                               # `.` stops at every line terminator
    ("a\nb", r"a.b", "s", ["a\nb"]),
    ("ab", r"\1(a)(b)", "", ["ab", "a", "b"]),                   # a reference to an unset group is empty
    ("b", r"(a)?\1b", "", ["b", None]),
    ("7.7", r"(?<n>\d)\.\k<n>", "", ["7.7", "7"]),
    ("p1/v1.2.3", r"p1\/v(\d.\d.\d)", "", ["p1/v1.2.3", "1.2.3"]),
    ("ez", r"\e\z", "", ["ez"]),                                  # identity escapes without the u flag
    ("x", r"[]", "", None),
    ("x", r"[^]", "", ["x"]),
    ("a{", r"a{", "", ["a{"]),
    ("a{1", r"a{1", "", ["a{1"]),
    ("A1b2", r"[a-z]\d", "gi", ["A1", "b2"]),
    ("aaa", r"a*?", "g", ["", "", "", ""]),
    ("\x01", r"\cA", "", ["\x01"]),
    ("\x08", r"[\b]", "", ["\x08"]),
    ("Q", r"\x51", "", ["Q"]),
    ("\u00e9", r"\u00e9", "", ["\u00e9"]),
    ("\U0001f600", r"\u{1F600}", "u", ["\U0001f600"]),
    ("a-b", r"[\w-]+", "", ["a-b"]),
    ("x9", r"x\9", "", ["x9"]),                                   # \9 with no group 9 is the digit 9
    ("\u00e9", r"[^\W]", "", None),                                # \W inside a class is ASCII-based too
    ("\u00e9", r"[\W]", "", ["\u00e9"]),
    ("\u00a0", r"[\S]", "", None),
    ("\u0663", r"[\D]", "", ["\u0663"]),
    ("v12", r"(?<=v)\d+", "", ["12"]),
    ("\u00c9", "\u00e9", "i", ["\u00c9"]),
    ("a\u00f1b", r"\p{L}+", "u", ["a\u00f1b"]),
    ("abcabc", r"abc", "y", ["abc"]),
    ("zabc", r"abc", "y", None),                                  # sticky: only at the start
]


@pytest.mark.parametrize(("subject", "source", "flags", "expected"), CASES,
                         ids=[f"{index}:{case[1]}" for index, case in enumerate(CASES)])
def test_javascript_semantics(subject: str, source: str, flags: str, expected: list[str | None] | None) -> None:
    assert match(subject, source, flags) == expected


@pytest.mark.parametrize(("source", "flags"), [
    ("a**", ""), ("a+*", ""), ("a{2}{3}", ""), ("a++", ""), ("*a", ""), ("(?P<n>a)", ""), ("(?#c)", ""),
    ("(a", ""), ("a)", ""), ("[a", ""), ("a", "gg"), ("a", "x"), ("\\", ""), ("a{3,1}", ""), ("\\k<n>(?<m>a)", ""),
    ("\\q", "u"), ("a{", "u"), ("(?s-m:a)", ""),
])
def test_javascript_syntax_errors(source: str, flags: str) -> None:
    with pytest.raises(JsRegexError):
        compile_js(source, flags)


def test_group_modifiers_are_an_error_on_node_20_and_not_evaluated_on_node_24() -> None:
    with pytest.raises(JsRegexError) as on_20:
        compile_js("(?i:v)1")
    assert not isinstance(on_20.value, JsRegexLimit)
    with pytest.raises(JsRegexLimit, match="modifiers"):
        compile_js("(?i:v)1", node_major=24)
    with pytest.raises(JsRegexError):
        compile_js("(?x:v)1", node_major=24)


def test_slashed_form() -> None:
    assert split_slashed("/v(\\d+)/gi") == ("v(\\d+)", "gi")
    assert split_slashed("/a/b/c/") == ("a/b/c", "")
    assert split_slashed("v(\\d+)") is None
    assert split_slashed("//") is None


def test_pattern_and_subject_are_bounded() -> None:
    with pytest.raises(JsRegexError, match="longer than"):
        compile_js("a" * 5000)
    with pytest.raises(JsRegexError, match="longer than"):
        js_string_match("a" * 100_000, compile_js("a"))


@pytest.mark.parametrize("source", [r"(a+)+$", r"(a|aa)+$", r"(a|a)+$", r"(.*a){25}$", r"^(\w+\s?)+$"])
def test_catastrophic_patterns_end_with_a_timeout(source: str) -> None:
    # The bound is CPU time (the regex package's), so the check is too: wall time depends on the machine's load.
    started = time.process_time()
    with pytest.raises(JsRegexTimeout, match="did not finish"):
        js_string_match("a" * 5000 + "!", compile_js(source), timeout=0.2)
    assert time.process_time() - started < 5


def test_hostile_match_pattern_in_a_workflow_does_not_hang_the_harness() -> None:
    """A tag crafted for ``type=match,pattern=(a+)+$``: the entry becomes unknown with a note, quickly."""
    crafted = BuildEvent("push", "refs/tags/" + "a" * 4000 + "!", "0" * 40, "main", "acme/widget")
    started = time.process_time()
    result = evaluate_metadata(MetadataInputs(images="ghcr.io/acme/widget",
                                              tags="type=match,pattern=(a+)+$\ntype=sha"),
                               crafted, {}, regex_timeout=0.2)
    elapsed = time.process_time() - started
    assert elapsed < 5
    assert isinstance(result.tags[0], Unknown)
    assert result.tags[1] == "ghcr.io/acme/widget:sha-0000000"
    assert any("did not finish" in note for note in result.notes)


HOSTILE_WORKFLOW = """\
on:
  push:
    tags: ['*']
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - id: meta
        uses: docker/metadata-action@v5
        with:
          images: ghcr.io/acme/widget
          tags: |
            type=match,pattern=(a+)+$
            type=match,pattern=/(a|aa)+$/i,priority=850
            type=sha
      - uses: docker/build-push-action@v6
        with:
          push: true
          tags: ${{ steps.meta.outputs.tags }}
"""


def test_hostile_pattern_in_a_static_run_ends_with_unknown_tags_and_a_note() -> None:
    path = ".github/workflows/image.yml"
    workflow = parse_workflow(load_yaml_text(HOSTILE_WORKFLOW, display_path=path), path=path)
    crafted = BuildEvent("push", "refs/tags/" + "a" * 3000 + "!", "0" * 40, "main", "acme/widget")
    started = time.process_time()
    plan = publication_plan(workflow, crafted)
    assert time.process_time() - started < 5  # CPU time: two patterns at a 0.5 s bound each, whatever the load
    references = [reference for entry in plan.entries for reference in entry.references]
    assert "ghcr.io/acme/widget:sha-0000000" in references
    unknown = [str(reference) for reference in references if isinstance(reference, Unknown)]
    assert len(unknown) == 3  # the two timed-out entries, and latest (decided by whether they produce a tag)
    assert sum("did not finish" in note for note in plan.notes) == 2
