"""Differential test: :mod:`jsregex` against Node's own ``RegExp`` (the engine the actions run on).

Thousands of generated patterns, flags and subjects go to one ``node`` process; ``subject.match(new RegExp(...))``
there must equal :func:`js_string_match` here, or both must be a SyntaxError. The generator leaves out one thing on
purpose: a quantified group that can match the empty string (``()?``, ``(a*)*``), where JavaScript reports the group
as not taking part and the ``regex`` package reports ``''``. For metadata-action both mean "no tag".
"""

from __future__ import annotations

import json
import random
import subprocess
from typing import Any

import pytest

from cicd_acceptance.testing.tooling import require_tool
from cicd_acceptance.workflows.jsregex import JsRegexError, JsRegexLimit, compile_js, js_string_match

pytestmark = pytest.mark.tool

ATOMS = ["a", "b", "A", "x", ".", "\\d", "\\w", "\\s", "\\D", "\\W", "\\S", "[a-c]", "[^a]", "[\\d.]", "[\\W]",
         "[\\s\\S]", "\\b", "\\B", "^", "$", "(a)", "(?:ab)", "(?<n>b)", "\\1", "\\k<n>", "\u00e9", "\\u00e9",
         "\\x41", "\\/", "\\.", "(?=a)", "(?!a)", "(?<=a)", "(?<!b)", "[]", "[^]", "{", "}", "]", "\\e", "\\0",
         "\\cA", "\\c1", "[\\b]", "\\-", "[a-]", "[-a]", "(a|b)", "a|", "|b", "\\2", "\\8", "[\\]]", "[^\\^]",
         "\\u{41}", "\\p{L}", "\\P{L}", "\\q", "(?i:a)", "(?P<p>a)", "a{,2}", "[z-a]"]
QUANTIFIERS = ["", "", "", "*", "+", "?", "{1,2}", "*?", "+?", "{2}", "{0,}", "??", "{2,1}"]
FLAGS = ["", "", "i", "g", "m", "s", "u", "y", "gi", "im", "su", "iu", "gy", "gg", "x"]
ALPHABET = "aAbB\u00e91 .\n/_-x\u0663\u00a0\r"
NODE_SCRIPT = """
let data = '';
process.stdin.on('data', chunk => data += chunk).on('end', () => {
  const out = [];
  for (const [subject, source, flags] of JSON.parse(data)) {
    try {
      const found = subject.match(new RegExp(source, flags));
      out.push(found === null ? null : Array.from(found, item => item === undefined ? null : item));
    } catch (error) {
      out.push({error: error.name});
    }
  }
  process.stdout.write(JSON.stringify(out));
});
"""


def generated_cases(seed: int, count: int) -> list[list[str]]:
    rnd = random.Random(seed)  # noqa: S311 - a reproducible test generator, not a secret
    cases = []
    for _ in range(count):
        pattern = "".join(rnd.choice(ATOMS) + rnd.choice(QUANTIFIERS) for _ in range(rnd.randint(1, 4)))
        subject = "".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, 8)))
        cases.append([subject, pattern, rnd.choice(FLAGS)])
    return cases


def ours(subject: str, source: str, flags: str) -> Any:
    try:
        return js_string_match(subject, compile_js(source, flags), timeout=2.0)
    except JsRegexLimit as exc:  # pragma: no cover - the generated cases are small
        return {"limit": str(exc)}
    except JsRegexError:
        return {"error": "SyntaxError"}


def test_matches_node_regexp_on_generated_cases() -> None:
    node = require_tool("node", why="the differential test runs JavaScript's own RegExp")
    cases = generated_cases(seed=20261202, count=3000)
    completed = subprocess.run([node, "-e", NODE_SCRIPT], input=json.dumps(cases), capture_output=True, text=True,
                               timeout=120, check=True)
    expected = json.loads(completed.stdout)
    answers = [ours(*case) for case in cases]
    differences = [(case, want, got) for case, want, got in zip(cases, expected, answers, strict=True) if got != want]
    assert differences == [], f"{len(differences)} of {len(cases)} differ, first: {differences[:5]}"
    assert sum(1 for want in expected if isinstance(want, dict)) > 100  # the generator does reach SyntaxErrors
    assert sum(1 for want in expected if isinstance(want, list)) > 300  # and matches
