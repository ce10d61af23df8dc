"""The publication plan of builds that Docker Bake runs (docker/bake-action, ``docker buildx bake``): the bake files
of the repository are read; metadata-action's bake file is linked to the step that writes it."""

from __future__ import annotations

import textwrap
from pathlib import Path

from cicd_acceptance.workflows.event import BuildEvent
from cicd_acceptance.workflows.expressions import Unknown
from cicd_acceptance.workflows.localfiles import LocalFiles
from cicd_acceptance.workflows.model import parse_workflow
from cicd_acceptance.workflows.publication import PublicationPlan, publication_plan
from cicd_acceptance.workflows.yamlnode import load_yaml_text

PATH = ".github/workflows/build.yml"
SHA = "0123456789abcdef0123456789abcdef01234567"
_BAKE = """\
target "docker-metadata-action" {}
target "api" {
  inherits   = ["docker-metadata-action"]
  dockerfile = "Dockerfile.api"
  cache-from = ["type=gha"]
  cache-to   = ["type=gha,mode=max"]
}
"""
_META = """\
      - id: meta
        uses: docker/metadata-action@v5
        with:
          images: ghcr.io/acme/api
          tags: type=sha
"""


def _plan(repo: Path, steps: str, *, name: str = "workflow_dispatch") -> PublicationPlan:
    (repo / "docker-bake.hcl").write_text(_BAKE, encoding="utf-8")
    text = "on: [push, workflow_dispatch]\njobs:\n  b:\n    runs-on: x\n    steps:\n" + steps
    workflow = parse_workflow(load_yaml_text(textwrap.dedent(text), display_path=PATH), path=PATH)
    event = BuildEvent(event_name=name, ref="refs/heads/main", sha=SHA, default_branch="main",
                       repository="acme/shop")
    return publication_plan(workflow, event, files=LocalFiles(repo))


def test_a_run_step_reads_the_bake_file_of_the_jobs_one_metadata_step(tmp_path: Path) -> None:
    result = _plan(tmp_path, _META + "      - run: |\n          docker buildx bake -f docker-bake.hcl "
                   "-f ${{ steps.meta.outputs.bake-file }} --push api\n")
    (entry,) = result.entries
    assert (entry.image, entry.tags, entry.push, entry.via) == (
        "ghcr.io/acme/api", ("sha-0123456",), True, "run: docker buildx bake")
    assert (entry.cache_from, entry.cache_to, entry.no_cache) == (("type=gha",), ("type=gha,mode=max",), False)
    assert entry.labels["org.opencontainers.image.revision"] == SHA


def test_two_metadata_steps_leave_an_unnamed_bake_file_undecided(tmp_path: Path) -> None:
    second = _META.replace("id: meta", "id: meta2").replace("acme/api", "acme/other")
    result = _plan(tmp_path, _META + second + "      - run: |\n          docker buildx bake -f docker-bake.hcl "
                   "-f \"$DOCKER_METADATA_OUTPUT_BAKE_FILE\" --push api\n")
    (entry,) = result.entries
    assert entry.uncomputed
    assert any("known only at run time" in note for note in result.notes), result.notes


def test_an_expression_for_push_stays_undecided_and_a_false_one_publishes_nothing(tmp_path: Path) -> None:
    step = ("      - uses: docker/bake-action@v6\n        with:\n          source: .\n"
            "          files: |\n            docker-bake.hcl\n            cwd://${{ steps.meta.outputs.bake-file }}\n"
            "          targets: api\n          push: PUSH\n")
    unknown = _plan(tmp_path, _META + step.replace("PUSH", "${{ steps.flags.outputs.push }}")).entries
    assert [isinstance(entry.push, Unknown) for entry in unknown] == [True]
    assert [entry.push for entry in _plan(tmp_path, _META + step.replace("PUSH", "false")).entries] == [False]
    (pushed,) = _plan(tmp_path, _META + step.replace("PUSH", "true")).entries
    assert (pushed.image, pushed.tags, pushed.push, pushed.dockerfile) == (
        "ghcr.io/acme/api", ("sha-0123456",), True, "Dockerfile.api")


def test_a_git_context_folder_holds_the_bake_file_and_the_contexts(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "docker-bake.hcl").write_text('target "default" {\n  tags = ["ghcr.io/acme/api:1"]\n}\n',
                                                         encoding="utf-8")
    (entry,) = _plan(tmp_path, "      - uses: docker/bake-action@v6\n        with:\n"
                               "          source: '{{defaultContext}}:deploy'\n          push: true\n").entries
    assert (entry.image, entry.tags, entry.dockerfile, entry.context) == (
        "ghcr.io/acme/api", ("1",), "deploy/Dockerfile", "deploy")
