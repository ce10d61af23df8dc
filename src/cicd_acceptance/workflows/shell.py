"""The docker commands of a ``run:`` script, read statically: what it builds, tags, pushes and logs in to.

Scripts come from the target repository and are hostile input, so everything is bounded: the script's size, its
number of lines and the words of a line. ``${{ }}`` has already been replaced by the runner before the shell sees
the script, so it is substituted first (an evaluation error stays confined to that one expression). Shell
variables are expanded from the step's ``env`` and from plain assignments earlier in the script (``NAME=value``,
``export NAME=value``), with the common ``${NAME,,}``, ``${NAME::7}`` and ``${NAME:-default}`` forms. What the
shell computes at run time (``$(...)``, an unset variable, a loop variable) is :class:`Unknown`: shown as written,
never guessed.

Lowercasing with ``$(echo "$X" | tr '[:upper:]' '[:lower:]')`` (or ``tr A-Z a-z``) is understood, as GHCR needs
lowercase names. One more idiom of a command substitution is understood: ``$(jq ... '.tags | map("-t " + .) ...' <<<
"$DOCKER_METADATA_OUTPUT_JSON")`` (and the same with ``DOCKER_METADATA_OUTPUT_TAGS``) expands to ``-t`` flags for
the tags of the job's latest docker/metadata-action step, when those are known.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from cicd_acceptance.workflows.expr_values import Unknown

__all__ = ["Bake", "Build", "Command", "Imagetools", "Login", "Publisher", "Push", "ShellScript", "Tag", "Value",
           "read_script", "runs_image_tools"]

Value = str | Unknown

MAX_SCRIPT = 64 * 1024
MAX_LINES = 2000
MAX_WORDS = 2000
_MARK = "\x01"
_VAR = re.compile(r"\$(?:\{(?P<braced>[^}]{1,200})\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))")
_BRACED = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>,,|\^\^|@L|@U|:-|-|:\d*:\d+|:\d+|##|#|%%|%|//|/)?"
                     r"(?P<arg>.*)$", re.DOTALL)
_MAX_TRIMMED = 1000  # longer values are not trimmed by pattern (each position is tried): unknown instead
_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_KEPT = re.compile(r"(?:^\s*|(?:&&|\|\||\bthen|\belse|\)|;)\s*)(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*=|GITHUB_ENV|"
                   r"GITHUB_OUTPUT")
_ASSIGNED = re.compile(r"(?:^|[\s;&|])[A-Za-z_][A-Za-z0-9_]*=$")
_CONTROL = re.compile(r"\s*(?:if|elif|else|fi|case|esac|for|while|until|do|done)\b")
_OPENS = {"if", "while", "until", "for", "case"}
_CLOSES = {"fi", "done", "esac"}
_SPECIAL = re.compile(r"['\"\\$`]")
_RUNNER_FILES = {"GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_PATH"}
_HEREDOC = re.compile(r"<<-?\s*['\"]?([A-Za-z_][A-Za-z0-9_]*)['\"]?")
_KEYWORDS = {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "for", "case", "esac", "!", "{",
             "}", "time", "sudo", "exec", "command"}
# docker build / buildx build options that take a value (the others are flags).
_BUILD_VALUES = {
    "-t", "--tag", "-f", "--file", "--build-arg", "--cache-from", "--cache-to", "--target", "--secret", "--ssh",
    "--label", "--platform", "--progress", "--network", "--iidfile", "--metadata-file", "--builder", "-o",
    "--output", "--add-host", "--allow", "--annotation", "--attest", "--build-context", "--cgroup-parent",
    "--shm-size", "--ulimit", "--provenance", "--sbom", "--call", "--isolation", "--cpu-shares", "--memory",
    "--cpuset-cpus", "-m", "--memory-swap", "--label-file",
}
# Commands that read the script as worth a closer look: docker itself, and the tools that push images their own way.
_TOOLS = re.compile(r"\b(?:docker|docker-compose|ko|goreleaser|podman|buildah)\b")
_BAKE_VALUES = {"-f", "--file", "--set", "--builder", "--metadata-file", "--progress", "--provenance", "--sbom",
                "--call", "--allow", "--list", "--var"}
_KO_VALUES = {"-t", "--tags", "--platform", "--image-label", "--image-annotation", "--tag-only", "--sbom",
              "--sbom-dir", "--image-refs", "--image-user", "--debug", "-f", "--filename", "--selector", "-l"}
_LOWERCASE = re.compile(
    r"""^\$\(\s*(?:echo(?:\s+-n)?|printf\s+(?:'%s'|"%s"))\s+(?P<arg>[^|]+?)\s*\|\s*tr\s+"""
    r"""(?P<from>'\[:upper:\]'|"\[:upper:\]"|\[:upper:\]|'?\[?A-Z\]?'?)\s+"""
    r"""(?P<to>'\[:lower:\]'|"\[:lower:\]"|\[:lower:\]|'?\[?a-z\]?'?)\s*\)$""", re.DOTALL)
# The checked-out commit, as scripts ask for it: `git rev-parse [--short=N] HEAD`, `echo $GITHUB_SHA | cut -c1-N`.
_REV_PARSE = re.compile(r"^git\s+rev-parse\s+(?:--verify\s+)?(?:--short=(?P<short>\d{1,2})\s+)?HEAD$")
_SHA_CUT = re.compile(r"""^echo\s+"?\$\{?GITHUB_SHA\}?"?\s*\|\s*(?:cut\s+-c\s*1-(?P<cut>\d{1,2})|"""
                      r"""head\s+-c\s*(?P<head>\d{1,2}))$""")
_DOCKER_GLOBAL_VALUES = {"--context", "-c", "--config", "-H", "--host", "-l", "--log-level", "--tlscacert",
                         "--tlscert", "--tlskey"}


@dataclass(frozen=True)
class Command:
    """One docker command of the script: ``line`` is the 0-based line of the script it starts on."""

    line: int
    text: str
    conditional: bool = field(default=False, kw_only=True)  # inside if/case/loop, or after && / ||


@dataclass(frozen=True)
class Build(Command):
    tags: tuple[Value, ...] = ()
    file: Value | None = None
    context: Value = "."
    push: bool = False
    by_digest: bool = False
    output_names: tuple[Value, ...] = ()
    platforms: tuple[Value, ...] = ()
    labels: dict[str, Value] = field(default_factory=dict)
    # Unquoted words only a run knows besides the context (`$(... && echo "-t $image:latest")`): they may be
    # more options, tags among them.
    unknown_words: tuple[Value, ...] = ()


@dataclass(frozen=True)
class Tag(Command):
    source: Value = ""
    target: Value = ""


@dataclass(frozen=True)
class Push(Command):
    reference: Value = ""
    all_tags: bool = False


@dataclass(frozen=True)
class Imagetools(Command):
    tags: tuple[Value, ...] = ()
    sources: tuple[Value, ...] = ()


@dataclass(frozen=True)
class Publisher(Command):
    """A tool that pushes images its own way (``ko build``, ``docker compose push``, ``goreleaser release``,
    ``docker buildx bake --push``...): ``tool`` names it; ``image`` and ``tags`` are what can be told from the
    command line (an :class:`Unknown` image when the tool's own configuration decides it)."""

    tool: str = ""
    image: Value = ""
    tags: tuple[Value, ...] = ()
    push: bool | None = True  # None: the tool's configuration decides
    configured: bool = False  # the images and tags come from the tool's own configuration (not computed)
    platforms: tuple[Value, ...] = ()
    labels: dict[str, Value] = field(default_factory=dict)


@dataclass(frozen=True)
class Bake(Command):
    """``docker buildx bake``: its files (``-f``; none: Bake's default files), targets, ``--set`` overrides,
    ``--push``/``--load``, and the environment it sees (its variables' values)."""

    files: tuple[Value, ...] = ()
    targets: tuple[Value, ...] = ()
    overrides: tuple[Value, ...] = ()
    push: bool = False
    load: bool = False
    env: dict[str, Value] = field(default_factory=dict)


@dataclass(frozen=True)
class Login(Command):
    registry: Value = "docker.io"
    username: Value | None = None
    password: str | None = None  # the source text: the -p value, or what is piped into --password-stdin


@dataclass(frozen=True)
class ShellScript:
    """What :func:`read_script` found: docker commands, variables it exports to later steps, notes."""

    commands: tuple[Command, ...]
    github_env: dict[str, Value]
    github_output: dict[str, Value]
    notes: tuple[str, ...]


class _Words:
    """Placeholders for substituted pieces: ``\\x01N\\x01`` in the text, resolved after tokenising."""

    def __init__(self) -> None:
        self.pieces: list[Value] = []

    def mark(self, value: Value) -> str:
        self.pieces.append(value)
        return f"{_MARK}{len(self.pieces) - 1}{_MARK}"

    def resolve(self, word: str) -> Value:
        if _MARK not in word:
            return word
        parts = word.split(_MARK)
        out: list[str] = []
        unknown = False
        for index, part in enumerate(parts):
            if index % 2 == 1 and part.isdigit() and int(part) < len(self.pieces):
                piece = self.pieces[int(part)]
                unknown = unknown or isinstance(piece, Unknown)
                out.append(str(piece))
            else:
                out.append(part)
        text = "".join(out)
        return Unknown(text, template=True) if unknown else text


def runs_image_tools(script: str) -> bool:
    """Whether a script may run docker or another tool that pushes images (ko, compose, goreleaser, podman)."""
    return _TOOLS.search(script) is not None


def read_script(script: str, *, env: Mapping[str, Value], expression: Callable[[str], Value],
                metadata_tags: Callable[[], tuple[Value, ...] | None]) -> ShellScript:
    """The docker commands of ``script``. ``expression`` evaluates the source of one ``${{ }}``; ``env`` is the
    step's environment; ``metadata_tags`` gives the tags of the job's latest metadata step (None when none)."""
    notes: list[str] = []
    if len(script) > MAX_SCRIPT:
        notes.append(f"the script is longer than {MAX_SCRIPT} characters; only its start is read")
        script = script[:MAX_SCRIPT]
    reader = _Reader(dict(env), expression, metadata_tags, notes)
    for line_no, logical in _logical_lines(script, notes):
        reader.line(line_no, logical)
    return ShellScript(tuple(reader.commands), reader.github_env, reader.github_output, tuple(notes))


def _logical_lines(script: str, notes: list[str]) -> list[tuple[int, str]]:
    """Lines with backslash continuations joined and here-documents left out, each with its first line."""
    lines = script.splitlines()[:MAX_LINES]
    if len(script.splitlines()) > MAX_LINES:
        notes.append(f"the script has more than {MAX_LINES} lines; only the first are read")
    out: list[tuple[int, str]] = []
    index = 0
    while index < len(lines):
        start, text = index, lines[index]
        while text.endswith("\\") and index + 1 < len(lines):
            index += 1
            text = text[:-1] + " " + lines[index].strip()
        index += 1
        heredoc = _HEREDOC.search(text)
        if heredoc:
            marker = heredoc.group(1)
            while index < len(lines) and lines[index].strip() != marker:
                index += 1
            index += 1
        out.append((start, text))
    return out


class _Reader:
    def __init__(self, env: dict[str, Value], expression: Callable[[str], Value],
                 metadata_tags: Callable[[], tuple[Value, ...] | None], notes: list[str]) -> None:
        self.env = env
        self.expression = expression
        self.metadata_tags = metadata_tags
        self.notes = notes
        self.commands: list[Command] = []
        self.github_env: dict[str, Value] = {}
        self.github_output: dict[str, Value] = {}
        self.blocks: list[str] = []  # the open if/case/loop blocks, innermost last

    def line(self, line_no: int, text: str) -> None:
        if not _TOOLS.search(text) and not _KEPT.search(text) and not _CONTROL.match(text):
            return  # neither a docker (or ko, compose...) command nor an assignment: nothing this reader keeps
        words = _Words()
        prepared = self.substitute(text, words)
        try:
            lexer = shlex.shlex(prepared, posix=True, punctuation_chars=";&|<>")
            lexer.whitespace_split = True
            lexer.commenters = "#"
            tokens: list[str] = []
            for token in lexer:
                tokens.append(token)
                if len(tokens) > MAX_WORDS:
                    self.notes.append(f"script line {line_no + 1}: more than {MAX_WORDS} words; not read")
                    return
        except ValueError as exc:
            if "docker" in text:
                self.notes.append(f"script line {line_no + 1}: not read as shell ({exc})")
            return
        for command, piped_from, redirect, chained in _commands(tokens):
            self.command(line_no, [words.resolve(word) for word in command],
                         [words.resolve(word) for word in piped_from], redirect, text.strip(), chained=chained)

    def substitute(self, text: str, words: _Words) -> str:
        """``${{ }}`` first (the runner does it), then ``$(...)``/backticks and ``$VAR`` outside single quotes."""
        text = _replace_expressions(text, self.expression, words)
        out: list[str] = []
        index, quote = 0, ""
        while index < len(text):
            special = _SPECIAL.search(text, index)  # jump over plain text in one step
            if special is None:
                out.append(text[index:])
                break
            if special.start() > index:
                out.append(text[index:special.start()])
                index = special.start()
            char = text[index]
            if char == "'" and quote != '"':
                quote = "" if quote == "'" else "'"
            elif char == '"' and quote != "'":
                quote = "" if quote == '"' else '"'
            elif char == "\\" and quote != "'" and index + 1 < len(text):
                out.append(text[index:index + 2])
                index += 2
                continue
            elif quote != "'" and (text.startswith("$(", index) or char == "`"):
                end = _substitution_end(text, index)
                source = text[index:end]
                assigned = _ASSIGNED.search("".join(out[-64:])) is not None
                out.append(self.command_substitution(source, words, quoted=quote == '"', assigned=assigned))
                index = end
                continue
            elif quote != "'" and char == "$":
                match = _VAR.match(text, index)
                if match:
                    out.append(self.variable(match, words, quoted=quote == '"'))
                    index = match.end()
                    continue
            out.append(char)
            index += 1
        return "".join(out)

    def command_substitution(self, source: str, words: _Words, *, quoted: bool, assigned: bool) -> str:
        lowered = self.lowercase(source, words)
        if lowered is not None:
            return lowered
        commit = self.commit(source)
        if commit is not None:
            return words.mark(commit)
        if "-t" in source and ("DOCKER_METADATA_OUTPUT_" in source or ".tags" in source):
            tags = self.metadata_tags()
            if tags and not quoted and not assigned:
                return " ".join(f"-t {words.mark(tag)}" for tag in tags)
            if tags and assigned and all(isinstance(tag, str) for tag in tags):
                # `tags=$(jq ...)` then `imagetools create $tags`: the variable holds the flags as one text
                return words.mark(" ".join(f"-t {tag}" for tag in tags))
        return words.mark(Unknown(source, template=True))

    def commit(self, source: str) -> str | None:
        """The checked-out commit (the checkout of ``GITHUB_SHA``) or its first N characters; None otherwise.
        ``--short`` without a length is left unknown: git lengthens it as the repository grows."""
        inner = source[2:-1] if source.startswith("$(") else source.strip("`")
        sha = self.env.get("GITHUB_SHA")
        if not isinstance(sha, str):
            return None
        if (match := _REV_PARSE.match(inner.strip())) is not None:
            return sha[:int(match["short"])] if match["short"] else sha
        if (match := _SHA_CUT.match(inner.strip())) is not None:
            return sha[:int(match["cut"] or match["head"])]
        return None

    def lowercase(self, source: str, words: _Words) -> str | None:
        """``$(echo X | tr '[:upper:]' '[:lower:]')``: X lowercased, when X is known (None: not this idiom)."""
        match = _LOWERCASE.match(source)
        if match is None:
            return None
        try:
            parts = shlex.split(self.substitute(match["arg"], words))
        except ValueError:
            return None
        values = [words.resolve(part) for part in parts]
        if not values or any(isinstance(value, Unknown) for value in values):
            return words.mark(Unknown(source, template=True))
        return words.mark(" ".join(str(value) for value in values).lower())

    def variable(self, match: re.Match[str], words: _Words, *, quoted: bool) -> str:
        if (match.group("plain") or match.group("braced") or "") in _RUNNER_FILES:
            return match.group(0)  # kept as written: a redirection to it is recognised by name
        value = self.expand(match)
        if isinstance(value, str) and not quoted and _MARK not in value:
            return value  # unquoted: the shell splits it into words, so the text goes in as it is
        return words.mark(value)

    def expand(self, match: re.Match[str]) -> Value:
        written = match.group(0)
        braced = match.group("braced")
        if braced is None:
            return self.env.get(match.group("plain"), Unknown(written, template=True))
        parsed = _BRACED.match(braced)
        if parsed is None:
            return Unknown(written, template=True)
        name, op, arg = parsed.group("name"), parsed.group("op") or "", parsed.group("arg")
        value = self.env.get(name)
        if op in {":-", "-"}:
            return value if value is not None and (op == "-" or value != "") else arg
        if op and op[0] in "#%/":
            if value is None or isinstance(value, Unknown) or len(value) > _MAX_TRIMMED:
                return Unknown(written, template=True)
            trimmed = _trim(value, op, arg)
            return Unknown(written, template=True) if trimmed is None else trimmed
        if arg or value is None or isinstance(value, Unknown):
            return Unknown(written, template=True)
        if op in {",,", "@L"}:
            return value.lower()
        if op in {"^^", "@U"}:
            return value.upper()
        if op.startswith(":"):
            numbers = [int(number or "0") for number in op[1:].split(":")]
            start = numbers[0]
            return value[start:start + numbers[1]] if len(numbers) > 1 else value[start:]
        return value

    def command(self, line_no: int, words: list[Value], piped_from: list[Value], redirect: str | None,
                text: str, *, chained: bool = False) -> None:
        conditional = chained or bool(self.blocks)
        while words and words[0] in _KEYWORDS:
            if words[0] in _OPENS:
                self.blocks.append(str(words[0]))
                conditional = True
                if words[0] == "case":  # `case WORD in PATTERN) ...`: what follows the pattern is the command
                    words = words[words.index("in"):] if "in" in words else words[:1]
            elif words[0] in _CLOSES and self.blocks:
                self.blocks.pop()
            words = words[1:]
        if words and self.blocks[-1:] == ["case"] and str(words[0]).endswith(")"):
            words = words[1:]  # a case pattern
        if not words:
            return
        # An assignment under `if`/`case` or after `&&`/`||` may not happen: the variable is then unknown (a loop
        # body does run, with values the loop decides).
        guarded = chained or any(block in ("if", "case") for block in self.blocks)
        assignments = 0
        for word in words:
            if isinstance(word, str) and _ASSIGN.match(word):
                assignments += 1
            else:
                break
        if words[:1] == ["export"]:
            assignments, words = len(words) - 1, words[1:]
        if assignments == len(words):
            for word in words:
                name, _, value = str(word).partition("=")
                self.env[name] = Unknown(f"${name}", template=True) if guarded else _value(word, value)
            return
        inline = {str(word).partition("=")[0]: _value(word, str(word).partition("=")[2])
                  for word in words[:assignments]}  # `TAG=x docker buildx bake`: the command's own environment
        words = words[assignments:]
        if words[:1] == ["echo"] and redirect is not None:
            self.file_write(words[1:], redirect, guarded=guarded)
        elif words[:1] in (["docker"], ["docker-compose"], ["ko"], ["goreleaser"], ["podman"], ["buildah"]):
            parsed = (_docker(line_no, text, words[1:], piped_from, {**self.env, **inline}) if words[0] == "docker"
                      else _publisher(line_no, text, words, self.env))
            if parsed is not None:
                self.commands.append(replace(parsed, conditional=conditional) if conditional else parsed)

    def file_write(self, words: list[Value], redirect: str, *, guarded: bool = False) -> None:
        target = self.github_env if "GITHUB_ENV" in redirect else (
            self.github_output if "GITHUB_OUTPUT" in redirect else None)
        if target is None or len(words) != 1:
            return
        name, sep, value = str(words[0]).partition("=")
        if sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name):
            target[name] = Unknown(f"${name}", template=True) if guarded else _value(words[0], value)
            if target is self.github_env:
                self.env[name] = target[name]


def _trim(value: str, op: str, arg: str) -> str | None:
    """``${V#p}``, ``${V##p}``, ``${V%p}``, ``${V%%p}``, ``${V/p/r}``, ``${V//p/r}`` with a glob ``p`` of ``*``,
    ``?`` and plain characters (None for what is not read: a bracket class, a variable in the pattern)."""
    pattern, replacement = _split_replacement(arg) if op in {"/", "//"} else (arg, "")
    glob = _glob(pattern)
    if glob is None or "$" in replacement or "`" in replacement:
        return None
    if op in {"/", "//"}:
        if not pattern:
            return value
        return re.sub(glob, lambda _: replacement, value, count=0 if op == "//" else 1, flags=re.DOTALL)
    if op in {"#", "##"}:
        for end in range(len(value) + 1) if op == "#" else range(len(value), -1, -1):
            if re.fullmatch(glob, value[:end], re.DOTALL):
                return value[end:]
        return value
    for start in range(len(value), -1, -1) if op == "%" else range(len(value) + 1):
        if re.fullmatch(glob, value[start:], re.DOTALL):
            return value[:start]
    return value


def _split_replacement(arg: str) -> tuple[str, str]:
    """``pattern/replacement`` at the first unescaped ``/``; ``\\/`` in the replacement is a slash."""
    index = 0
    while index < len(arg):
        if arg[index] == "\\":
            index += 2
            continue
        if arg[index] == "/":
            return arg[:index], arg[index + 1:].replace("\\/", "/")
        index += 1
    return arg, ""


def _glob(pattern: str) -> str | None:
    if "[" in pattern or "$" in pattern or "`" in pattern:
        return None
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            out.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        out.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
        index += 1
    return "".join(out)


def _value(word: Value, text: str) -> Value:
    return Unknown(text, template=True) if isinstance(word, Unknown) else text


def _replace_expressions(text: str, expression: Callable[[str], Value], words: _Words) -> str:
    from cicd_acceptance.workflows.expressions import find_expressions  # a cycle at import time otherwise

    out: list[str] = []
    position = 0
    for start, end, source in find_expressions(text):
        out.append(text[position:start])
        value = expression(source)
        out.append(value if isinstance(value, str) and _MARK not in value and "$" not in value
                   else words.mark(value))
        position = end
    out.append(text[position:])
    return "".join(out)


def _substitution_end(text: str, start: int) -> int:
    """End of ``$(...)`` (nested parentheses counted) or of a backtick substitution; the line end if unclosed."""
    if text[start] == "`":
        end = text.find("`", start + 1)
        return len(text) if end == -1 else end + 1
    depth, index = 0, start + 1
    while index < len(text):
        if text[index] == "(":
            depth += 1
        elif text[index] == ")":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return len(text)


def _commands(tokens: list[str]) -> list[tuple[list[str], list[str], str | None, bool]]:
    """Simple commands of a line: (words, the words of the command piped into it, the ``>>`` target, whether it
    follows ``&&`` or ``||`` and so runs only depending on the command before it)."""
    out: list[tuple[list[str], list[str], str | None, bool]] = []
    current: list[str] = []
    previous: list[str] = []
    redirect: str | None = None
    chained = False
    index = 0
    while index < len(tokens):
        word = tokens[index]
        if word and all(char in ";&|<>" for char in word):
            if word in {">", ">>"} and index + 1 < len(tokens):
                redirect = tokens[index + 1]
                index += 2
                continue
            if word.startswith("<") and index + 1 < len(tokens):
                if word == "<<<":
                    previous = [tokens[index + 1]]  # a here-string feeds standard input, like a pipe
                index += 2  # an input redirection and its word are not arguments
                continue
            if current:
                out.append((current, previous, redirect, chained))
            previous = current if word == "|" else []
            chained = word in {"&&", "||"} or (word == "|" and chained)
            current, redirect = [], None
        else:
            current.append(word)
        index += 1
    if current:
        out.append((current, previous, redirect, chained))
    return out


def _docker(line_no: int, text: str, words: list[Value], piped_from: list[Value],
            env: Mapping[str, Value]) -> Command | None:
    index = 0
    while index < len(words) and isinstance(words[index], str) and str(words[index]).startswith("-"):
        index += 2 if words[index] in _DOCKER_GLOBAL_VALUES else 1
    rest = words[index:]
    head = [str(word) for word in rest[:3]]
    if head[:2] in (["buildx", "build"], ["buildx", "b"], ["image", "build"]):
        return _build(line_no, text, rest[2:], buildx=head[0] == "buildx")
    if head[:1] == ["build"]:
        return _build(line_no, text, rest[1:], buildx=False)
    if head[:3] == ["buildx", "imagetools", "create"]:
        return _imagetools(line_no, text, rest[3:])
    if head[:1] == ["tag"] or head[:2] == ["image", "tag"]:
        args = _positional(rest[1 if head[0] == "tag" else 2:])
        return Tag(line_no, text, source=args[0], target=args[1]) if len(args) >= 2 else None
    if head[:1] == ["push"] or head[:2] == ["image", "push"]:
        return _push(line_no, text, rest[1 if head[0] == "push" else 2:])
    if head[:1] == ["login"]:
        return _login(line_no, text, rest[1:], piped_from)
    if head[:2] == ["buildx", "bake"]:
        return _bake(line_no, text, rest[2:], env)
    if head[:1] == ["compose"]:
        return _publisher(line_no, text, ["docker", *rest], {})
    return None


def _publisher(line_no: int, text: str, words: list[Value], env: Mapping[str, Value]) -> Publisher | None:
    """Tools that push images without a ``docker push`` of their own: what their command line tells."""
    tool = str(words[0])
    options, positional = _options(words[1:], _KO_VALUES if tool == "ko" else set())
    flags = dict(options)
    verbs = [str(word) for word in positional[:3]]
    if tool == "ko":
        return _ko(line_no, text, options, positional, env)
    if tool in ("docker", "docker-compose") and "push" in verbs and (tool == "docker-compose" or "compose" in verbs):
        name = "docker compose push"
    elif tool == "goreleaser" and verbs[:1] == ["release"]:
        if "--snapshot" in flags or any("publish" in str(value) for name, value in options if name == "--skip"):
            return None
        name = "goreleaser release"
    elif tool in ("podman", "buildah") and verbs[:1] == ["push"] and positional[1:]:
        reference = positional[-1]
        image, tag = _image_and_tag(str(reference).removeprefix("docker://"), isinstance(reference, Unknown))
        return Publisher(line_no, text, tool=f"{tool} push", image=image, tags=(tag,))
    else:
        return None
    return Publisher(line_no, text, tool=name, configured=True)


def _bake(line_no: int, text: str, words: list[Value], env: Mapping[str, Value]) -> Bake | None:
    """``docker buildx bake [-f FILE] [--set K=V] [--push] [TARGET...]``; ``--print`` and ``--list`` build nothing."""
    options, positional = _options(words, _BAKE_VALUES)
    names = {name for name, _ in options}
    if names & {"--print", "--list", "--check"} or any(name == "--call" and str(value) != "build"
                                                       for name, value in options):
        return None  # they print the definition, the targets or the checks' results: nothing is built
    return Bake(line_no, text, files=tuple(value for name, value in options if name in {"-f", "--file"}),
                targets=tuple(positional), overrides=tuple(value for name, value in options if name == "--set"),
                push="--push" in names, load="--load" in names, env=dict(env))


def _ko(line_no: int, text: str, options: list[tuple[str, Value]], positional: list[Value],
        env: Mapping[str, Value]) -> Publisher | None:
    """``ko build|publish|resolve|apply|create``: the image is ``$KO_DOCKER_REPO`` (``--bare``), or that plus the
    import path's last element (``-B``) or the whole path (``-P``); by default a hash decides it (unknown)."""
    if not positional or str(positional[0]) not in {"build", "publish", "resolve", "apply", "create"}:
        return None
    flags = dict(options)
    if "--local" in flags or "-L" in flags or str(flags.get("--push", "true")).lower() == "false":
        return None
    repo = env.get("KO_DOCKER_REPO")
    paths = [str(word) for word in positional[1:] if str(word) != "."] or ["."]
    image: Value = Unknown("the image ko names after a hash of the import path", template=True)
    if repo is not None and positional[0] in ("build", "publish") and len(paths) == 1:
        base = paths[0].removeprefix("./").rstrip("/")
        if "--bare" in flags:
            image = repo
        elif "-B" in flags or "--base-import-paths" in flags:
            image = _join(repo, base.rsplit("/", 1)[-1])
        elif "-P" in flags or "--preserve-import-paths" in flags:
            image = _join(repo, base)
    tags: list[Value] = []
    for name, value in options:
        if name in {"-t", "--tags"}:
            tags += [Unknown(item, template=True) if isinstance(value, Unknown) else item
                     for item in str(value).split(",") if item]
    labels: dict[str, Value] = {}
    for name, value in options:
        if name == "--image-label":
            key, _, label = str(value).partition("=")
            labels[key] = Unknown(label, template=True) if isinstance(value, Unknown) else label
    platforms = tuple(item for name, value in options if name == "--platform"
                      for item in (str(value).split(",") if isinstance(value, str) else [value]) if item)
    return Publisher(line_no, text, tool=f"ko {positional[0]}", image=image, tags=tuple(tags) or ("latest",),
                     platforms=platforms, labels=labels)


def _join(repo: Value, name: str) -> Value:
    text = f"{repo}/{name}"
    return Unknown(text, template=True) if isinstance(repo, Unknown) else text


def _image_and_tag(text: str, unknown: bool) -> tuple[Value, Value]:
    slash = text.find("/")
    colon = text.find(":", slash + 1) if slash != -1 else text.rfind(":")
    image, tag = (text[:colon], text[colon + 1:]) if colon != -1 else (text, "latest")
    return (Unknown(image, template=True), Unknown(tag, template=True)) if unknown else (image, tag)


def _options(words: list[Value], takes_value: set[str]) -> tuple[list[tuple[str, Value]], list[Value]]:
    """``(option, value)`` pairs (``--x=y`` and ``--x y``; flags get ``"true"``) and the positional words."""
    options: list[tuple[str, Value]] = []
    positional: list[Value] = []
    index = 0
    while index < len(words):
        word = words[index]
        if isinstance(word, str) and word.startswith("-") and word != "-":
            name, sep, value = word.partition("=")
            if sep:
                options.append((name, value))
            elif name in takes_value and index + 1 < len(words):
                options.append((name, words[index + 1]))
                index += 1
            elif len(name) > 2 and not name.startswith("--") and name[:2] in takes_value:
                options.append((name[:2], name[2:]))  # -tname
            else:
                options.append((name, "true"))
        else:
            positional.append(word)
        index += 1
    return options, positional


def _positional(words: list[Value]) -> list[Value]:
    return _options(words, set())[1]


def _build(line_no: int, text: str, words: list[Value], *, buildx: bool) -> Build:
    options, positional = _options(words, _BUILD_VALUES)
    tags = tuple(value for name, value in options if name in {"-t", "--tag"})
    files = [value for name, value in options if name in {"-f", "--file"}]
    flags = {name for name, _ in options}
    outputs = [str(value).replace(" ", "").lower() for name, value in options if name in {"-o", "--output"}]
    by_digest = any("push-by-digest=true" in output for output in outputs)
    push = "--push" in flags or any("type=registry" in o or "push=true" in o for o in outputs)
    names: list[Value] = []
    for name, value in options:
        if name in {"-o", "--output"}:
            names += _output_names(value)
    platforms = tuple(item for name, value in options if name == "--platform"
                      for item in (str(value).split(",") if isinstance(value, str) else [value]) if item)
    labels: dict[str, Value] = {}
    for name, value in options:
        if name == "--label":
            key, _, label = str(value).partition("=")
            labels[key] = Unknown(label, template=True) if isinstance(value, Unknown) else label
    # docker build takes one PATH: a known word is it; an unknown word beside it may stand for more options.
    known = [word for word in positional if isinstance(word, str)]
    context = known[-1] if known else (positional[-1] if positional else ".")
    unknown = tuple(word for word in positional if isinstance(word, Unknown) and word is not context)
    return Build(line_no, text, tags=tags, file=files[-1] if files else None, context=context, push=push,
                 by_digest=by_digest, output_names=tuple(names), platforms=platforms, labels=labels,
                 unknown_words=unknown)


def _output_names(value: Value) -> list[Value]:
    text = str(value)
    names: list[Value] = []
    for part in text.split(","):
        key, _, name = part.partition("=")
        if key.strip() == "name":
            names.append(Unknown(name, template=True) if isinstance(value, Unknown) and "${{" in name else name)
    return names


def _imagetools(line_no: int, text: str, words: list[Value]) -> Imagetools | None:
    options, positional = _options(words, {"-t", "--tag", "-f", "--file", "--builder", "--annotation"})
    if any(name == "--dry-run" for name, _ in options):
        return None
    tags = tuple(value for name, value in options if name in {"-t", "--tag"})
    # Without a -t, an unknown word may stand for the flags (`$(... -t ...)`): then the tags are unknown.
    unknown = () if tags else tuple(word for word in positional if isinstance(word, Unknown))
    sources = tuple(word for word in positional if isinstance(word, str))
    return Imagetools(line_no, text, tags=tags + unknown, sources=sources)


def _push(line_no: int, text: str, words: list[Value]) -> Push | None:
    options, positional = _options(words, {"--platform"})
    if not positional:
        return None
    all_tags = any(name in {"-a", "--all-tags"} for name, _ in options)
    return Push(line_no, text, reference=positional[0], all_tags=all_tags)


def _login(line_no: int, text: str, words: list[Value], piped_from: list[Value]) -> Login:
    options, positional = _options(words, {"-u", "--username", "-p", "--password"})
    values = dict(options)
    password: str | None = None
    if "-p" in values or "--password" in values:
        password = str(values.get("-p", values.get("--password")))
    elif "--password-stdin" in values:
        password = " ".join(str(word) for word in piped_from) or "standard input"
    username = values.get("-u", values.get("--username"))
    return Login(line_no, text, registry=positional[0] if positional else "docker.io", username=username,
                 password=password)
