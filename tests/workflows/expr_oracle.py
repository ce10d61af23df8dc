"""Differential testing of the ``${{ }}`` evaluator against GitHub's own (npm ``@actions/expressions``).

Expressions and contexts are generated from the grammar with hypothesis (:func:`batches`); :func:`run_oracle`
evaluates a whole batch in ONE node process (``oracle/evaluate.mjs``), :func:`ours` evaluates one case here, and
:func:`compare` lists the differences. Values cross the process boundary as tagged JSON (``["#", "1e+21"]`` is a
number, ``["s", "1"]`` a string, objects keep their key order), so a difference of kind or order is a difference.

Accepted deviations: each is a place where the npm package differs from GitHub's runner (or has no bound where the
harness must have one); a difference is accepted only when its case matches the deviation's predicate.
"""

from __future__ import annotations

import functools
import json
import math
import re
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from cicd_acceptance.errors import WorkflowLoadError
from cicd_acceptance.workflows.expr_numbers import js_number_text
from cicd_acceptance.workflows.expr_values import PartialObject, contains_unknown
from cicd_acceptance.workflows.expressions import Unknown, evaluate_known, truthy

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / ".tools" / "node_modules" / "@actions" / "expressions"
SCRIPT = Path(__file__).resolve().parent / "oracle" / "evaluate.mjs"

Tagged = list[Any]
Outcome = dict[str, Any]  # {"ok": tagged} | {"error": message} | {"crash": what escaped}

# Names of Object.prototype members: the npm package's objects are plain JavaScript objects keyed by these names,
# so such a key is silently dropped (GitHub's runner keeps it).
PROTOTYPE_NAMES = ("constructor", "__proto__", "tostring", "valueof", "hasownproperty", "isprototypeof",
                   "propertyisenumerable", "tolocalestring", "__definegetter__", "__definesetter__",
                   "__lookupgetter__", "__lookupsetter__")


@dataclass(frozen=True)
class Case:
    expr: str
    context: Tagged  # ["o", [[name, tagged value]...]]


_STRING = re.compile(r"'(?:[^']|'')*'")


def _double_escape(case: Case, ours: Outcome, theirs: Outcome) -> bool:
    return any(match.group()[1:-1].count("''") >= 2 for match in _STRING.finditer(case.expr))


def _prototype_key(case: Case, ours: Outcome, theirs: Outcome) -> bool:
    text = (case.expr + json.dumps(case.context)).lower()
    return any(name in text for name in PROTOTYPE_NAMES)


def _memory_bound(case: Case, ours: Outcome, theirs: Outcome) -> bool:
    return "memory limit" in ours.get("error", "")


def _json_depth(case: Case, ours: Outcome, theirs: Outcome) -> bool:
    return "nested deeper than 200" in ours.get("error", "")


def _oracle_stack(case: Case, ours: Outcome, theirs: Outcome) -> bool:
    return "Maximum call stack size exceeded" in theirs.get("error", "")


# name -> (reason, predicate on the case and both outcomes). Kept as short as the evidence allows.
ACCEPTED_DEVIATIONS: dict[str, tuple[str, Callable[[Case, Outcome, Outcome], bool]]] = {
    "quote escapes": ("a string literal with two or more '' escapes: the npm package un-escapes only the first "
                      "(String.replace with a string pattern); GitHub's runner un-escapes every one, as we do",
                      _double_escape),
    "prototype keys": ("object keys named like Object.prototype members ('constructor', '__proto__'...): the npm "
                       "package drops them (its key index is a plain JavaScript object); GitHub's runner keeps them",
                       _prototype_key),
    "memory bound": ("a value past GitHub's 1 MiB evaluation memory bound: GitHub's runner fails the evaluation, "
                     "the npm package has no bound", _memory_bound),
    "json depth": ("fromJSON() of JSON nested deeper than 200: refused here to bound the harness's stack; the npm "
                   "package parses any depth", _json_depth),
    "oracle stack": ("a comparison chain of thousands of terms ('1 == 1 == ...'): the npm package evaluates it "
                     "recursively and runs out of JavaScript stack; we fold the chain in a loop and give the value "
                     "GitHub's rules define", _oracle_stack),
}


# --- tagged values -----------------------------------------------------------------------------------------------
def encode(value: Any) -> Tagged:
    if value is None:
        return ["n"]
    if isinstance(value, bool):
        return ["b", value]
    if isinstance(value, int | float):
        return ["#", js_number_text(value)]
    if isinstance(value, str):
        return ["s", value]
    if isinstance(value, list):
        return ["a", [encode(item) for item in value]]
    if isinstance(value, Mapping):
        return ["o", [[key, encode(item)] for key, item in value.items()]]
    raise TypeError(f"not an expression value: {value!r}")


def decode(tagged: Tagged) -> Any:
    kind = tagged[0]
    if kind == "n":
        return None
    if kind in {"b", "s"}:
        return tagged[1]
    if kind == "#":
        number = float(tagged[1])
        return int(number) if number.is_integer() and abs(number) <= 2**53 else number
    if kind == "a":
        return [decode(item) for item in tagged[1]]
    return {key: decode(item) for key, item in tagged[1]}


# --- the two evaluators --------------------------------------------------------------------------------------------
def ours(case: Case) -> Outcome:
    contexts = decode(case.context)
    try:
        value = evaluate_known(case.expr, contexts)
    except WorkflowLoadError as exc:
        return {"error": str(exc)}
    except Exception as exc:  # anything else escaping is itself the finding
        return {"crash": f"{type(exc).__name__}: {exc}"}
    return {"ok": encode(value)}


def guesses(case: Case, full: Outcome) -> str | None:
    """Three-valued soundness: with part of the context unknown (``x`` entirely, ``matrix`` by half its keys), a
    known answer must be the answer of the full context, and a known truthiness its truthiness. Returns what went
    wrong, or None."""
    contexts = decode(case.context)
    matrix = contexts["matrix"]
    contexts["x"] = Unknown("x")
    contexts["matrix"] = PartialObject({key: matrix[key] for key in list(matrix)[::2]}, "matrix")
    try:
        value = evaluate_known(case.expr, contexts)
    except WorkflowLoadError as exc:
        return None if "error" in full else f"partial context fails ({exc}), full gives {full}"
    if isinstance(value, Unknown):
        if value.truthy is None or "ok" not in full:
            return None
        real = truthy(decode(full["ok"]))
        return None if real == value.truthy else f"claims truthiness {value.truthy}, full gives {full}"
    if contains_unknown(value):  # a partial object as the value: its identity is known, not its content
        return None
    if "ok" not in full or encode(value) != full["ok"]:
        return f"claims {encode(value)}, full gives {full}"
    return None


def run_oracle(node: str, cases: list[Case], *, timeout: float = 300.0) -> list[Outcome]:
    """GitHub's evaluator on every case, in one node process."""
    batch = json.dumps({"cases": [{"expr": case.expr, "context": case.context} for case in cases]})
    done = subprocess.run([node, str(SCRIPT), str(PACKAGE)], input=batch, capture_output=True, text=True,
                          timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"oracle failed ({done.returncode}): {done.stderr[-2000:]}")
    results: list[Outcome] = json.loads(done.stdout)["results"]
    return results


def same(mine: Outcome, theirs: Outcome) -> bool:
    if "ok" in mine and "ok" in theirs:
        return bool(mine["ok"] == theirs["ok"])
    return "error" in mine and "error" in theirs


@dataclass
class Comparison:
    compared: int
    differences: list[tuple[Case, Outcome, Outcome]]
    accepted: dict[str, int]


def compare(cases: list[Case], mine: list[Outcome], theirs: list[Outcome]) -> Comparison:
    differences: list[tuple[Case, Outcome, Outcome]] = []
    accepted = dict.fromkeys(ACCEPTED_DEVIATIONS, 0)
    for case, a, b in zip(cases, mine, theirs, strict=True):
        if "crash" not in a and same(a, b):
            continue
        reason = next((name for name, (_, matches) in ACCEPTED_DEVIATIONS.items()
                       if "crash" not in a and matches(case, a, b)), None)
        if reason is None:
            differences.append((case, a, b))
        else:
            accepted[reason] += 1
    return Comparison(len(cases), differences, accepted)


# --- generators --------------------------------------------------------------------------------------------------
CONTEXT_NAMES = ("matrix", "env", "x", "Deep")
KEYS = ("a", "B", "name", "Name2", "version", "tags", "0", "1", "10", "x-y", "_k")
PROPERTY_NAMES = ("a", "b", "NAME", "name", "version", "tags", "x-y", "_k", "missing", "NaN", "true", "Infinity")
TEXTS = ("", "a", "A", "abc", "ABC", " 12 ", "0x02", " 0x02 ", "1_000", "infinity", "Infinity", "-Infinity", "1e3",
         ".5", "5.", "NaN", "true", "null", "Array", "Object", "{0}", "{{", "}}", "{", "}", "{0}-{1}", "{1}", "{0:x}",
         "{ 0}", "{0}{{x}}", "\u0130_asdf", "i", "\u0131", "I", "\u00df", "SS", "\ufb01", "\u03c3\u03c2", "\u03a3",
         "\U0001f600", "\ufffd", "\u00a0", "\n", "\t", "[", "a'b", '{"a":[1,2]}', '[1,"x",null,{"k":true}]',
         '{"b":1,"2":2,"A":3,"a":4}', '{"a":1,"a":2}', "[]", "{}", "  ", "0", "-0", "1.0", "\\", '"', "1e400",
         '"s"', "[[[]]]", " [1] ", "0o17", "0b11", "+5", "-0x10", "1,2", "name", "NAME")
CHARS = "aAzZ0 9_-.'{}[]\",\\\n\x01\u0131\u0130\u00df\u03c3\U0001f600\u00a0"
NUMBER_SOURCES = ("0", "1", "-1", "+1", "1.5", "-1.5", ".5", "5.", "1e3", "1E-3", "-1e21", "1e21", "0x1F", "0X1f",
                  "0o17", "0b101", "NaN", "Infinity", "-Infinity", "+Infinity", "00012", "12345678901234567890",
                  "1e400", "5e-324", "0.1", "123456789.123456789", "9007199254740993", "2.5", "0.000001", "1e-7",
                  "1_000", "0x", "-0x10", "1.2.3", "-", "-.5", "1e", "0.30000000000000004", "-0")
INDEXES = ("0", "1", "'a'", "'A'", "true", "false", "null", "' 0x02 '", "-1", "1.5", "NaN", "Infinity", "'1'",
           "'name'", "1e300", "'0'", "2")
OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "&&", "||")
SOUP = ("(", ")", "[", "]", ",", ".", "!", "==", "&&", "||", "<", "*", "x", "matrix", "1", "'s'", "-", "+", "=",
        "&", "|", "format", "true", " ", "'", "a", "join", "null", ".5", "0x")


# Every strategy is built on first use, inside these functions, never at import: building one at import is a side
# effect hypothesis warns about ("avoid lazy evaluation ... between importing hypothesis and loading the hypothesis
# plugin"), and the warning turns into an error in any later in-process pytest that loads that plugin.
def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@functools.cache
def _numbers() -> st.SearchStrategy[int | float]:
    return st.one_of(
        st.sampled_from([1, 0, -1, 0.5, 1e21, 1e-7, 2**53, 2**53 + 2, 123456789.123456789, 0.1, -0.0, math.inf,
                         -math.inf, math.nan, 1e300, 5e-324, 3]),
        st.integers(-(10**6), 10**6),
        st.floats(allow_nan=False, allow_infinity=False),
    )


@functools.cache
def _texts() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(TEXTS), st.text(CHARS, max_size=6))


def _dict_of(values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    keys = st.lists(st.sampled_from(KEYS), max_size=4, unique_by=str.lower)
    return keys.flatmap(lambda ks: st.tuples(*[values for _ in ks]).map(lambda vs: dict(zip(ks, vs, strict=True))))


@functools.cache
def _values() -> st.SearchStrategy[Any]:
    return st.recursive(
        st.one_of(st.none(), st.booleans(), _numbers(), _texts()),
        lambda inner: st.one_of(st.lists(inner, max_size=4), _dict_of(inner)),
        max_leaves=8,
    )


@st.composite
def contexts(draw: st.DrawFn) -> Tagged:
    matrix = draw(_dict_of(_values()))
    env = draw(_dict_of(st.one_of(_texts(), _numbers())))
    deep = draw(st.lists(_dict_of(_values()), max_size=3))
    return encode({"matrix": matrix, "env": env, "x": draw(_values()), "Deep": deep})


def _literals() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(("null", "true", "false", "NULL", "True")),
        st.sampled_from(NUMBER_SOURCES),
        _numbers().map(lambda n: js_number_text(n) if isinstance(n, int) or not n.is_integer() else repr(n)),
        _texts().map(_quote),
    )


def _postfix(base: st.SearchStrategy[str], index: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    step = st.one_of(st.sampled_from(PROPERTY_NAMES).map(lambda n: f".{n}"), st.just(".*"), st.just("[*]"),
                     index.map(lambda i: f"[{i}]"))
    return st.tuples(base, st.lists(step, max_size=4)).map(lambda pair: pair[0] + "".join(pair[1]))


@functools.cache
def _names() -> st.SearchStrategy[str]:
    return _postfix(st.sampled_from((*CONTEXT_NAMES, "MATRIX", "deep")), st.sampled_from(INDEXES))


def _compound(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def call(name: str, count: int) -> st.SearchStrategy[str]:
        return st.lists(inner, min_size=count, max_size=count).map(lambda args: f"{name}({', '.join(args)})")

    two = st.tuples(inner, inner)
    return st.one_of(
        inner.map(lambda e: f"({e})"),
        inner.map(lambda e: f"!{e}"),
        st.tuples(inner, st.sampled_from(OPERATORS), inner).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        st.tuples(inner, st.sampled_from(OPERATORS), inner, st.sampled_from(OPERATORS), inner).map(
            lambda t: " ".join(t)),
        _postfix(inner.map(lambda e: f"({e})"), st.one_of(st.sampled_from(INDEXES), inner)),
        call("contains", 2), call("startsWith", 2), call("endsWith", 2), call("join", 1), call("join", 2),
        call("toJSON", 1), call("fromJSON", 1), call("fromJSON", 1).map(lambda e: f"toJSON({e})"),
        st.tuples(st.sampled_from(TEXTS).map(_quote), st.lists(inner, max_size=3)).map(
            lambda t: f"format({', '.join([t[0], *t[1]])})"),
        st.lists(two, min_size=1, max_size=3).flatmap(
            lambda pairs: inner.map(lambda d: "case(" + ", ".join([*(f"{p}, {v}" for p, v in pairs), d]) + ")")),
        two.map(lambda t: f"format('{{0}}{{1}}', {t[0]} {t[1]})"),  # no comma: GitHub refuses it
        st.sampled_from(("contains", "join", "case", "format", "nosuch", "toJSON")).flatmap(
            lambda name: st.lists(inner, max_size=4).map(lambda args: f"{name}({', '.join(args)})")),
    )


@functools.cache
def _expressions() -> st.SearchStrategy[str]:
    # Half the leaves are literals, half contexts (.map keeps one_of from flattening the literal kinds into the draw).
    return st.recursive(st.one_of(_literals().map(str), _names()), _compound, max_leaves=10)


_WRAPPERS = ("({})", "!{}", "format('{{0}}', {})", "toJSON({})", "({}).a", "({})[0]", "({}).*", "x[{}]",
             "join({}, ',')", "({} || null)", "({} && true)", "case(true, {}, 1)")


@st.composite
def _deep(draw: st.DrawFn) -> str:
    expr = draw(_expressions())
    for _ in range(draw(st.integers(0, 60))):
        expr = draw(st.sampled_from(_WRAPPERS)).format(expr)
    return expr


def _logic() -> st.SearchStrategy[str]:
    """&& and || over contexts and decisive literals: where an unknown operand's truthiness can still be decided."""
    leaf = st.one_of(_names(), st.sampled_from(
        ("true", "false", "0", "1", "''", "'a'", "null", "NaN", "x == 1", "x", "x.a", "x[0]", "matrix.a", "matrix.B")))
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.tuples(st.lists(inner, min_size=2, max_size=4), st.sampled_from(("&&", "||"))).map(
                lambda t: "(" + f" {t[1]} ".join(t[0]) + ")"),
            inner.map(lambda e: f"!{e}"),
            st.tuples(inner, inner, inner).map(lambda t: f"case({t[0]} == {t[1]}, {t[2]}, 0)"),
        ),
        max_leaves=8,
    )


def expressions() -> st.SearchStrategy[str]:
    soup = st.lists(st.sampled_from(SOUP), max_size=12).map("".join)
    chains = st.tuples(st.lists(_expressions(), min_size=2, max_size=8), st.sampled_from(OPERATORS)).map(
        lambda t: f" {t[1]} ".join(t[0]))
    return st.one_of(_expressions(), _deep(), soup, chains, _logic())


@functools.cache
def batches() -> st.SearchStrategy[list[Case]]:
    """One context and several expressions per example: a context is the costly part to generate."""
    # Hypothesis keeps caches (constants, Unicode tables) in ./.hypothesis by default: not in the repository.
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "cicd-acceptance-hypothesis")
    every = expressions()
    # Hypothesis favours the simplest draws ('null' again and again): short expressions are kept to a few per batch.
    varied = st.one_of(every.filter(lambda e: len(e) >= 12), every)
    return st.tuples(contexts(), st.lists(varied, min_size=8, max_size=16, unique=True)).map(
        lambda pair: [Case(expr, pair[0]) for expr in pair[1]])
