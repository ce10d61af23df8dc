"""JavaScript regular expressions, run with JavaScript's semantics and a time bound.

Actions such as docker/metadata-action evaluate patterns from the workflow with JavaScript's ``RegExp`` on values
the harness does not control (git tags, ``value=`` attributes). Python's ``re`` reads the same text differently
(``$`` also matches before a final newline, ``\\d`` matches any Unicode digit, ``(?<name>...)`` and ``\\k<name>``
are not Python syntax, a back-reference to a group that did not take part never matches) and has no time bound,
so a catastrophic pattern such as ``(a+)+$`` on a crafted value hangs it.

:func:`compile_js` translates the JavaScript source into a pattern for the ``regex`` package (which supports a
per-call ``timeout``), and :func:`js_string_match` gives what ``String.prototype.match`` returns. What JavaScript
rejects (``a**``, ``(?P<n>x)``, unknown flags) raises :class:`JsRegexError`; a match that takes longer than the
bound raises :class:`JsRegexTimeout`: never a hang, never a guess. The ``regex`` package measures the bound in
CPU time, so on a loaded machine the wall-clock time is longer (about three times 0.5 s with eight busy processes
on two cores), but it stays bounded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import regex

from cicd_acceptance.errors import HarnessError

__all__ = ["DEFAULT_TIMEOUT_S", "JsRegex", "JsRegexError", "JsRegexLimit", "JsRegexTimeout", "compile_js",
           "js_string_match", "split_slashed"]

DEFAULT_TIMEOUT_S = 0.5
MAX_PATTERN_CHARS = 2000  # a workflow attribute; real tag patterns are a few dozen characters
MAX_SUBJECT_CHARS = 65536
MAX_MATCHES = 10000  # the `g` flag collects every match; bound the list

_WS = "\\t\\n\\x0b\\x0c\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
_LINE_END = "\\n\\r\\u2028\\u2029"
_WORD = "A-Za-z0-9_"
_CLASS_ESCAPES = {"d": "0-9", "w": _WORD, "s": _WS}
# The complements, written as ranges so that they can sit inside another [...] (Python's own \D \W \S are Unicode).
_NEGATED_CLASS = {
    "D": "\\x00-\\x2f\\x3a-\\U0010ffff",
    "W": "\\x00-\\x2f\\x3a-\\x40\\x5b-\\x5e\\x60\\x7b-\\U0010ffff",
    "S": ("\\x00-\\x08\\x0e-\\x1f\\x21-\\x9f\\xa1-\\u167f\\u1681-\\u1fff\\u200b-\\u2027\\u202a-\\u202e"
          "\\u2030-\\u205e\\u2060-\\u2fff\\u3001-\\ufefe\\uff00-\\U0010ffff"),
}
_CONTROL = {"f": "\\x0c", "n": "\\n", "r": "\\r", "t": "\\t", "v": "\\x0b"}
_QUANTIFIER_START = "*+?{"


class JsRegexError(HarnessError):
    """A pattern JavaScript itself would reject (``SyntaxError``), or one too large to run."""


class JsRegexLimit(JsRegexError):
    """The harness's own bound was reached (time, pattern or value size): JavaScript would not have failed, but
    the answer is not known."""


class JsRegexTimeout(JsRegexLimit):
    """Matching did not finish within the time bound (a catastrophic pattern on a crafted value)."""


@dataclass(frozen=True)
class JsRegex:
    """A compiled JavaScript pattern: ``source`` and ``flags`` as written, ``group_count`` capture groups."""

    source: str
    flags: str
    compiled: regex.Pattern[str]
    group_count: int

    @property
    def is_global(self) -> bool:
        return "g" in self.flags

    @property
    def sticky(self) -> bool:
        return "y" in self.flags


def split_slashed(pattern: str) -> tuple[str, str] | None:
    """``/v(\\d+)/i`` -> ``("v(\\d+)", "i")``; ``None`` when ``pattern`` is not written between slashes.

    The same rule as metadata-action's ``/^\\/(.+)\\/(.*)$/``: greedy, so the flags follow the last slash.
    """
    if "\n" in pattern or "\r" in pattern or "\u2028" in pattern or "\u2029" in pattern:
        return None
    if len(pattern) < 3 or not pattern.startswith("/"):
        return None
    last = pattern.rfind("/")
    if last <= 1:
        return None
    return pattern[1:last], pattern[last + 1:]


def compile_js(source: str, flags: str = "", *, node_major: int = 20) -> JsRegex:
    """``new RegExp(source, flags)`` as a time-boundable ``regex`` pattern, as Node ``node_major`` reads it (20 runs
    metadata-action v5; 24, which runs v6, also knows ES2025 ``(?i:...)`` modifiers, which this translation does
    not evaluate: :class:`JsRegexLimit` there, a SyntaxError on Node 20)."""
    if len(source) > MAX_PATTERN_CHARS:
        raise JsRegexLimit(f"regular expression longer than {MAX_PATTERN_CHARS} characters")
    for flag in flags:
        if flag not in "dgimsuvy" or flags.count(flag) > 1:
            raise JsRegexError(f"Invalid flags supplied to RegExp constructor '{flags}'")
    translated, groups = _Translator(source, flags, node_major).run()
    py_flags = regex.VERSION0 | (regex.IGNORECASE if "i" in flags else 0)
    try:
        compiled = regex.compile(translated, py_flags)
    except (regex.error, OverflowError, RecursionError) as exc:
        raise JsRegexError(f"Invalid regular expression: /{source}/: {exc}") from None
    if compiled.groups != groups:  # the translation must keep JavaScript's group numbers
        raise JsRegexError(f"Invalid regular expression: /{source}/: groups are not numbered as JavaScript does")
    return JsRegex(source, flags, compiled, groups)


def js_string_match(subject: str, pattern: JsRegex, *, timeout: float = DEFAULT_TIMEOUT_S) -> list[str | None] | None:
    """``subject.match(pattern)``: the match and its groups (``None`` for a group that did not take part), all
    matched strings with the ``g`` flag, or ``None`` when nothing matches."""
    if len(subject) > MAX_SUBJECT_CHARS:
        raise JsRegexLimit(f"value longer than {MAX_SUBJECT_CHARS} characters")
    deadline = time.monotonic() + timeout
    if not pattern.is_global:
        found = _run(pattern, subject, 0, deadline, timeout)
        if found is None:
            return None
        return [found.group(0), *(found.group(index) for index in range(1, pattern.group_count + 1))]
    matches: list[str | None] = []
    position = 0
    while position <= len(subject) and len(matches) < MAX_MATCHES:
        found = _run(pattern, subject, position, deadline, timeout)
        if found is None:
            break
        matches.append(found.group(0))
        # An empty match advances by one, as RegExp.prototype[Symbol.match] does.
        position = found.end() + 1 if found.end() == found.start() else found.end()
    return matches or None


def _run(pattern: JsRegex, subject: str, position: int, deadline: float, bound: float) -> regex.Match[str] | None:
    remaining = deadline - time.monotonic()
    message = (f"/{pattern.source}/{pattern.flags} did not finish matching {len(subject)} characters within "
               f"{bound:g} s (catastrophic backtracking?)")
    if remaining <= 0:
        raise JsRegexTimeout(message)
    try:
        if pattern.sticky:
            return pattern.compiled.match(subject, position, timeout=remaining)
        return pattern.compiled.search(subject, position, timeout=remaining)
    except TimeoutError:
        raise JsRegexTimeout(message) from None


class _Translator:
    """One pass over a JavaScript pattern, writing the equivalent ``regex`` (VERSION0) pattern."""

    def __init__(self, source: str, flags: str, node_major: int = 20) -> None:
        self.node_major = node_major
        self.src = source
        self.flags = flags
        self.unicode = "u" in flags or "v" in flags
        self.pos = 0
        self.out: list[str] = []
        self.total_groups, self.names = _count_groups(source)
        self.groups: list[str] = []   # the kinds of the groups open at this point
        self.seen_names: set[str] = set()

    def error(self, message: str) -> JsRegexError:
        return JsRegexError(f"Invalid regular expression: /{self.src}/{self.flags}: {message}")

    def run(self) -> tuple[str, int]:
        can_repeat = False
        while self.pos < len(self.src):
            char = self.src[self.pos]
            if char in _QUANTIFIER_START and self.quantifier_at(self.pos) is not None:
                end = self.quantifier_at(self.pos)
                assert end is not None
                if not can_repeat:
                    raise self.error("Nothing to repeat")
                self.out.append(self.src[self.pos:end])
                self.pos = end
                if self.pos < len(self.src) and self.src[self.pos] == "?":
                    self.out.append("?")
                    self.pos += 1
                if self.pos < len(self.src) and self.quantifier_at(self.pos) is not None:
                    raise self.error("Nothing to repeat")
                can_repeat = False
                continue
            can_repeat = self.atom(char)
        if self.groups:
            raise self.error("Unterminated group")
        return "".join(self.out), self.total_groups

    def quantifier_at(self, pos: int) -> int | None:
        """End of a quantifier starting at ``pos``; ``{`` that is not ``{n}``, ``{n,}``, ``{n,m}`` is literal."""
        char = self.src[pos]
        if char in "*+?":
            return pos + 1
        if char != "{":
            return None
        found = regex.match(r"\{(\d+)(,(\d*))?\}", self.src[pos:])
        if found is None:
            if self.unicode:
                raise self.error("Lone quantifier brackets")
            return None
        if found.group(3) and int(found.group(3)) < int(found.group(1)):
            raise self.error("numbers out of order in {} quantifier")
        return pos + found.end()

    def atom(self, char: str) -> bool:
        """Translate one atom at ``self.pos``; return whether a quantifier may follow it."""
        if char == "\\":
            return self.escape()
        if char == "[":
            self.char_class()
            return True
        if char == "(":
            self.group_open()
            return False
        if char == ")":
            if not self.groups:
                raise self.error("Unmatched ')'")
            kind = self.groups.pop()
            self.out.append(")")
            self.pos += 1
            # A lookbehind can never be quantified, a lookahead only without the u flag (Annex B).
            return kind not in ("lookbehind", "lookahead") or (kind == "lookahead" and not self.unicode)
        self.pos += 1
        if char == ".":
            self.out.append("(?s:.)" if "s" in self.flags else f"[^{_LINE_END}]")
        elif char == "$":
            self.out.append(f"(?=[{_LINE_END}]|\\Z)" if "m" in self.flags else "\\Z")
            return False
        elif char == "^":
            self.out.append(f"(?:(?<=[{_LINE_END}])|\\A)" if "m" in self.flags else "\\A")
            return False
        elif char == "|":
            self.out.append("|")
            return False
        elif char in "]}" and self.unicode:
            raise self.error("Lone quantifier brackets")
        else:
            self.out.append(regex.escape(char))
        return True

    def group_open(self) -> None:
        rest = self.src[self.pos:]
        if not rest.startswith("(?"):
            self.groups.append("group")
            self.out.append("(")
            self.pos += 1
            return
        for prefix, kind in (("(?:", "group"), ("(?=", "lookahead"), ("(?!", "lookahead"), ("(?<=", "lookbehind"),
                             ("(?<!", "lookbehind")):
            if rest.startswith(prefix):
                self.groups.append(kind)
                self.out.append(prefix)
                self.pos += len(prefix)
                return
        named = regex.match(r"\(\?<([A-Za-z_$][A-Za-z0-9_$]*)>", rest)
        if named is not None:
            if named.group(1) in self.seen_names:
                raise self.error("Duplicate capture group name")
            self.seen_names.add(named.group(1))
            self.groups.append("group")
            self.out.append(f"(?P<{named.group(1)}>")
            self.pos += named.end()
            return
        if self.node_major >= 24 and regex.match(r"\(\?[ims]*(?:-[ims]*)?:", rest) and not rest.startswith("(?-:"):
            raise JsRegexLimit(f"/{self.src}/{self.flags}: group modifiers are not evaluated by this emulation")
        raise self.error("Invalid group")  # Node 20 has no (?i:...) modifiers (they came with ES2025)

    def escape(self) -> bool:
        if self.pos + 1 >= len(self.src):
            raise self.error("\\ at end of pattern")
        char = self.src[self.pos + 1]
        self.pos += 2
        if char in "dws":
            self.out.append(f"[{_CLASS_ESCAPES[char]}]")
        elif char in "DWS":
            self.out.append(f"[^{_CLASS_ESCAPES[char.lower()]}]")
        elif char == "b":
            self.out.append(f"(?:(?<=[{_WORD}])(?![{_WORD}])|(?<![{_WORD}])(?=[{_WORD}]))")
            return False
        elif char == "B":
            self.out.append(f"(?:(?<=[{_WORD}])(?=[{_WORD}])|(?<![{_WORD}])(?![{_WORD}]))")
            return False
        elif char.isdigit() and char != "0":
            self.backreference(char)
        elif char == "k" and (self.names or self.unicode):
            found = regex.match(r"<([A-Za-z_$][A-Za-z0-9_$]*)>", self.src[self.pos:])
            if found is None or found.group(1) not in self.names:
                raise self.error("Invalid named capture referenced")
            self.pos += found.end()
            name = found.group(1)
            self.out.append(f"(?:(?({name})(?P={name})|))")
        else:
            self.out.append(self.literal_escape(char, in_class=False))
        return True

    def backreference(self, first: str) -> None:
        digits = regex.match(r"\d*", self.src[self.pos:])
        number_text = first + (digits.group(0) if digits else "")
        if int(number_text) <= self.total_groups:
            self.pos += len(number_text) - 1
            # JavaScript: a reference to a group that has not matched matches the empty string.
            self.out.append(f"(?:(?({number_text})(?:\\{number_text})|))")
            return
        if self.unicode:
            raise self.error("Invalid escape")
        octal = regex.match(r"[0-7]{1,3}", number_text)
        if octal is None or first in "89":
            self.out.append(regex.escape(first))  # \8 and \9 are the digits themselves
            return
        value = octal.group(0)
        while int(value, 8) > 0o377:
            value = value[:-1]
        self.pos += len(value) - 1
        self.out.append(regex.escape(chr(int(value, 8))))

    def literal_escape(self, char: str, *, in_class: bool) -> str:
        """An escape that stands for one character (or a class body inside ``[...]``)."""
        if char in _CONTROL:
            return _CONTROL[char]
        if char == "0" and not (self.pos < len(self.src) and self.src[self.pos].isdigit()):
            return "\\x00"
        if char == "x":
            found = regex.match(r"[0-9A-Fa-f]{2}", self.src[self.pos:])
            if found is not None:
                self.pos += 2
                return regex.escape(chr(int(found.group(0), 16)))
        if char == "u":
            return self.unicode_escape()
        if char == "c":
            if self.pos < len(self.src) and self.src[self.pos].isascii() and self.src[self.pos].isalpha():
                self.pos += 1
                return regex.escape(chr(ord(self.src[self.pos - 1]) % 32))
            if self.unicode:
                raise self.error("Invalid unicode escape")
            return "\\\\c"  # `\c` not followed by a letter is a backslash and a `c`
        if char in "pP" and self.unicode:
            found = regex.match(r"\{[A-Za-z_=]+\}", self.src[self.pos:])
            if found is None:
                raise self.error("Invalid property name")
            self.pos += found.end()
            return f"\\{char}{found.group(0)}"
        if in_class and char == "b":
            return "\\x08"
        if in_class and char == "-":
            return "\\-"
        if self.unicode and char not in "^$\\.*+?()[]{}|/":
            raise self.error("Invalid escape")  # with u, only syntax characters (and / ) escape themselves
        return regex.escape(char)  # an identity escape: `\/`, `\.`, and (without u) `\e` is just `e`

    def unicode_escape(self) -> str:
        rest = self.src[self.pos:]
        found = regex.match(r"[0-9A-Fa-f]{4}", rest)
        if found is not None:
            self.pos += 4
            return regex.escape(chr(int(found.group(0), 16)))
        braced = regex.match(r"\{([0-9A-Fa-f]{1,6})\}", rest) if self.unicode else None
        if braced is not None and int(braced.group(1), 16) <= 0x10FFFF:
            self.pos += braced.end()
            return regex.escape(chr(int(braced.group(1), 16)))
        if self.unicode:
            raise self.error("Invalid Unicode escape")
        return "u"

    def char_class(self) -> None:
        start = self.pos
        self.pos += 1
        negated = self.src.startswith("^", self.pos)
        if negated:
            self.pos += 1
        if self.src.startswith("]", self.pos):  # `[]` matches nothing, `[^]` anything
            self.pos += 1
            self.out.append("(?s:.)" if negated else "(?!)")
            return
        body: list[str] = []
        while True:
            if self.pos >= len(self.src):
                self.pos = start
                raise self.error("Unterminated character class")
            char = self.src[self.pos]
            if char == "]":
                self.pos += 1
                break
            if char == "\\" and self.pos + 1 < len(self.src):
                escaped = self.src[self.pos + 1]
                self.pos += 2
                if escaped in "dws":
                    body.append(_CLASS_ESCAPES[escaped])
                elif escaped in "DWS":
                    body.append(_NEGATED_CLASS[escaped])
                else:
                    body.append(self.literal_escape(escaped, in_class=True))
                continue
            self.pos += 1
            body.append(regex.escape(char) if char in "[&~|\\^" else char)
        self.out.append(("[^" if negated else "[") + "".join(body) + "]")


def _count_groups(source: str) -> tuple[int, set[str]]:
    """Capture groups and group names in ``source`` (JavaScript numbers every ``(`` that captures)."""
    count, names, index, in_class = 0, set(), 0, False
    while index < len(source):
        char = source[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if source.startswith("]", index + 1):  # `[]`
                index += 1
                in_class = False
        elif char == "(":
            named = regex.match(r"\(\?<([A-Za-z_$][A-Za-z0-9_$]*)>", source[index:])
            if named is not None:
                count += 1
                names.add(named.group(1))
            elif not source.startswith("(?", index):
                count += 1
        index += 1
    return count, names
