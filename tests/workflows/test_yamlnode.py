"""Safe, bounded YAML loading: GitHub's scalar typing, positions, and one clear message per bad input."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest
import yaml

from cicd_acceptance.errors import WorkflowLoadError
from cicd_acceptance.workflows.yamlnode import MAX_ALIAS_NODES, MAX_BYTES, Node, load_yaml_file, load_yaml_text

BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8)
)


@pytest.fixture(params=["libyaml", "pure-python"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with libyaml's parser and again with PyYAML's pure-Python fallback."""
    if request.param == "pure-python":
        monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    elif not hasattr(yaml, "CSafeLoader"):
        pytest.skip("PyYAML was built without libyaml")
    return str(request.param)


def load(text: str) -> Node:
    return load_yaml_text(text, display_path="w.yml")


def load_error(text: str) -> WorkflowLoadError:
    with pytest.raises(WorkflowLoadError) as caught:
        load(text)
    return caught.value


def test_on_key_stays_a_string_and_bare_event_is_null() -> None:
    root = load("on:\n  push:\n    branches: [main]\n  workflow_dispatch:\njobs: {}\n")
    assert list(root.plain()) == ["on", "jobs"]
    on = root.get("on")
    assert on is not None
    assert "workflow_dispatch" in on
    assert on.get("workflow_dispatch") == Node(None, 4, 21)
    assert on.key_line("workflow_dispatch") == 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True), ("False", False), ("yes", "yes"), ("off", "off"), ("on", "on"), ("y", "y"),
        ("42", 42), ("017", 17), ("0x1f", 31), ("0o17", 15), ("1_000", "1_000"), ("1:30", "1:30"),
        ("1.5", 1.5), ("1e3", 1000.0), ("~", None), ("null", None), ("", None),
        ("'true'", "true"), ('"42"', "42"), ("!!str 12", "12"), ("2001-12-14", "2001-12-14"),
        ("ubuntu-latest", "ubuntu-latest"),
    ],
)
@pytest.mark.usefixtures("parser")
def test_scalars_are_typed_as_github_reads_them(text: str, expected: object) -> None:
    value = load(f"key: {text}\n").get("key")
    assert value is not None
    assert value.value == expected
    assert type(value.value) is type(expected)


def test_scalar_keeps_its_source_text() -> None:
    version = load("go-version: 1.20\n").get("go-version")
    assert version is not None
    assert version.value == 1.2
    assert version.scalar_text() == "1.20"


def test_positions_are_one_based() -> None:
    root = load("a:\n  - x\n  - name: y\n")
    seq = root.get("a")
    assert seq is not None
    assert (seq.line, seq.column) == (2, 3)
    second = seq.value[1] if isinstance(seq.value, list) else None
    assert second is not None
    assert (second.line, second.column) == (3, 5)
    assert root.key_line("a") == 1


def test_node_helpers() -> None:
    root = load("m: {a: 1}\ns: [1, 2]\nt: text\n")
    m, s, t = root.get("m"), root.get("s"), root.get("t")
    assert m is not None
    assert s is not None
    assert t is not None
    assert (m.is_mapping, s.is_sequence, t.is_scalar, t.is_string) == (True, True, True, True)
    assert [key for key, _ in m.items()] == ["a"]
    assert [child.value for child in s.elements()] == [1, 2]
    assert root.get("missing") is None
    assert t.get("a") is None
    assert (m.kind, s.kind, t.kind) == ("mapping", "sequence", "string")
    assert root.plain() == {"m": {"a": 1}, "s": [1, 2], "t": "text"}


@pytest.mark.usefixtures("parser")
def test_anchors_and_merge_keys_expand() -> None:
    root = load("base: &b\n  x: 1\n  y: 2\nm:\n  <<: *b\n  y: 3\nc: *b\n")
    assert root.plain()["m"] == {"x": 1, "y": 3}
    copy = root.get("c")
    assert copy is not None
    assert copy.plain() == {"x": 1, "y": 2}
    assert copy.line == 7  # the alias reports where it was written


@pytest.mark.usefixtures("parser")
def test_billion_laughs_fails_fast_without_eating_memory() -> None:
    tracemalloc.start()
    try:
        error = load_error(BILLION_LAUGHS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert f"more than {MAX_ALIAS_NODES} nodes" in str(error)
    assert str(error).startswith("w.yml:")
    assert peak < 50 * 1024 * 1024  # the unbounded expansion would need 9**9 nodes


def test_modest_aliases_are_fine() -> None:
    text = "a: &a [1, 2, 3]\n" + "".join(f"k{i}: *a\n" for i in range(100))
    assert len(load(text).plain()) == 101


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("a: [1,\n", 2, "invalid YAML"),
        ("a: 1\nb:\n  c: 1\n d: 2\n", 4, "invalid YAML"),
        ("a: 1\na: 2\n", 2, "duplicate key 'a' (first defined on line 1)"),
        ("jobs:\n  x: {}\n  x: {}\n", 3, "duplicate key 'x'"),
        ("- a\n- b\n", 1, "expected a mapping at the top level, found a sequence"),
        ("just text\n", 1, "expected a mapping at the top level, found a string"),
        ("", 1, "the document is empty"),
        ("# only a comment\n", 1, "the document is empty"),
        ("a: *nowhere\n", 1, "undefined alias"),
        ("a: 1\n---\nb: 2\n", 2, "invalid YAML"),
        ("a: \x01\n", 1, "unacceptable character #x0001"),
        ("? [a, b]\n: 1\n", 1, "a mapping key must be a plain value"),
        ("m:\n  <<: [1]\n", 2, "a merge key"),
    ],
)
@pytest.mark.usefixtures("parser")
def test_bad_text_gives_one_message_with_path_and_line(text: str, line: int, fragment: str) -> None:
    error = load_error(text)
    assert error.path == "w.yml"
    assert error.line == line
    assert fragment in str(error)
    assert str(error).startswith(f"w.yml:{line}: ")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: " + "[" * 100_000 + "]" * 100_000 + "\n", 1),  # PyYAML's scanner would be quadratic here
        ("a: " + "{a: " * 50_000 + "}" * 50_000 + "\n", 1),
        ("".join(" " * depth + "k:\n" for depth in range(300)), 201),  # block nesting
    ],
)
@pytest.mark.usefixtures("parser")
def test_deep_nesting_is_refused(text: str, line: int) -> None:
    error = load_error(text)
    assert str(error).startswith(f"w.yml:{line}: invalid YAML: ")
    assert "nesting" in str(error)  # libyaml stops flow nesting itself at 1000 levels, in its own words


def test_file_is_loaded_with_display_path(tmp_path: Path) -> None:
    (tmp_path / "w.yml").write_text("on: push\n", encoding="utf-8")
    root = load_yaml_file(tmp_path / "w.yml", display_path=".github/workflows/w.yml", root=tmp_path)
    assert root.plain() == {"on": "push"}


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "w.yml").write_bytes(b"\xef\xbb\xbfon: push\n")
    assert load_yaml_file(tmp_path / "w.yml", display_path="w.yml").plain() == {"on": "push"}


def file_error(path: Path, root: Path | None = None) -> WorkflowLoadError:
    with pytest.raises(WorkflowLoadError) as caught:
        load_yaml_file(path, display_path=".github/workflows/w.yml", root=root)
    assert str(caught.value).startswith(".github/workflows/w.yml")
    return caught.value


def test_file_over_one_mib_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.yml"
    path.write_bytes(b"a: 1\n" + b"#" * MAX_BYTES)
    assert "larger than 1048576 bytes" in str(file_error(path))


def test_text_over_one_mib_is_refused() -> None:
    assert "larger than" in str(load_error("a: 1\n" + "#" * MAX_BYTES))


def test_non_utf8_names_offset_and_line(tmp_path: Path) -> None:
    path = tmp_path / "w.yml"
    path.write_bytes(b"name: ok\nrun: caf\xe9\n")
    error = file_error(path)
    assert error.line == 2
    assert "not valid UTF-8: byte 0xe9 at offset 17" in str(error)


def test_missing_file(tmp_path: Path) -> None:
    assert str(file_error(tmp_path / "nope.yml")) == ".github/workflows/w.yml: file not found"


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    assert "is not a regular file" in str(file_error(tmp_path))


def test_symlink_leaving_the_root_is_refused(tmp_path: Path) -> None:
    repo, outside = tmp_path / "repo", tmp_path / "secret.yml"
    repo.mkdir()
    outside.write_text("a: 1\n", encoding="utf-8")
    (repo / "w.yml").symlink_to(outside)
    assert "symlink that resolves outside the repository" in str(file_error(repo / "w.yml", root=repo))


def test_symlink_inside_the_root_is_followed(tmp_path: Path) -> None:
    (tmp_path / "real.yml").write_text("a: 1\n", encoding="utf-8")
    (tmp_path / "w.yml").symlink_to("real.yml")
    assert load_yaml_file(tmp_path / "w.yml", display_path="w.yml", root=tmp_path).plain() == {"a": 1}


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "w.yml"
    path.write_text("a: 1\n", encoding="utf-8")

    real_open = os.open

    def refuse(name: str | os.PathLike[str], flags: int, *args: int) -> int:
        if Path(name) == path:
            raise PermissionError(13, "Permission denied")
        return real_open(name, flags, *args)

    # chmod 0 does not stop root (CI containers), so the refusal is simulated where the file is opened.
    monkeypatch.setattr(os, "open", refuse)
    assert "cannot read file: Permission denied" in str(file_error(path))


def test_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "a.yml").symlink_to("b.yml")
    (tmp_path / "b.yml").symlink_to("a.yml")
    assert "cannot resolve the path" in str(file_error(tmp_path / "a.yml", root=tmp_path))


def test_billion_laughs_file_fails_with_the_alias_line() -> None:
    data = Path(__file__).parent / "data" / "billion_laughs.yml"
    with pytest.raises(WorkflowLoadError) as caught:
        load_yaml_file(data, display_path="data/billion_laughs.yml", root=data.parent)
    assert caught.value.line is not None
    assert caught.value.line > 2  # where an alias was written, not the anchor's line
    assert str(caught.value).startswith(f"data/billion_laughs.yml:{caught.value.line}: YAML aliases expand")
