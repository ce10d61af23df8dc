"""Docker Bake files as Bake reads them: lookup, merging, variables, inherits, ``--set``, push; what Bake alone
computes stays unknown, and a file Bake would refuse is a fault with its file and line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cicd_acceptance.workflows.bake import BakeRequest, BakeResult, BakeSource, compute_bake
from cicd_acceptance.workflows.bakefile import MAX_HCL_BYTES, data_file
from cicd_acceptance.workflows.expressions import Unknown

_REPO_ROOT = Path(__file__).resolve().parents[2]

_SERVICES = """
variable "REGISTRY" { default = "ghcr.io/acme" }
variable "TAG" { default = "dev" }
variable "EMPTY" {}

group "default" {
  targets = ["api", "workers"]
}

group "workers" {
  targets = ["worker"]
}

target "_base" {
  context    = "."
  platforms  = ["linux/amd64"]
  args       = { GO = "1.22", MODE = "base" }
  labels     = { "org.opencontainers.image.source" = "https://github.com/acme/shop" }
  cache-from = ["type=gha"]
}

target "api" {
  inherits   = ["_base"]
  dockerfile = "Dockerfile.api"
  args       = { MODE = "api" }
  tags       = ["${REGISTRY}/api:${TAG}", "${REGISTRY}/api:x${EMPTY}y", "${REGISTRY}/api:$${LITERAL}"]
}

target "worker" {
  inherits = ["_base"]
  context  = "services/worker"
  tags     = ["${REGISTRY}/worker:${TAG}"]
}
"""


def _bake(repo: Path, *, files: tuple[str, ...] = (), targets: tuple[str, ...] = (), sets: tuple[str, ...] = (),
          env: dict[str, str | Unknown] | None = None, push: bool | Unknown = False,
          workdir: str = ".") -> BakeResult:
    request = BakeRequest(tuple(BakeSource(name) for name in files), targets, sets, env or {}, push=push,
                          workdir=workdir)
    return compute_bake(repo, request)


def _write(repo: Path, name: str, text: str) -> None:
    (repo / name).parent.mkdir(parents=True, exist_ok=True)
    (repo / name).write_text(text, encoding="utf-8")


def test_default_group_variables_and_inherits(tmp_path: Path) -> None:
    _write(tmp_path, "docker-bake.hcl", _SERVICES)
    result = _bake(tmp_path, env={"TAG": "sha-1"}, push=True)
    assert (result.open, result.faults) == ([], [])
    api, worker = result.targets
    assert api.tags == ("ghcr.io/acme/api:sha-1", "ghcr.io/acme/api:xy", "ghcr.io/acme/api:${LITERAL}")
    assert (api.dockerfile, api.context, api.platforms) == ("Dockerfile.api", ".", ("linux/amd64",))
    assert api.args == {"GO": "1.22", "MODE": "api"}  # inherited, then the target's own by key
    assert api.cache_from == ("type=gha",)
    assert (worker.dockerfile, worker.context) == ("services/worker/Dockerfile", "services/worker")
    assert (api.push, worker.push) == (True, True)
    assert (api.path, api.line) == ("docker-bake.hcl", 22)


def test_files_merge_in_lookup_order_and_later_values_win(tmp_path: Path) -> None:
    _write(tmp_path, "docker-bake.json", '{"target": {"api": {"tags": ["a:json"], "args": {"A": "1"}, '
                                         '"cache-from": ["type=gha"]}}}')
    _write(tmp_path, "docker-bake.hcl", 'target "api" {\n  tags = ["a:hcl"]\n  args = { B = "2" }\n'
                                        '  cache-from = ["type=registry,ref=a:cache"]\n}\n')
    _write(tmp_path, "docker-bake.override.hcl", 'target "api" {\n  platforms = ["linux/arm64"]\n}\n')
    (api,) = _bake(tmp_path, targets=("api",)).targets
    assert api.tags == ("a:hcl",)
    assert api.args == {"A": "1", "B": "2"}
    assert api.cache_from == ("type=gha", "type=registry,ref=a:cache")
    assert api.platforms == ("linux/arm64",)


def test_overrides_wildcards_append_and_platform_lists(tmp_path: Path) -> None:
    _write(tmp_path, "docker-bake.hcl", _SERVICES)
    result = _bake(tmp_path, sets=("*.platform=linux/amd64,linux/arm64", "api.tags=x:1", "api.tags=x:2",
                                   "worker.tags+=w:extra", "*.args.MODE=set", "api.labels.a.b=c",
                                   "worker.dockerfile=build/Dockerfile", "w*.cache-to=type=gha,mode=max"))
    api, worker = result.targets
    assert api.tags == ("x:1", "x:2")
    assert worker.tags == ("ghcr.io/acme/worker:dev", "w:extra")
    assert api.platforms == worker.platforms == ("linux/amd64", "linux/arm64")
    assert api.args["MODE"] == worker.args["MODE"] == "set"
    assert api.labels["a.b"] == "c"
    assert worker.dockerfile == "services/worker/build/Dockerfile"
    assert (api.cache_to, worker.cache_to) == ((), ("type=gha,mode=max",))


@pytest.mark.parametrize(("output", "push", "pushes"), [
    ("", False, False),
    ("", True, True),
    ('output = ["type=registry"]', False, True),
    ('output = ["type=image,push=true"]', False, True),
    ('output = ["type=docker"]', True, True),
    ('output = ["type=local,dest=out"]', True, False),
    ('output = ["type=cacheonly"]', True, False),
])
def test_push_follows_outputs_and_the_push_flag(tmp_path: Path, output: str, push: bool, pushes: bool) -> None:
    _write(tmp_path, "docker-bake.hcl", f'target "default" {{\n  tags = ["a:1"]\n  {output}\n}}\n')
    (target,) = _bake(tmp_path, push=push).targets
    assert target.push is pushes


def test_an_unknown_push_input_stays_unknown_unless_the_output_pushes(tmp_path: Path) -> None:
    _write(tmp_path, "docker-bake.hcl", 'target "a" {\n  tags = ["a:1"]\n}\n'
                                        'target "b" {\n  tags = ["b:1"]\n  output = ["type=registry"]\n}\n')
    push = Unknown("${{ inputs.push }}")
    a, b = _bake(tmp_path, targets=("a", "b"), push=push).targets
    assert a.push is push
    assert b.push is True


def test_what_only_bake_or_a_run_computes_stays_unknown_as_written(tmp_path: Path) -> None:
    _write(tmp_path, "docker-bake.hcl", 'variable "VERSION" {}\n'
                                        'target "default" {\n'
                                        '  tags = ["ghcr.io/acme/a:${lower(VERSION)}", "ghcr.io/acme/a:${VERSION}",'
                                        ' "ghcr.io/acme/a:${UNDECLARED}"]\n'
                                        '  labels = merge({}, {})\n}\n')
    version = Unknown("steps.v.outputs.tag")
    result = _bake(tmp_path, env={"VERSION": version})
    (target,) = result.targets
    assert [str(tag) for tag in target.tags] == ["ghcr.io/acme/a:${lower(VERSION)}",
                                                 "ghcr.io/acme/a:${{ steps.v.outputs.tag }}",
                                                 "ghcr.io/acme/a:${UNDECLARED}"]
    assert all(isinstance(tag, Unknown) for tag in target.tags)
    assert str(target.labels_unknown) == "${merge({}, {})}"
    assert result.notes == ["bake variable UNDECLARED is not declared in the bake files; unknown"]


def test_metadata_action_bake_file_is_inherited(tmp_path: Path) -> None:
    _write(tmp_path, "docker-bake.hcl", 'target "docker-metadata-action" {}\n'
                                        'target "api" {\n  inherits = ["docker-metadata-action"]\n'
                                        '  dockerfile = "Dockerfile.api"\n}\n')
    meta = data_file("bake-file", {"docker-metadata-action": {
        "tags": ["ghcr.io/acme/api:sha-1", "ghcr.io/acme/api:latest"],
        "labels": {"org.opencontainers.image.revision": "abc"}, "args": {"DOCKER_META_VERSION": "sha-1"}}})
    request = BakeRequest((BakeSource("docker-bake.hcl"), BakeSource("bake-file", meta)), ("api",), (), {})
    (api,) = compute_bake(tmp_path, request).targets
    assert api.tags == ("ghcr.io/acme/api:sha-1", "ghcr.io/acme/api:latest")
    assert api.labels == {"org.opencontainers.image.revision": "abc"}


@pytest.mark.parametrize(("name", "text", "line"), [
    ("docker-bake.hcl", 'target "a" {\n  tags = ["a:1"\n}\n', 3),
    ("docker-bake.json", '{"target": {\n  "a": {"tags": ["a:1"],}\n}}\n', 2),
])
def test_a_file_bake_refuses_is_a_fault_with_its_line(tmp_path: Path, name: str, text: str, line: int) -> None:
    _write(tmp_path, name, text)
    result = _bake(tmp_path)
    assert result.targets == []
    (fault,) = result.faults
    assert (fault.path, fault.line) == (name, line)
    assert str(fault).startswith(f"{name}:{line}: ")


@pytest.mark.parametrize(("setup", "files", "targets", "reason"), [
    ({}, (), (), "no bake file in the checkout"),
    ({}, ("ci.hcl",), (), "the bake file ci.hcl is not in the checkout"),
    ({}, ("../outside.hcl",), (), "outside the repository"),
    ({}, ("https://github.com/acme/defs.git",), (), "not in the checkout"),
    ({"docker-bake.hcl": 'target "a" {}\n'}, (), ("missing",), "'missing' is not defined"),
    ({"docker-bake.hcl": 'target "a" {}\n'}, (), (), "'default' is not defined"),
    ({"docker-bake.hcl": 'target "m" {\n  name = "m-${x}"\n  matrix = { x = ["1"] }\n}\n'}, (), ("m",), "matrix"),
    ({"big.hcl": "# x\n" * (MAX_HCL_BYTES // 4 + 1)}, ("big.hcl",), (), "not read"),
])
def test_what_is_not_read_leaves_the_targets_open(tmp_path: Path, setup: dict[str, str], files: tuple[str, ...],
                                                  targets: tuple[str, ...], reason: str) -> None:
    for name, text in setup.items():
        _write(tmp_path, name, text)
    result = _bake(tmp_path, files=files, targets=targets)
    assert (result.targets, result.faults) == ([], [])
    assert any(reason in text for text in result.open), result.open


@pytest.mark.parametrize("text", [
    '{"target": {"default": {"tags": ' + "[" * 900 + "]" * 900 + "}}}",
    '{"group": {' + ", ".join(f'"g{i}": {{"targets": ["g{i + 1}"]}}' for i in range(3000)) + "}}",
])
def test_hostile_nesting_leaves_the_targets_open_without_a_crash(tmp_path: Path, text: str) -> None:
    _write(tmp_path, "docker-bake.json", text)
    result = _bake(tmp_path, targets=("g0",) if '"group"' in text else ())
    assert result.targets == []
    assert result.open or result.faults


_COMPOSE = """\
services:
  api:
    image: ${REGISTRY:-docker.io/acme}/api:${TAG}
    build:
      context: ./services/api
      args:
        - GO_VERSION=1.22
        - CHANNEL
      labels:
        org.opencontainers.image.source: https://github.com/acme/shop
      x-bake:
        platforms: linux/amd64 linux/arm64
        cache-from: [type=gha]
  web:
    image: acme/web:${TAG-none}$$
    build: web
  db:
    image: postgres:16
"""


def test_compose_services_are_targets_of_the_default_group_and_bake_files_override_them(tmp_path: Path) -> None:
    _write(tmp_path, "docker-compose.yml", _COMPOSE)
    _write(tmp_path, ".env", "# local defaults\nREGISTRY=ghcr.io/acme\nCHANNEL='stable'\nTAG=from-dotenv\n")
    _write(tmp_path, "docker-bake.hcl", 'target "web" {\n  tags = ["ghcr.io/acme/web:${TAG}"]\n}\n'
                                        'variable "TAG" { default = "x" }\n')
    result = _bake(tmp_path, env={"TAG": "sha-1"}, push=True)
    api, web = result.targets  # db has no build: not a target
    assert api.tags == ("ghcr.io/acme/api:sha-1",)  # the environment first, then .env
    assert (api.context, api.dockerfile) == ("services/api", "services/api/Dockerfile")
    assert api.args == {"GO_VERSION": "1.22", "CHANNEL": "stable"}
    assert api.platforms == ("linux/amd64", "linux/arm64")
    assert api.cache_from == ("type=gha",)
    assert (web.tags, web.context) == (("ghcr.io/acme/web:sha-1",), "web")


def test_a_compose_value_from_a_step_output_stays_unknown(tmp_path: Path) -> None:
    _write(tmp_path, "compose.yaml", "services:\n  api:\n    image: ghcr.io/acme/api:${TAG}\n    build: .\n")
    (api,) = _bake(tmp_path, env={"TAG": Unknown("steps.v.outputs.tag")}).targets
    assert [str(tag) for tag in api.tags] == ["ghcr.io/acme/api:${{ steps.v.outputs.tag }}"]
    assert isinstance(api.tags[0], Unknown)


def test_a_compose_file_that_is_not_yaml_is_a_fault(tmp_path: Path) -> None:
    _write(tmp_path, "compose.yaml", "services:\n  api:\n    build: [\n")
    result = _bake(tmp_path)
    (fault,) = result.faults
    assert fault.path == "compose.yaml"
    assert (fault.line or 0) > 0


def test_a_symlink_out_of_the_repository_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside.hcl"
    outside.write_text('target "default" {\n  tags = ["evil:1"]\n}\n', encoding="utf-8")
    repo = tmp_path / "repo"
    repo.mkdir()
    os.symlink(outside, repo / "docker-bake.hcl")
    result = _bake(repo, files=("docker-bake.hcl",))
    assert result.targets == []
    assert any("outside the repository" in text for text in result.open), result.open


def test_a_working_directory_places_files_and_contexts(tmp_path: Path) -> None:
    _write(tmp_path, "deploy/docker-bake.hcl", 'target "default" {\n  context = ".."\n'
                                               '  dockerfile = "build/Dockerfile"\n  tags = ["a:1"]\n}\n')
    (target,) = _bake(tmp_path, files=("docker-bake.hcl",), workdir="deploy").targets
    assert (target.context, target.dockerfile) == (".", "build/Dockerfile")


def test_reading_no_bake_file_loads_no_hcl_parser() -> None:
    script = ("import sys\nfrom pathlib import Path\n"
              "from cicd_acceptance.workflows.bake import BakeRequest, compute_bake\n"
              "compute_bake(Path('.'), BakeRequest((), ('x',), (), {}))\n"
              "print('hcl2' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=_REPO_ROOT / "examples", capture_output=True,
                          text=True, timeout=60, check=False,
                          env={"PYTHONPATH": str(_REPO_ROOT / "src"), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False"]
