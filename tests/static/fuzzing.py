"""Structured mutations of realistic workflows, and the checks that the static pipeline survives them cleanly.

The seeds are the workflows of this repository's own corpus (``tests/corpus``), of the valid variants
(``tests/static/testdata/valid``) and of the bundled sample. A :class:`Mutant` is a seed with a few of the changes
real workflows have (``on:`` as a string, a list, a mapping or null; matrices from expressions; ``runs-on`` as a
group; ``docker://`` and local actions; inputs that are numbers, lists or multi-line; ``${{ }}`` in keys, unbalanced
or nested; YAML anchors and merge keys; very long and non-ASCII values ...). :func:`exercise` runs the whole
tool-free pipeline on it: the model, the publication plan for the plan's three events and every pure rule.

What may come out: values and findings, or a :class:`~cicd_acceptance.errors.HarnessError` that names ``path:line``.
Never another exception, and never a garbled value (:data:`GARBLE`): a marker counts as garbled only when it is not
already in the files the pipeline read, since an unknown value is shown as written.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from cicd_acceptance.criteria import CheckContext, run_criteria
from cicd_acceptance.errors import HarnessError
from cicd_acceptance.plan import Plan
from cicd_acceptance.target import open_target
from cicd_acceptance.workflows.event import BuildEvent
from cicd_acceptance.workflows.expressions import Unknown
from cicd_acceptance.workflows.localfiles import LocalFiles
from cicd_acceptance.workflows.model import load_workflow
from cicd_acceptance.workflows.publication import PublicationPlan, publication_plan
from cicd_acceptance.workflows.yamlcompose import compose
from tests.static.repos import REPOSITORY, git

REPO_ROOT = Path(__file__).resolve().parents[2]
SEED_DIRS = (REPO_ROOT / "tests" / "corpus", REPO_ROOT / "tests" / "static" / "testdata" / "valid")
SAMPLE_WORKFLOWS = REPO_ROOT / "examples" / "stream-monitor" / ".github" / "workflows"

Data = Any  # a workflow as plain data: dicts, lists, str, int, float, bool, None

# Markers of a garbled value: each is garbled where it appears in the output but nowhere in the files read.
GARBLE: dict[str, re.Pattern[str]] = {
    "doubled dollar before ${{": re.compile(r"\$\$\{\{"),
    "${{ inside ${{": re.compile(r"\$\{\{\s*\$\{\{"),
    "empty ${{ }}": re.compile(r"\$\{\{\s*\}\}"),
    "empty {{ }}": re.compile(r"(?<!\$)\{\{\s*\}\}"),
    "a template left in an unknown value": re.compile(r"\$\{\{(?:(?!\}\}).)*\}\}[^\s'\"`,$]*(?<!\$)\{\{"),
    "empty path segment after a registry": re.compile(r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?//"),
    "Python None": re.compile(r"\bNone\b"),
    "Python object repr": re.compile(r"<cicd_acceptance\.|<object |object at 0x"),
    "model repr": re.compile(r"\b(?:Unknown|PartialObject|KnownObject|Node|Step|Job|Trigger)\((?:text|value|index)="),
    "Python exception": re.compile(r"Traceback \(most recent call last\)|\b(?:KeyError|AttributeError|TypeError|"
                                   r"IndexError|RecursionError)\b"),
}


def garbled(output: str, source: str) -> list[str]:
    """The garble markers in ``output`` that ``source`` (the text of every file read) does not explain."""
    found = []
    for name, pattern in GARBLE.items():
        for match in pattern.finditer(output):
            if match.group() not in source:
                line = output[output.rfind("\n", 0, match.start()) + 1:output.find("\n", match.end())]
                found.append(f"{name}: {match.group()!r} in {line[:300]!r}")
                break
    return found


# ---------------------------------------------------------------------------------------------------------- seeds
@dataclass(frozen=True)
class Seed:
    """One workflow of the corpus, with the files beside it (reusable workflows, composite actions)."""

    name: str
    root: Path   # the folder holding .github/ (a corpus case, or a folder of the valid variants)
    rel: str     # the workflow, relative to root
    data: Data


def _plain(text: str, name: str) -> Data:
    node = compose(text, display_path=name)
    return None if node is None else node.plain()


@functools.cache
def seeds() -> tuple[Seed, ...]:
    found: list[Seed] = []
    for case in sorted((SEED_DIRS[0]).iterdir()):
        for path in sorted((case / ".github" / "workflows").glob("*.yml")):
            rel = path.relative_to(case).as_posix()
            found.append(Seed(f"corpus/{case.name}/{path.name}", case, rel, _plain(path.read_text("utf-8"), rel)))
        for path in sorted((case / ".github" / "actions").glob("*/action.y*ml")):  # composite actions
            rel = path.relative_to(case).as_posix()
            found.append(Seed(f"corpus/{case.name}/{rel}", case, rel, _plain(path.read_text("utf-8"), rel)))
    for variant in sorted(SEED_DIRS[1].iterdir()):
        for path in sorted(variant.glob("*.yml")):
            found.append(Seed(f"valid/{variant.name}/{path.name}", variant, path.name,
                              _plain(path.read_text("utf-8"), path.name)))
    for path in sorted(SAMPLE_WORKFLOWS.glob("*.yml")):
        rel = f".github/workflows/{path.name}"
        found.append(Seed(f"sample/{path.name}", SAMPLE_WORKFLOWS.parents[1], rel,
                          _plain(path.read_text("utf-8"), rel)))
    return tuple(seed for seed in found if isinstance(seed.data, dict))


# ---------------------------------------------------------------------------------------------------- dumping YAML
class _Dumper(yaml.SafeDumper):
    """Block style; shared Python objects become anchors and aliases (PyYAML's own behaviour)."""


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data and not data.startswith((" ", "\n")) and not data.endswith(" ") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_representer)
MERGE_KEY = "<<merge>>"  # a mapping key written out as a YAML merge key (``<<: *anchor``)


def dump(data: Data, *, flow: bool = False) -> str:
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=flow, width=100)
    return text.replace(f"{MERGE_KEY}:", "<<:").replace(f"'{MERGE_KEY}':", "<<:")


# ---------------------------------------------------------------------------------------------------- the palettes
EXPRESSIONS = (
    "${{ matrix.service }}", "${{ github.repository }}", "${{ github.repository_owner }}/${{ matrix.service }}",
    "${{ steps.meta.outputs.tags }}", "${{ steps.meta.outputs.version }}", "${{ needs.prep.outputs.prefix }}",
    "${{ secrets.REGISTRY_TOKEN }}", "${{ vars.IMAGE_NAME }}", "${{ env.IMAGE }}", "${{ inputs.image }}",
    "${{ github.event.inputs.tag || 'latest' }}", "${{ format('{0}/{1}', github.repository_owner, 'x') }}",
    "${{ format('{{0}}-{0}', 'a') }}", "${{ fromJSON('[\"a\", \"b\"]') }}", "${{ fromJSON(needs.prep.outputs.json) }}",
    "${{ toJSON(matrix) }}", "${{ toJSON(github.event) }}", "${{ hashFiles('**/go.sum') }}",
    "${{ contains(github.event.head_commit.message, '[skip]') }}", "${{ '}}' }}", "${{ 'a }} b' }}-tail",
    "${{ }}", "${{", "${{ matrix.service", "}}", "${{ ${{ matrix.service }} }}", "$${{ matrix.service }}",
    "${{ github.ref == 'refs/heads/main' && 'latest' || 'dev' }}", "${{ startsWith(github.ref, 'refs/tags/') }}",
    "${{ join(matrix.*, ',') }}", "${{ github.event.head_commit.id }}", "${{ 1 }}", "${{ null }}", "${{ true }}",
    "pre-${{ steps.version.outputs.value }}-post", "${{ matrix.os }}-${{ matrix.arch }}", "${{ runner.os }}",
    "${{ fromJSON('{\"a\": 1}').a }}", "${{ github.event.pull_request.head.sha || github.sha }}",
    "${{ steps.meta.outputs.tags }}{{version}}", "{{version}}", "{{ }}", "{{sha}}-${{ matrix.service }}",
    "${{ format('{0}', '{{date ''YYYYMMDD''}}') }}", "${{ github.event_name != 'pull_request' }}",
)
TEXTS = (
    "", " ", "None", "null", "~", "ghcr.io//x", "ghcr.io/", "🚀 build & push", "Grüße/Ünïcødé 名前", "a\nb\n",
    "x" * 3000, "-accounting", ":", "latest", "sha-", "@", "../..", "./", "/abs/path", "'quoted'", "\"dq\"",
    "# not a comment", "[a, b]", "{a: b}", "*", "\t", "line1\n  line2\n", "type=raw,value=", "a,b,,c",
)
NON_STRINGS: tuple[Data, ...] = (0, 1, -1, 1.5, 1e21, True, False, None, [], {}, ["a", 1, None], {"a": "b"},
                                 [{"x": 1}], {"nested": {"deep": [1, 2]}})
TAG_LINES = (
    "type=raw,value={{date 'YYYYMMDD'}}", "type=raw,value={{", "type=semver,pattern={{version}}",
    "type=semver,pattern={{major}}.{{minor}}", "type=ref,event=branch,prefix=${{ matrix.service }}-",
    "type=match,pattern=(", "type=match,pattern=v(\\d+),group=9", "type=sha,format=long", "type=sha,prefix=",
    "type=edge", "type=schedule,pattern={{date 'x'}}", "type=unknown", "{{branch}}", "type=raw,value=",
    "type=raw,value=${{ steps.x.outputs.v }}-{{sha}}", "type=raw,value={{ }}", "type=raw,enable=${{ x }},value=a",
    "type=raw,value=latest,enable={{is_default_branch}}", "type=ref,event=pr", "type=raw,priority=abc,value=a",
    "type=sha,prefix={{branch}}-", "type=raw,value={{base_ref}}", "${{ steps.meta.outputs.tags }}",
    "ghcr.io/${{ github.repository }}:${{ github.sha }}", ":sha-x", "type=raw,value=a,suffix=-${{ matrix.os }}",
)
RUN_SCRIPTS = (
    "docker build -t ghcr.io/${{ github.repository }}:${{ github.sha }} .",
    "docker build -t \"$IMAGE:$TAG\" -f Dockerfile.${{ matrix.service }} .\ndocker push \"$IMAGE:$TAG\"",
    "docker buildx build --push -t ghcr.io/${{ github.repository_owner }}/x:${{ github.sha }} .",
    "docker buildx imagetools create $(jq -cr '.tags | map(\"-t \" + .) | join(\" \")' <<< "
    "\"$DOCKER_METADATA_OUTPUT_JSON\") $(printf 'ghcr.io/o/r@sha256:%s ' *)",
    "echo \"${{ secrets.GITHUB_TOKEN }}\" | docker login ghcr.io -u ${{ github.actor }} --password-stdin",
    "docker build -t 'unterminated .", "docker push", "docker build -t ghcr.io// .", "docker tag a b\ndocker push b",
    "echo \"tags=${{ steps.x.outputs.y }}\" >> \"$GITHUB_OUTPUT\"", "cat <<EOF\n${{ toJSON(matrix) }}\nEOF",
    "for s in gateway worker; do docker build -t ghcr.io/o/$s:${{ github.sha }} -f Dockerfile.$s .; done",
    "go test ./...", "go test ./... || true", "docker push ghcr.io/${GITHUB_REPOSITORY,,}:latest",
    "docker buildx build --platform linux/amd64,linux/arm64 --push --tag \"${IMAGE}:${TAG}\" "
    "--file ./Dockerfile.${{ matrix.service }} .", "docker build . --tag ghcr.io/owner/img:{{version}}",
    "IMAGE=ghcr.io/${{ github.repository_owner }}/app\n"
    "docker build -t $IMAGE:${{ github.sha }} . && docker push $IMAGE",
    "docker build -t \"ghcr.io/${{ github.repository }}:${{ steps.meta.outputs.version }}\" .",
    "docker build -t ghcr.io/o/r:$(git rev-parse --short HEAD) --label \"a=${{ toJSON(matrix) }}\" .",
    "set -euo pipefail\ngo test -race ./... | tee out.txt",
    "docker build --label org.opencontainers.image.revision=${{ github.sha }} -t x .", "$(", "`", "\\",
)
ACTIONS = (
    "docker://alpine:3.20", "docker://ghcr.io/owner/tool@sha256:" + "a" * 64, "./", "./.github/actions/missing",
    "./local", "../outside", "actions/checkout", "actions/checkout@", "owner/repo/path@ref", "${{ matrix.action }}",
    "docker/build-push-action@v6", "docker/metadata-action@v5", "docker/login-action@v3", "docker/setup-qemu-action@v3",
    "docker/setup-buildx-action@v3", "actions/setup-go@v5", "docker/bake-action@v5", "@v1", "a/b@c@d",
)
ON_SHAPES: tuple[Data, ...] = (
    "push", "workflow_dispatch", ["push", "workflow_dispatch"], ["push", 1], [], {}, None, 42,
    {"push": None, "workflow_dispatch": None}, {"push": {"branches": "main"}}, {"push": {"branches": [123, None]}},
    {"push": {"branches": ["main"], "tags": ["v*"]}, "workflow_dispatch": {"inputs": {"x": {"default": 3}}}},
    {"push": {"branches-ignore": ["main"]}}, {"push": {"paths": ["**.go"], "branches": ["**"]}},
    {"schedule": [{"cron": "0 0 * * *"}], "push": "main"}, {"pull_request_target": {"types": "opened"}},
    {"workflow_dispatch": {"inputs": "${{ x }}"}}, {"workflow_call": {"inputs": {"image": {"type": "string"}}}},
    {"push": {"branches": ["${{ github.event.repository.default_branch }}"]}}, {"release": {"types": ["published"]}},
    {"push": [{"branches": "main"}]}, {"workflow_dispatch": {"inputs": {"svc": {"type": "choice", "options": 7}}}},
)
MATRICES: tuple[Data, ...] = (
    "${{ fromJSON(needs.prep.outputs.matrix) }}", "${{ fromJSON('{\"service\": [\"gateway\", \"worker\"]}') }}",
    {"include": "${{ fromJSON(needs.prep.outputs.include) }}"}, {"include": [1, "a", None, {"service": ["x", "y"]}]},
    {"service": ["gateway"], "exclude": {"service": "gateway"}}, {"service": ["gateway"], "exclude": [1, None]},
    {"service": "${{ fromJSON('[\"a\",\"b\"]') }}"}, {"service": []}, {"service": [{"name": "a", "file": "b"}]},
    {"service": [1, 2.5, True, None]}, {"include": [{"service": "${{ github.repository }}"}]},
    {"service": ["gateway", "worker"], "include": [{"service": "gateway", "extra": {"a": [1]}}]},
    {"os": ["ubuntu-latest", "ubuntu-24.04-arm"], "service": ["gateway"], "exclude": [{"os": "${{ x }}"}]}, None,
    {"include": [{}]}, {"exclude": [{"service": "nope"}]}, {"${{ matrix.x }}": ["a"]}, {"service": [[1, 2], {}]},
)
RUNS_ON: tuple[Data, ...] = (
    ["self-hosted", "linux", "${{ matrix.os }}"], {"group": "builders", "labels": ["linux", "x64"]},
    {"group": "builders"}, "${{ matrix.os }}", "${{ fromJSON('[\"ubuntu-latest\"]') }}", 42, None, [],
    ["ubuntu-latest", ["nested"]], {"labels": "ubuntu-24.04-arm"}, "windows-latest", "macos-14",
)
PERMISSIONS: tuple[Data, ...] = ("read-all", "write-all", "read", "${{ x }}", None, {},
                                 {"contents": "write", "packages": 1}, {"contents": None}, ["contents"],
                                 {"packages": "write", "id-token": "write", "attestations": "write"})
NEEDS: tuple[Data, ...] = ("prep", ["prep", "missing"], "", [], None, 7, ["${{ x }}"], {"a": "b"})
IFS: tuple[Data, ...] = (True, False, 0, 1, 1.5, "${{ false }}", "always()", "github.ref == 'refs/heads/main'",
                         "${{ github.ref == 'refs/heads/main' }} && x", "${{ github.event_name == 'push' }}",
                         "${{ contains(github.event.head_commit.message, '[skip]') }}", "!cancelled() &&", "",
                         "${{ inputs.push }}", "github.event_name == 'workflow_dispatch' || ${{ true }}")
STEPS: tuple[Data, ...] = (
    {"uses": "docker/metadata-action@v5", "id": "meta",
     "with": {"images": "ghcr.io/${{ github.repository_owner }}/${{ matrix.service }}\nname=docker.io/x/y,enable=false",
              "tags": "type=sha\ntype=raw,value={{date 'YYYYMMDD-hhmmss' tz='Asia/Tokyo'}}\n"
                      "type=semver,pattern={{version}},value=${{ inputs.version }}\ntype=ref,event=tag",
              "flavor": "latest=auto\nprefix=${{ matrix.service }}-,onlatest=true\nsuffix=", "sep-tags": ","}},
    {"uses": "docker/metadata-action@v5", "id": "meta2",
     "with": {"images": "${{ steps.prep.outputs.image }}", "tags": "type=raw,value=${{ needs.v.outputs.v }}-{{sha}}",
              "labels": "org.opencontainers.image.revision=${{ github.sha }}\nmaintainer=🚀"}},
    {"uses": "docker/build-push-action@v6",
     "with": {"push": "${{ github.event_name != 'pull_request' }}", "tags": "${{ steps.meta.outputs.tags }}",
              "labels": "${{ steps.meta.outputs.labels }}", "file": "${{ steps.prep.outputs.dockerfile }}",
              "platforms": "linux/amd64,linux/arm64", "build-args": "VERSION=${{ github.sha }}\nX",
              "outputs": "type=image,name=ghcr.io/${{ github.repository }},push-by-digest=true,name-canonical=true,"
                         "push=true"}},
    {"uses": "docker/build-push-action@v6",
     "with": {"context": "{{defaultContext}}:sub", "push": True, "tags": ["a", "b"], "file": 7,
              "cache-from": "type=gha", "annotations": "${{ steps.meta.outputs.annotations }}"}},
    {"uses": "docker/login-action@v3", "with": {"registry": "${{ env.REGISTRY }}", "username": "${{ github.actor }}",
                                               "password": "${{ secrets.GITHUB_TOKEN }}", "logout": 1}},
    {"uses": "docker/bake-action@v5", "with": {"files": "./docker-bake.hcl\n${{ steps.meta.outputs.bake-file }}",
                                              "push": True, "targets": "${{ matrix.target }}"}},
    {"uses": "actions/setup-go@v5", "with": {"go-version": 1.2}},
    {"uses": "actions/setup-go@v5", "with": {"go-version": "${{ matrix.go }}", "go-version-file": "go.mod"}},
    {"uses": "actions/setup-go@v5", "with": {"go-version": ">=1.22 <2 || ^1.24", "check-latest": "yes"}},
    {"uses": "actions/setup-go@v5", "with": {"go-version-file": "../go.mod"}},
    {"uses": "actions/checkout@v4", "with": {"path": "${{ matrix.service }}", "fetch-depth": 0, "ref": None}},
    {"run": "go test ./... -run '${{ matrix.pattern }}'", "shell": "bash", "working-directory": "${{ matrix.dir }}"},
    {"run": "echo \"IMAGE=ghcr.io/${GITHUB_REPOSITORY,,}\" >> $GITHUB_ENV\ndocker build -t $IMAGE:${{ github.sha }} .\n"
            "docker push $IMAGE --all-tags", "env": {"DOCKER_BUILDKIT": 1}},
    {"run": "docker buildx imagetools create -t ghcr.io/${{ github.repository }}:latest "
            "$(printf 'ghcr.io/${{ github.repository }}@sha256:%s ' *)", "working-directory": "/tmp/digests"},
    {"run": "echo '${{ secrets.CR_PAT }}' | docker login ghcr.io -u ${{ github.actor }} --password-stdin",
     "shell": "pwsh"},
    {"uses": "./.github/actions/build", "with": {"service": "${{ matrix.service }}", "push": "true"}},
    {"uses": "docker://ghcr.io/owner/tool:1", "with": {"args": "--flag ${{ github.sha }}", "entrypoint": ""}},
    {"id": "prep", "run": "echo \"matrix=$(jq -c . matrix.json)\" >> \"$GITHUB_OUTPUT\""},
)
TIMEOUTS: tuple[Data, ...] = ("${{ matrix.timeout }}", "${{ fromJSON('5') }}", "x", -1, 1e9, None, [1])


def _values() -> st.SearchStrategy[Data]:
    return st.one_of(st.sampled_from(EXPRESSIONS), st.sampled_from(TEXTS), st.sampled_from(NON_STRINGS),
                     st.sampled_from(TAG_LINES), st.text(max_size=20))


# ------------------------------------------------------------------------------------------------- the mutations
Path_ = tuple[Any, ...]


def _walk(data: Data, path: Path_ = ()) -> Iterator[tuple[Path_, Data]]:
    yield path, data
    if isinstance(data, dict):
        for key, child in data.items():
            yield from _walk(child, (*path, key))
    elif isinstance(data, list):
        for index, child in enumerate(data):
            yield from _walk(child, (*path, index))


def _get(data: Data, path: Path_) -> Data:
    for part in path:
        data = data[part]
    return data


def _set(data: Data, path: Path_, value: Data) -> Data:
    if not path:
        return value
    _get(data, path[:-1])[path[-1]] = value
    return data


def _jobs(data: Data) -> list[dict[str, Any]]:
    jobs = data.get("jobs") if isinstance(data, dict) else None
    return [job for job in jobs.values() if isinstance(job, dict)] if isinstance(jobs, dict) else []


def _steps(data: Data) -> list[dict[str, Any]]:
    """The steps of every job, or of a composite action (``runs.steps``)."""
    runs = data.get("runs") if isinstance(data, dict) else None
    holders = [*_jobs(data), runs] if isinstance(runs, dict) else _jobs(data)
    return [step for holder in holders if isinstance(holder.get("steps"), list)
            for step in holder["steps"] if isinstance(step, dict)]


def _pick(items: list[Any], index: int) -> Any:
    return items[index % len(items)] if items else None


@dataclass(frozen=True)
class Mutation:
    """One change: ``kind`` names it, ``index`` chooses where, ``value`` is what goes there."""

    kind: str
    index: int
    value: Data

    def __str__(self) -> str:
        shown = json.dumps(self.value, ensure_ascii=False, default=str)
        return f"{self.kind}[{self.index}]={shown[:120]}"


def _m_scalar(data: Data, m: Mutation) -> Data:
    paths = [path for path, value in _walk(data) if path and not isinstance(value, dict | list)]
    path = _pick(paths, m.index)
    return data if path is None else _set(data, path, m.value)


def _m_collection(data: Data, m: Mutation) -> Data:
    paths = [path for path, value in _walk(data) if len(path) > 1 and isinstance(value, dict | list)]
    path = _pick(paths, m.index)
    return data if path is None else _set(data, path, m.value)


def _m_key(data: Data, m: Mutation) -> Data:
    # A key with ${{ }} in it, or an odd key, in an env:, with: or any other mapping.
    paths = [path for path, value in _walk(data) if isinstance(value, dict) and value]
    path = _pick(paths, m.index)
    if path is None:
        return data
    mapping = _get(data, path)
    old = _pick(list(mapping), m.index)
    mapping[str(m.value)] = mapping.pop(old)
    return data


def _on(data: Data, key: str, value: Data, m: Mutation, where: Callable[[Data], list[dict[str, Any]]]) -> Data:
    target = _pick(where(data), m.index)
    if target is not None:
        target[key] = value
    return data


def _m_step_uses(data: Data, m: Mutation) -> Data:
    step = _pick(_steps(data), m.index)
    if step is not None:
        step.pop("run", None)
        step["uses"] = m.value
    return data


def _m_step_input(data: Data, m: Mutation) -> Data:
    # An input of an action step (tags:, images:, push:, file: ...) gets an odd value.
    inputs = [(step["with"], key) for step in _steps(data) if isinstance(step.get("with"), dict)
              for key in step["with"]]
    chosen = _pick(inputs, m.index)
    if chosen is not None:
        chosen[0][chosen[1]] = m.value
    return data


def _m_tag_line(data: Data, m: Mutation) -> Data:
    withs = [step["with"] for step in _steps(data) if isinstance(step.get("with"), dict)
             and ("tags" in step["with"] or "images" in step["with"])]
    inputs = _pick(withs, m.index)
    if inputs is not None:
        old = inputs.get("tags")
        inputs["tags"] = f"{old}\n{m.value}\n" if isinstance(old, str) else m.value
    return data


def _m_run(data: Data, m: Mutation) -> Data:
    step = _pick(_steps(data), m.index)
    if step is not None:
        step.pop("uses", None)
        step.pop("with", None)
        step["run"] = m.value
    return data


def _m_insert_step(data: Data, m: Mutation) -> Data:
    jobs = [job for job in _jobs(data) if isinstance(job.get("steps"), list)]
    job = _pick(jobs, m.index)
    if job is not None:
        job["steps"].insert(m.index % (len(job["steps"]) + 1), m.value)
    return data


def _m_duplicate_step(data: Data, m: Mutation) -> Data:
    jobs = [job for job in _jobs(data) if isinstance(job.get("steps"), list) and job["steps"]]
    job = _pick(jobs, m.index)
    if job is not None:
        step = _pick(job["steps"], m.index)
        copied = copy.deepcopy(step)
        if isinstance(copied, dict) and m.value:
            copied["id"] = m.value
        job["steps"].append(copied)
    return data


def _m_alias(data: Data, m: Mutation) -> Data:
    # The same object in several places (every job's, and for env: the workflow's): an anchor and its aliases.
    source = _pick(_jobs(data), m.index)
    key = str(m.value)
    if source is not None and key in source:
        for job in _jobs(data):
            job[key] = source[key]
        if key == "env" and isinstance(source[key], dict):
            data["env"] = source[key]
    return data


def _m_merge_key(data: Data, m: Mutation) -> Data:
    jobs = _jobs(data)
    if len(jobs) >= 2 and isinstance(m.value, str) and m.value in jobs[0]:
        jobs[1][MERGE_KEY] = jobs[0]  # GitHub refuses merge keys: a clear load error, never a crash
    return data


def _m_add_job(data: Data, m: Mutation) -> Data:
    jobs = data.get("jobs")
    if isinstance(jobs, dict):
        first = next(iter(jobs), "build")
        jobs[f"extra-{m.index % 3}"] = {
            "name": "🧪 extra", "runs-on": m.value, "needs": first, "timeout-minutes": "${{ fromJSON('5') }}",
            "continue-on-error": "${{ matrix.experimental == true }}",
            "strategy": {"matrix": {"experimental": [True, False]}},
            "steps": [{"uses": "docker://alpine:3.20", "with": {"args": 1}},
                      {"run": "echo ${{ toJSON(matrix) }}", "working-directory": "./sub/../.."}],
        }
    return data


def _m_reusable(data: Data, m: Mutation) -> Data:
    jobs = data.get("jobs")
    if isinstance(jobs, dict) and jobs:
        job_id = _pick(list(jobs), m.index)
        jobs[job_id] = {"uses": m.value, "with": {"image": "${{ matrix.service }}", "push": True, "n": 3},
                        "secrets": "inherit", "permissions": {"contents": "read", "packages": "write"}}
    return data


def _setter(key: str, where: Callable[[Data], list[dict[str, Any]]]) -> Callable[[Data, Mutation], Data]:
    return lambda data, m: _on(data, key, m.value, m, where)


def _workflow(data: Data) -> list[dict[str, Any]]:
    return [data] if isinstance(data, dict) else []


def _strategies(data: Data) -> list[dict[str, Any]]:
    for job in _jobs(data):
        if not isinstance(job.get("strategy"), dict):
            job["strategy"] = {}
    return [job["strategy"] for job in _jobs(data)]


def _defaults(data: Data) -> list[dict[str, Any]]:
    return [job.setdefault("defaults", {"run": {}})["run"] if isinstance(job.get("defaults"), dict) and
            isinstance(job["defaults"].get("run"), dict) else job for job in _jobs(data)]


MUTATIONS: dict[str, tuple[Callable[[Data, Mutation], Data], Callable[[], st.SearchStrategy[Data]]]] = {
    "scalar": (_m_scalar, _values),
    "collection": (_m_collection, lambda: st.one_of(st.sampled_from(EXPRESSIONS), st.sampled_from(NON_STRINGS))),
    "key": (_m_key, lambda: st.sampled_from(("${{ matrix.service }}", "${{ }}", "🚀", "a b", "", "${{", "on"))),
    "on": (_setter("on", _workflow), lambda: st.sampled_from(ON_SHAPES)),
    "matrix": (_setter("matrix", _strategies), lambda: st.sampled_from(MATRICES)),
    "runs-on": (_setter("runs-on", _jobs), lambda: st.sampled_from(RUNS_ON)),
    "uses": (_m_step_uses, lambda: st.sampled_from(ACTIONS)),
    "input": (_m_step_input, _values),
    "tags": (_m_tag_line, lambda: st.sampled_from(TAG_LINES)),
    "run": (_m_run, lambda: st.sampled_from(RUN_SCRIPTS)),
    "insert-step": (_m_insert_step, lambda: st.sampled_from(STEPS)),
    "duplicate-step": (_m_duplicate_step, lambda: st.sampled_from(("meta", "build", "", "${{ x }}"))),
    "env": (_setter("env", lambda d: [*_workflow(d), *_jobs(d), *_steps(d)]),
            lambda: st.sampled_from(("${{ fromJSON(steps.meta.outputs.json) }}", "${{ matrix.env }}", "x", None,
                                     ["A=1"], {"A": None, "B": [1], "${{ x }}": "y", "IMAGE": "ghcr.io//x"}))),
    "permissions": (_setter("permissions", lambda d: [*_workflow(d), *_jobs(d)]), lambda: st.sampled_from(PERMISSIONS)),
    "needs": (_setter("needs", _jobs), lambda: st.sampled_from(NEEDS)),
    "job-if": (_setter("if", _jobs), lambda: st.sampled_from(IFS)),
    "step-if": (_setter("if", _steps), lambda: st.sampled_from(IFS)),
    "timeout": (_setter("timeout-minutes", lambda d: [*_jobs(d), *_steps(d)]), lambda: st.sampled_from(TIMEOUTS)),
    "continue-on-error": (_setter("continue-on-error", lambda d: [*_jobs(d), *_steps(d)]),
                          lambda: st.sampled_from(("${{ matrix.experimental }}", True, "yes", None, 1))),
    "working-directory": (_setter("working-directory", lambda d: [*_steps(d), *_defaults(d)]),
                          lambda: st.sampled_from(("..", "../..", "./sub/..", "/tmp", "${{ matrix.dir }}", "", 3))),
    "name": (_setter("name", lambda d: [*_workflow(d), *_jobs(d), *_steps(d)]),
             lambda: st.sampled_from(("🚀 Build & push 📦", "Grüße 名前", "x" * 2000, "${{ matrix.service }}", 5))),
    "alias": (_m_alias, lambda: st.sampled_from(("steps", "env", "runs-on", "permissions", "strategy"))),
    "merge-key": (_m_merge_key, lambda: st.sampled_from(("steps", "runs-on"))),
    "add-job": (_m_add_job, lambda: st.sampled_from(RUNS_ON)),
    "reusable": (_m_reusable, lambda: st.sampled_from(("./.github/workflows/missing.yml", "./.github/workflows/x",
                                                       "owner/repo/.github/workflows/b.yml@main", "./", "../x.yml",
                                                       "${{ matrix.callee }}", ".github/workflows/build.yml"))),
}


@dataclass(frozen=True)
class Mutant:
    seed: Seed
    mutations: tuple[Mutation, ...]
    flow: bool

    def text(self) -> str:
        data = copy.deepcopy(self.seed.data)
        for mutation in self.mutations:  # each gets its own copy of the palette's value: no cycles, no sharing
            data = MUTATIONS[mutation.kind][0](data, Mutation(mutation.kind, mutation.index,
                                                              copy.deepcopy(mutation.value)))
        return dump(data, flow=self.flow)

    def __str__(self) -> str:
        return f"{self.seed.name} + {', '.join(str(m) for m in self.mutations)}{' (flow style)' if self.flow else ''}"


def _mutation(kind: str) -> st.SearchStrategy[Mutation]:
    return st.builds(Mutation, st.just(kind), st.integers(0, 40), MUTATIONS[kind][1]())


@functools.cache
def mutants() -> st.SearchStrategy[Mutant]:
    # Hypothesis keeps caches (constants, Unicode tables) in ./.hypothesis by default: not in the repository.
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "cicd-acceptance-hypothesis")
    one = st.sampled_from(sorted(MUTATIONS)).flatmap(_mutation)
    # Reusable workflows and composite actions are few among the seeds: drawn as often as all the others.
    companions = [seed for seed in seeds() if seed.rel.startswith(".github/actions/") or _called(seed.data)]
    chosen = st.one_of(st.sampled_from(seeds()), st.sampled_from(companions))
    return st.builds(Mutant, chosen, st.lists(one, min_size=1, max_size=4).map(tuple), st.booleans())


def _called(data: Data) -> bool:
    on = data.get("on") if isinstance(data, dict) else None
    return isinstance(on, dict) and "workflow_call" in on


# ----------------------------------------------------------------------------------------------- the pipeline run
EVENTS = (("push", "refs/heads/main"), ("workflow_dispatch", "refs/heads/main"),
          ("workflow_dispatch", "refs/heads/feature/probe"))
_INSTALLED_AS = (".github/workflows/ci.yml", ".github/workflows/build-images.yml")


@dataclass
class Outcome:
    """What the pipeline made of one mutant: everything it would show, and what escaped it."""

    shown: list[str]
    source: str
    escaped: BaseException | None = None
    empty: list[str] = field(default_factory=list)  # known image names and tags that are empty

    def problems(self) -> list[str]:
        found = []
        if self.escaped is not None:
            found.append(f"escaped: {type(self.escaped).__name__}: {self.escaped}")
        found.extend(garbled("\n".join(self.shown), self.source))
        found.extend(self.empty[:1])
        return found


def install(repo: Path, seed: Seed, text: str) -> tuple[str, list[str]]:
    """Put the mutant into ``repo`` (a committed copy of the sample) as its CI and build workflow, and at its own
    path beside the files of its seed (reusable workflows and composite actions it calls), then commit. Returns its
    own path and every path it was installed at."""
    github = repo / ".github"
    shutil.rmtree(github)
    shutil.copytree(SAMPLE_WORKFLOWS.parent, github)
    if (seed.root / ".github").is_dir():
        shutil.copytree(seed.root / ".github", github, dirs_exist_ok=True)
    own = seed.rel if seed.rel.startswith(".github/") else _INSTALLED_AS[1]
    # A composite action goes to its own place only: the workflows that use it are the ones to plan.
    rels = [own] if own.startswith(".github/actions/") else sorted({*_INSTALLED_AS, own})
    for rel in rels:
        (repo / rel).write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", "mutant")
    return own, rels


def _source(repo: Path) -> str:
    """The text of every file under ``.github``, and each of their YAML strings as a value (a long scalar may be
    folded across lines in the file; its value is what the pipeline shows)."""
    parts = []
    for path in sorted((repo / ".github").rglob("*")):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            parts.append(text)
            try:
                data = _plain(text, path.name)
            except HarnessError:
                continue
            parts.extend(str(value) for _, value in _walk(data) if isinstance(value, str))
            parts.extend(str(key) for _, value in _walk(data) if isinstance(value, dict) for key in value)
    return "\n".join(parts)


def exercise(repo: Path, seed: Seed, text: str) -> Outcome:
    """Run the tool-free static pipeline on the mutant installed in ``repo``: the model, the publication plan for
    each event and every pure rule, keeping everything a user would see."""
    install(repo, seed, text)
    outcome = Outcome([], _source(repo))
    try:
        files = LocalFiles(repo)
        target = open_target(repo, repository=REPOSITORY)
        planned: set[str] = set()
        # Every workflow, so that the callers of a mutated reusable workflow or composite action expand it.
        for path in sorted((repo / ".github" / "workflows").glob("*.y*ml")):
            rel = path.relative_to(repo).as_posix()
            try:
                workflow = load_workflow(repo, rel)
            except HarnessError as exc:
                outcome.shown.append(f"load {rel}: {exc}")
                if not re.match(rf"{re.escape(rel)}(:\d+)?: ", str(exc)):
                    raise AssertionError(f"the error names no {rel}:line: {exc}") from exc
                continue
            if path.read_text(encoding="utf-8") in planned:  # the mutant installed twice: the same plans
                continue
            planned.add(path.read_text(encoding="utf-8"))
            for event, ref in EVENTS:
                plan = publication_plan(workflow, BuildEvent(event, ref, target.head_sha, "main", REPOSITORY),
                                        files=files)
                outcome.shown.extend(render_plan(plan))
                outcome.empty.extend(_empty_names(plan))
        results = run_criteria(CheckContext(target, Plan()), include_tools=False)
        outcome.shown.extend(str(f) for findings in results.values() for f in findings)
    except Exception as exc:  # what a user would see as a traceback
        outcome.escaped = exc
    return outcome


def _value(value: Any) -> str:
    if isinstance(value, str | Unknown):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def _empty_names(plan: PublicationPlan) -> list[str]:
    """A known image name or tag that is empty: no registry takes it, and no workflow writes one."""
    return [f"an empty {what} in {entry.path}:{entry.line} ({plan.event.event_name} {plan.event.ref})"
            for entry in plan.entries
            for what, value in (("image name", entry.image), *(("tag", tag) for tag in entry.tags))
            if isinstance(value, str) and not value.strip()]


def render_plan(plan: PublicationPlan) -> list[str]:
    """Every value of the plan as a user would see it (golden files, findings and evidence show these)."""
    lines = [f"== {plan.event.event_name} {plan.event.ref}: {plan.no_run or ''}"]
    for e in plan.entries:
        lines.append(f"{e.path}:{e.line} {e.job_id} {_value(e.matrix)} {e.step_name} via {e.via}")
        lines.append(f"  image {_value(e.image)} tags {', '.join(_value(t) for t in e.tags)}")
        lines.append(f"  refs {', '.join(_value(r) for r in e.references)}")
        lines.append(f"  push {_value(e.push)} file {_value(e.dockerfile)} context {_value(e.context)} "
                     f"platforms {', '.join(_value(p) for p in e.platforms)}")
        lines.extend(f"  label {k}={_value(v)}" for k, v in e.labels.items())
        lines.extend(f"  build-arg {k}={_value(v)}" for k, v in e.build_args.items())
        if e.condition is not None:
            lines.append(f"  only if {_value(e.condition)}")
    lines.extend(f"  login {_value(r.registry)} {_value(r.username)} {r.password}" for r in plan.logins)
    lines.extend(f"  note {note}" for note in plan.notes)
    return lines


# ------------------------------------------------------------------------------------- equivalent rewritings
# Rewritings that change how a workflow is written, not what GitHub does with it: a workflow that passes must still
# pass after any of them (a finding then is a false error).
def _shared_subtrees(data: Data) -> Data:
    """Equal mappings and sequences become one object, which the dumper writes as an anchor and aliases."""
    seen: dict[str, Data] = {}

    def share(value: Data) -> Data:
        if isinstance(value, dict):
            value = {key: share(child) for key, child in value.items()}
        elif isinstance(value, list):
            value = [share(child) for child in value]
        else:
            return value
        key = json.dumps(value, sort_keys=False, default=str)
        return seen.setdefault(key, value) if value else value

    return share(data)


def _listed(job: dict[str, Any], key: str) -> None:
    if isinstance(job.get(key), str):
        job[key] = [job[key]]


def _wrapped_if(holder: dict[str, Any]) -> None:
    condition = holder.get("if")
    if isinstance(condition, str) and "${{" not in condition and condition.strip():
        holder["if"] = f"${{{{ {condition} }}}}"


def _on_as_mapping(data: dict[str, Any]) -> None:
    on = data.get("on")
    if isinstance(on, str):
        data["on"] = {on: None}
    elif isinstance(on, list) and all(isinstance(event, str) for event in on):
        data["on"] = dict.fromkeys(on)


def _named(data: Data) -> None:
    for job in _jobs(data):
        job.setdefault("name", "🛠️ Jöb")
        for step in job.get("steps") or []:
            if isinstance(step, dict):
                step.setdefault("name", "📦 Schritt")


def _harmless_step(data: Data) -> None:
    # A step real workflows add after the work: it publishes nothing and changes no permission.
    for job in _jobs(data):
        if isinstance(job.get("steps"), list):
            job["steps"].append({"name": "Summary ✅", "if": "${{ always() && !contains(github.event.head_commit."
                                 "message, '[skip summary]') }}", "env": {"MATRIX": "${{ toJSON(matrix) }}"},
                                 "run": "echo \"$MATRIX\" >> \"$GITHUB_STEP_SUMMARY\""})


def _runs_on_listed(data: Data) -> None:
    for job in _jobs(data):
        _listed(job, "runs-on")


def _needs_listed(data: Data) -> None:
    for job in _jobs(data):
        _listed(job, "needs")


def _ifs_wrapped(data: Data) -> None:
    for holder in (*_jobs(data), *_steps(data)):
        _wrapped_if(holder)


REWRITINGS: dict[str, Callable[[Data], None]] = {
    "runs-on as a list": _runs_on_listed,
    "needs as a list": _needs_listed,
    "if inside ${{ }}": _ifs_wrapped,
    "on as a mapping": _on_as_mapping,
    "emoji names": _named,
    "a summary step": _harmless_step,
}


@dataclass(frozen=True)
class Rewritten:
    seed: Seed
    rewritings: tuple[str, ...]
    anchors: bool
    flow: bool

    def text(self) -> str:
        data = copy.deepcopy(self.seed.data)
        for name in self.rewritings:
            REWRITINGS[name](data)
        return dump(_shared_subtrees(data) if self.anchors else data, flow=self.flow)

    def __str__(self) -> str:
        return (f"{self.seed.name} + {', '.join(self.rewritings) or 'nothing'}{', anchors' if self.anchors else ''}"
                f"{' (flow style)' if self.flow else ''}")


def passing_seeds() -> tuple[Seed, ...]:
    """The seeds that pass every pure criterion as they are: the valid variants and the sample."""
    return tuple(seed for seed in seeds() if not seed.name.startswith("corpus/"))


@functools.cache
def rewritten() -> st.SearchStrategy[Rewritten]:
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "cicd-acceptance-hypothesis")
    names = st.lists(st.sampled_from(sorted(REWRITINGS)), min_size=1, max_size=len(REWRITINGS), unique=True)
    return st.builds(Rewritten, st.sampled_from(passing_seeds()), names.map(tuple), st.booleans(), st.booleans())


def judge_in_place(repo: Path, seed: Seed, text: str) -> dict[str, list[str]]:
    """Commit ``text`` in place of the sample's workflow of the same name and run the pure criteria."""
    github = repo / ".github"
    shutil.rmtree(github)
    shutil.copytree(SAMPLE_WORKFLOWS.parent, github)
    (github / "workflows" / Path(seed.rel).name).write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", "rewritten")
    results = run_criteria(CheckContext(open_target(repo, repository=REPOSITORY), Plan()), include_tools=False)
    return {criterion: [str(f) for f in findings] for criterion, findings in results.items() if findings}
