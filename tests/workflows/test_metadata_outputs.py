"""docker/metadata-action outputs beyond the tags: labels, annotations, json, bake files, separators, the
DOCKER_METADATA_OUTPUT_* variables, and how the static model hands them to later steps."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime

import pytest

from cicd_acceptance.workflows.event import BuildEvent, github_context
from cicd_acceptance.workflows.expressions import ExprContext, Unknown, evaluate
from cicd_acceptance.workflows.metadata import MetadataInputs, MetadataOutputs, PartialJSON, evaluate_metadata
from cicd_acceptance.workflows.model import parse_workflow
from cicd_acceptance.workflows.publication import publication_plan
from cicd_acceptance.workflows.yamlnode import load_yaml_text

SHA = "c0ffee1234567890c0ffee1234567890c0ffee12"
BUILT = datetime(2026, 5, 1, 9, 30, 0, 125000, tzinfo=UTC)
RUNTIME = BuildEvent("push", "refs/tags/v3.0.1", SHA, "trunk", "Acme/Widget", event_time=BUILT,
                     repo_description="Widgets & gadgets", repo_license="Apache-2.0",
                     server_url="http://127.0.0.1:8080/")


def outputs(**inputs: object) -> MetadataOutputs:
    values = {"images": "ghcr.io/acme/widget", "tags": "type=semver,pattern={{version}}\ntype=sha"} | inputs
    env = values.pop("env", {})
    return evaluate_metadata(MetadataInputs(**values), RUNTIME, env, bake_dir="/tmp/bake")  # type: ignore[arg-type]


OCI = {
    "org.opencontainers.image.created": "2026-05-01T09:30:00.125Z",
    "org.opencontainers.image.description": "Widgets & gadgets",
    "org.opencontainers.image.licenses": "Apache-2.0",
    "org.opencontainers.image.revision": SHA,
    "org.opencontainers.image.source": "http://127.0.0.1:8080/Acme/Widget",
    "org.opencontainers.image.title": "Widget",
    "org.opencontainers.image.url": "http://127.0.0.1:8080/Acme/Widget",
    "org.opencontainers.image.version": "3.0.1",
}


def test_labels_are_the_oci_set_sorted_by_key() -> None:
    result = outputs()
    assert result.labels == OCI
    assert list(result.labels) == sorted(OCI)
    assert result.outputs()["labels"] == "\n".join(f"{key}={value}" for key, value in OCI.items())


def test_custom_labels_override_add_and_use_global_expressions() -> None:
    result = outputs(labels="maintainer=ops@acme.test\norg.opencontainers.image.title=Widget Service\n"
                            "built.from={{tag}}@{{sha}}\nno-equals-sign\nlink=a=b")
    assert result.labels["org.opencontainers.image.title"] == "Widget Service"
    assert result.labels["maintainer"] == "ops@acme.test"
    assert result.labels["built.from"] == "v3.0.1@c0ffee1"
    assert result.labels["link"] == "a=b"
    assert "no-equals-sign" not in result.labels
    assert list(result.labels) == ["built.from", "link", "maintainer", *sorted(OCI)]


def test_label_sort_is_locale_order_not_code_points() -> None:
    result = outputs(labels="Zeta=1\nalpha=2\nbeta_x=3\nbeta-x=4")
    assert [key for key in result.labels if not key.startswith("org.")] == ["alpha", "beta_x", "beta-x", "Zeta"]


def test_annotations_carry_levels() -> None:
    result = outputs(annotations="org.opencontainers.image.vendor=Acme",
                     env={"DOCKER_METADATA_ANNOTATIONS_LEVELS": "manifest,index"})
    assert len(result.annotations) == 18
    assert result.annotations[0] == "manifest:org.opencontainers.image.created=2026-05-01T09:30:00.125Z"
    assert "index:org.opencontainers.image.vendor=Acme" in result.annotations
    assert "org.opencontainers.image.vendor" not in result.labels


def test_default_annotation_level_is_manifest() -> None:
    assert all(str(item).startswith("manifest:") for item in outputs().annotations)


def test_json_output_is_compact_and_complete() -> None:
    result = outputs()
    text = result.outputs()["json"]
    assert isinstance(text, str)
    assert "\n" not in text
    assert ", " not in text
    data = json.loads(text)
    assert data["tags"] == ["ghcr.io/acme/widget:3.0.1", "ghcr.io/acme/widget:sha-c0ffee1",
                            "ghcr.io/acme/widget:latest"]
    assert data["labels"] == OCI
    assert data["annotations"][0].startswith("manifest:")


def test_version_tag_names_and_separators() -> None:
    result = outputs(sep_tags=",", sep_labels=";", major_version=6)
    values = result.outputs()
    assert values["version"] == "3.0.1"
    assert values["tags"] == "ghcr.io/acme/widget:3.0.1,ghcr.io/acme/widget:sha-c0ffee1,ghcr.io/acme/widget:latest"
    assert values["tag-names"] == "3.0.1,sha-c0ffee1,latest"
    assert str(values["labels"]).count(";") == 7


def test_tag_names_is_a_v6_output() -> None:
    assert "tag-names" not in outputs().outputs()


def test_bake_files() -> None:
    result = outputs(bake_target="meta")
    assert result.outputs()["bake-file-tags"] == "/tmp/bake/docker-metadata-action-bake-tags.json"
    assert result.outputs()["bake-file"] == "/tmp/bake/docker-metadata-action-bake.json"
    tags_file = json.loads(str(result.bake_files["bake-file-tags"]))
    assert tags_file == {"target": {"meta": {
        "tags": list(result.tags),
        "args": {"DOCKER_META_IMAGES": "ghcr.io/acme/widget", "DOCKER_META_VERSION": "3.0.1"}}}}
    assert str(result.bake_files["bake-file-labels"]).startswith('{\n  "target": {\n    "meta": {\n      "labels"')
    annotations = json.loads(str(result.bake_files["bake-file-annotations"]))
    assert annotations["target"]["meta"]["annotations"] == list(result.annotations)
    both = json.loads(str(result.bake_files["bake-file"]))["target"]["meta"]
    assert set(both) == {"tags", "labels", "args"}


def test_bake_args_leave_out_an_absent_version() -> None:
    result = outputs(tags="type=ref,event=pr")
    assert result.version == ""
    assert json.loads(str(result.bake_files["bake-file-tags"]))["target"]["docker-metadata-action"]["args"] == {
        "DOCKER_META_IMAGES": "ghcr.io/acme/widget"}


def test_output_environment_variables() -> None:
    env = outputs(major_version=6).env()
    assert env["DOCKER_METADATA_OUTPUT_VERSION"] == "3.0.1"
    assert env["DOCKER_METADATA_OUTPUT_TAG_NAMES"] == "3.0.1\nsha-c0ffee1\nlatest"
    assert env["DOCKER_METADATA_OUTPUT_BAKE_FILE_TAGS"] == "/tmp/bake/docker-metadata-action-bake-tags.json"
    assert set(env) == {"DOCKER_METADATA_OUTPUT_" + name for name in (
        "VERSION", "TAGS", "TAG_NAMES", "LABELS", "ANNOTATIONS", "JSON", "BAKE_FILE_TAGS", "BAKE_FILE_LABELS",
        "BAKE_FILE_ANNOTATIONS", "BAKE_FILE")}


@pytest.mark.parametrize(("value", "exported"), [("false", False), ("0", False), ("True", True), ("", True)])
def test_output_environment_can_be_switched_off(value: str, exported: bool) -> None:
    assert bool(outputs(env={"DOCKER_METADATA_SET_OUTPUT_ENV": value}).env()) is exported


def test_static_outputs_are_partial_but_json_keeps_its_shape() -> None:
    static = BuildEvent("push", "refs/heads/trunk", SHA, "trunk", "acme/widget")
    result = evaluate_metadata(MetadataInputs(images="ghcr.io/acme/widget", tags="type=sha"), static, {})
    assert isinstance(result.labels["org.opencontainers.image.created"], Unknown)
    assert isinstance(result.labels["org.opencontainers.image.description"], Unknown)
    assert result.labels["org.opencontainers.image.revision"] == SHA
    assert isinstance(result.outputs()["bake-file"], Unknown)
    json_output = result.outputs()["json"]
    assert isinstance(json_output, PartialJSON)
    ctx = ExprContext(github=github_context(static), steps={"meta": {"outputs": result.outputs()}})
    assert evaluate("fromJSON(steps.meta.outputs.json).tags[0]", ctx) == "ghcr.io/acme/widget:sha-c0ffee1"
    assert evaluate("fromJSON(steps.meta.outputs.json).labels['org.opencontainers.image.revision']", ctx) == SHA
    assert isinstance(evaluate("fromJSON(steps.meta.outputs.json).labels['org.opencontainers.image.created']",
                               ctx), Unknown)


WORKFLOW = """\
on: push
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - id: meta
        uses: docker/metadata-action@v6
        with:
          images: ghcr.io/acme/widget
          tags: |
            type=ref,event=branch
            type=sha
      - uses: docker/build-push-action@v6
        with:
          push: true
          tags: ${{ join(fromJSON(steps.meta.outputs.json).tags, ',') }}
      - uses: docker/build-push-action@v6
        with:
          push: true
          tags: ${{ env.DOCKER_METADATA_OUTPUT_TAGS }}
"""


def test_static_plan_reads_json_and_output_env_of_a_metadata_step() -> None:
    path = ".github/workflows/image.yml"
    workflow = parse_workflow(load_yaml_text(textwrap.dedent(WORKFLOW), display_path=path), path=path)
    plan = publication_plan(workflow, BuildEvent("push", "refs/heads/trunk", SHA, "trunk", "acme/widget"))
    assert [entry.tags for entry in plan.entries] == [("trunk", "sha-c0ffee1"), ("trunk", "sha-c0ffee1")]


def test_compute_metadata_reports_a_failing_action() -> None:
    text = WORKFLOW.replace("type=sha", "type=shaa")
    path = ".github/workflows/image.yml"
    workflow = parse_workflow(load_yaml_text(text, display_path=path), path=path)
    plan = publication_plan(workflow, BuildEvent("push", "refs/heads/trunk", SHA, "trunk", "acme/widget"))
    assert any("docker/metadata-action would fail: Unknown tag type attribute: shaa" in note for note in plan.notes)


def test_at_run_time_every_output_is_known() -> None:
    """What the emulator's executor gets: concrete strings for every output and variable, and bake files to write."""
    result = outputs(labels="built.by={{branch}}{{tag}}", annotations="vendor=Acme", major_version=6,
                     env={"DOCKER_METADATA_ANNOTATIONS_LEVELS": "index,manifest"})
    assert all(isinstance(value, str) for value in result.outputs().values())
    assert all(isinstance(value, str) for value in result.env().values())
    assert all(isinstance(value, str) for value in result.bake_files.values())
    assert result.latest is True


def test_labels_keep_inner_quotes_and_lose_surrounding_ones() -> None:
    result = outputs(labels='org.opencontainers.image.description=a "good" one\n"maintainer=Ops, Platform"')
    assert result.labels["org.opencontainers.image.description"] == 'a "good" one'
    assert result.labels["maintainer"] == "Ops, Platform"
