"""publication_plan: which images and tags a build workflow pushes for an event (docker/metadata-action rules)."""

from __future__ import annotations

import textwrap

import pytest

from cicd_acceptance.workflows.expressions import Unknown
from cicd_acceptance.workflows.model import parse_workflow
from cicd_acceptance.workflows.publication import BuildEvent, ImagePublication, PublicationPlan, publication_plan
from cicd_acceptance.workflows.yamlnode import load_yaml_text

SHA = "0123456789abcdef0123456789abcdef01234567"
PATH = ".github/workflows/build-images.yml"

SAMPLE = """\
on:
  push:
    branches: [main]
  workflow_dispatch:
permissions: {contents: read, packages: write}
jobs:
  build:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        service: [gateway, worker, webhook-demo]
    steps:
      - uses: actions/checkout@v4
      - id: meta
        uses: docker/metadata-action@v5
        with:
          images: ghcr.io/${{ github.repository }}-${{ matrix.service }}
          tags: |
            type=sha
            type=raw,value=latest,enable={{is_default_branch}}
      - name: Build and push
        uses: docker/build-push-action@v6
        with:
          context: .
          file: Dockerfile.${{ matrix.service }}
          push: ${{ github.event_name != 'pull_request' }}
          platforms: linux/amd64,linux/arm64
          tags: ${{ steps.meta.outputs.tags }}
          labels: ${{ steps.meta.outputs.labels }}
"""


def event(name: str = "push", ref: str = "refs/heads/main", repository: str = "Acme/Stream-Monitor") -> BuildEvent:
    return BuildEvent(event_name=name, ref=ref, sha=SHA, default_branch="main", repository=repository)


def plan(text: str, build_event: BuildEvent | None = None) -> PublicationPlan:
    workflow = parse_workflow(load_yaml_text(textwrap.dedent(text), display_path=PATH), path=PATH)
    return publication_plan(workflow, build_event or event())


def meta_tags(with_block: str, build_event: BuildEvent | None = None, step_env: str = "") -> list[str]:
    """Tags of one image computed by a metadata-action step with the given ``with:`` lines."""
    text = (
        "on: [push, pull_request, schedule, workflow_dispatch]\njobs:\n  b:\n    runs-on: x\n    steps:\n"
        "      - id: meta\n        uses: docker/metadata-action@v5\n" + step_env + "        with:\n"
        + textwrap.indent(textwrap.dedent(with_block), " " * 10)
        + "      - uses: docker/build-push-action@v6\n        with:\n          push: true\n"
        "          tags: ${{ steps.meta.outputs.tags }}\n"
    )
    entries = plan(text, build_event).entries
    return [str(tag) for entry in entries for tag in entry.references]


def only(entries: tuple[ImagePublication, ...]) -> ImagePublication:
    assert len(entries) == 1, entries
    return entries[0]


def test_push_to_main() -> None:
    result = plan(SAMPLE, event("push"))
    assert [entry.image for entry in result.entries] == [
        "ghcr.io/acme/stream-monitor-gateway", "ghcr.io/acme/stream-monitor-worker",
        "ghcr.io/acme/stream-monitor-webhook-demo"]
    gateway = result.entries[0]
    assert gateway.tags == ("latest", "sha-0123456")
    assert gateway.references == ("ghcr.io/acme/stream-monitor-gateway:latest",
                                  "ghcr.io/acme/stream-monitor-gateway:sha-0123456")
    assert (gateway.dockerfile, gateway.context, gateway.push) == ("Dockerfile.gateway", ".", True)
    assert gateway.platforms == ("linux/amd64", "linux/arm64")
    assert (gateway.job_id, gateway.matrix, gateway.line) == ("build", {"service": "gateway"}, 21)
    assert gateway.labels["org.opencontainers.image.revision"] == SHA
    assert gateway.labels["org.opencontainers.image.source"] == "https://github.com/Acme/Stream-Monitor"
    assert isinstance(gateway.labels["org.opencontainers.image.created"], Unknown)
    assert result.notes == ()
    assert result.pushed == result.entries


def test_workflow_dispatch_on_main_tags_latest() -> None:
    result = plan(SAMPLE, event("workflow_dispatch"))
    assert {entry.tags for entry in result.entries} == {("latest", "sha-0123456")}


def test_workflow_dispatch_on_a_feature_branch_has_no_latest() -> None:
    result = plan(SAMPLE, event("workflow_dispatch", "refs/heads/feature/x"))
    assert {entry.tags for entry in result.entries} == {("sha-0123456",)}
    assert all(entry.push is True for entry in result.entries)


def test_pull_request_builds_without_pushing_and_is_noted() -> None:
    result = plan(SAMPLE, event("pull_request", "refs/pull/7/merge"))
    assert result.entries == ()
    assert result.no_run == "no run for this event: the workflow is not triggered by pull_request"
    assert result.notes == (f"{PATH}: no run for this event: the workflow is not triggered by pull_request",)


def test_explicit_tags_list_and_upper_case_owner_lowercased_by_metadata_only() -> None:
    result = plan("""\
        on: push
        env:
          IMAGE: ghcr.io/${{ github.repository_owner }}/app
        jobs:
          b:
            runs-on: x
            steps:
              - uses: docker/build-push-action@v6
                with:
                  push: true
                  file: ./docker/Dockerfile
                  tags: |
                    ${{ env.IMAGE }}:${{ github.sha }}
                    ${{ env.IMAGE }}:latest, registry.example:5000/app:v1
        """)
    first, second = result.entries
    # build-push-action passes names through as written (docker itself would refuse the upper case).
    assert first.image == "ghcr.io/Acme/app"
    assert first.tags == (SHA, "latest")
    assert first.dockerfile == "docker/Dockerfile"
    assert second.image == "registry.example:5000/app"
    assert second.tags == ("v1",)


def test_explicit_tags_as_a_yaml_list() -> None:
    result = plan("""\
        on: push
        jobs:
          b:
            runs-on: x
            steps:
              - uses: docker/build-push-action@v6
                with:
                  context: services/api
                  tags: [ghcr.io/acme/api:one, ghcr.io/acme/api:two]
        """)
    entry = only(result.entries)
    assert entry.tags == ("one", "two")
    assert entry.push is False  # build-push-action's default
    assert entry.dockerfile == "services/api/Dockerfile"


def test_images_via_env_and_repository_owner_lowercased() -> None:
    tags = meta_tags("images: ${{ env.REGISTRY }}/${{ github.repository_owner }}/tool\ntags: type=sha\n",
                     step_env="        env:\n          REGISTRY: GHCR.io\n")
    assert tags == ["ghcr.io/acme/tool:sha-0123456"]


def test_matrix_include_only() -> None:
    result = plan("""\
        on: push
        jobs:
          b:
            runs-on: x
            strategy:
              matrix:
                include:
                  - {name: gateway, dockerfile: build/gw.Dockerfile}
                  - {name: worker, dockerfile: build/wk.Dockerfile}
            steps:
              - uses: docker/build-push-action@v6
                with:
                  file: ${{ matrix.dockerfile }}
                  push: true
                  tags: ghcr.io/acme/${{ matrix.name }}:${{ github.sha }}
        """)
    assert [(entry.dockerfile, entry.image) for entry in result.entries] == [
        ("build/gw.Dockerfile", "ghcr.io/acme/gateway"), ("build/wk.Dockerfile", "ghcr.io/acme/worker")]
    assert result.entries[1].matrix == {"name": "worker", "dockerfile": "build/wk.Dockerfile"}


def test_job_if_false_publishes_nothing() -> None:
    result = plan("""\
        on: [push, workflow_dispatch]
        jobs:
          b:
            if: github.ref == 'refs/heads/release'
            runs-on: x
            steps:
              - uses: docker/build-push-action@v6
                with: {push: true, tags: "ghcr.io/acme/app:x"}
        """)
    assert result.entries == ()
    assert result.notes == (f"{PATH}:3: job 'b' does not run for push (github.ref == 'refs/heads/release')",)


def test_step_if_false_and_unknown() -> None:
    text = """\
        on: push
        jobs:
          b:
            runs-on: x
            steps:
              - uses: docker/build-push-action@v6
                if: github.event_name == 'pull_request'
                with: {push: true, tags: "ghcr.io/acme/skipped:x"}
              - uses: docker/build-push-action@v6
                if: ${{ secrets.PUBLISH == 'yes' }}
                with: {push: true, tags: "ghcr.io/acme/maybe:x"}
        """
    entry = only(plan(text).entries)
    assert entry.image == "ghcr.io/acme/maybe"
    assert entry.condition == Unknown("secrets.PUBLISH == 'yes'")


def test_unknown_parts_stay_visible() -> None:
    result = plan("""\
        on: push
        jobs:
          b:
            runs-on: x
            steps:
              - uses: docker/build-push-action@v6
                with:
                  push: ${{ vars.PUBLISH }}
                  tags: ghcr.io/${{ secrets.OWNER }}/app:${{ github.sha }}
        """)
    entry = only(result.entries)
    assert entry.image == Unknown("ghcr.io/${{ secrets.OWNER }}/app", template=True)
    assert entry.tags == (SHA,)
    assert entry.push == Unknown("${{ vars.PUBLISH }}", template=True)
    assert result.pushed == result.entries


def test_symbolic_matrix_and_reusable_workflow_are_noted() -> None:
    result = plan("""\
        on: push
        jobs:
          call:
            uses: acme/ci/.github/workflows/build.yml@v1
          b:
            runs-on: x
            strategy:
              matrix: ${{ fromJSON(vars.SERVICES) }}
            steps:
              - uses: docker/build-push-action@v6
                with: {push: true, tags: "ghcr.io/acme/${{ matrix.service }}:1"}
        """)
    call, entry = result.entries
    # Another repository's workflow may push anything: an undecided entry, never "no images".
    assert call.uncomputed
    assert call.job_id == "call"
    assert isinstance(call.image, Unknown)
    assert str(call.image) == "the images acme/ci/.github/workflows/build.yml@v1 pushes"
    assert entry.image == Unknown("ghcr.io/acme/${{ matrix.service }}", template=True)
    assert len(result.notes) == 2
    assert "calls acme/ci/.github/workflows/build.yml@v1" in result.notes[0]
    assert "is known only at run time" in result.notes[1]


def test_inputs_default_feeds_expressions() -> None:
    result = plan("""\
        on:
          workflow_dispatch:
            inputs:
              tag: {default: nightly}
        jobs:
          b:
            runs-on: x
            steps:
              - uses: docker/build-push-action@v6
                with: {push: true, tags: "ghcr.io/acme/app:${{ inputs.tag }}"}
        """, event("workflow_dispatch"))
    assert only(result.entries).tags == ("nightly",)


# --- docker/metadata-action rules ------------------------------------------------------------------------------


def test_default_tags_on_branch_tag_and_pr() -> None:
    with_block = "images: Ghcr.IO/Acme/App\n"
    assert meta_tags(with_block, event("push", "refs/heads/feature/login")) == ["ghcr.io/acme/app:feature-login"]
    assert meta_tags(with_block, event("push", "refs/tags/v1.2.3")) == [
        "ghcr.io/acme/app:v1.2.3", "ghcr.io/acme/app:latest"]
    assert meta_tags(with_block, event("pull_request", "refs/pull/12/merge")) == ["ghcr.io/acme/app:pr-12"]
    assert meta_tags(with_block, event("schedule")) == ["ghcr.io/acme/app:nightly", "ghcr.io/acme/app:main"]


def test_sha_formats_and_length() -> None:
    assert meta_tags("images: a/b\ntags: type=sha,format=long\n") == [f"a/b:sha-{SHA}"]
    assert meta_tags("images: a/b\ntags: type=sha,prefix=,suffix=-x\n") == ["a/b:0123456-x"]
    longer = "        env:\n          DOCKER_METADATA_SHORT_SHA_LENGTH: 12\n"
    assert meta_tags("images: a/b\ntags: type=sha\n", step_env=longer) == ["a/b:sha-0123456789ab"]
    # A length only a run knows: the tag is unknown, named by the expression once (not `$( vars.SHA_LEN )`).
    from_vars = "        env:\n          DOCKER_METADATA_SHORT_SHA_LENGTH: ${{ vars.SHA_LEN }}\n"
    assert meta_tags("images: a/b\ntags: type=sha\n", step_env=from_vars) == [
        f"a/b:sha-${{{{ {SHA} shortened to DOCKER_METADATA_SHORT_SHA_LENGTH=vars.SHA_LEN }}}}"]


def test_latest_auto_does_not_tag_branch_pushes_but_true_does() -> None:
    assert meta_tags("images: a/b\ntags: type=ref,event=branch\n") == ["a/b:main"]
    assert meta_tags("images: a/b\ntags: type=ref,event=branch\nflavor: latest=true\n") == ["a/b:main", "a/b:latest"]
    tag_push = event("push", "refs/tags/v2.0.0")
    assert meta_tags("images: a/b\ntags: type=ref,event=tag\nflavor: latest=false\n", tag_push) == ["a/b:v2.0.0"]


def test_flavor_prefix_and_suffix() -> None:
    tags = meta_tags("images: a/b\ntags: |\n  type=raw,value=x\n  type=raw,value=y,prefix=p-\n"
                     "flavor: |\n  latest=true\n  prefix=f-\n  suffix=-s,onlatest=true\n")
    assert tags == ["a/b:f-x-s", "a/b:p-y-s", "a/b:latest-s"]


def test_enable_with_expressions_and_is_default_branch() -> None:
    with_block = ("images: a/b\ntags: |\n  type=raw,value=stable,enable=${{ github.ref == 'refs/heads/main' }}\n"
                  "  type=raw,value=latest,enable={{is_default_branch}}\n  type=sha,enable=false\n")
    assert meta_tags(with_block) == ["a/b:stable", "a/b:latest"]
    assert meta_tags(with_block, event("push", "refs/heads/dev")) == []


def test_semver_only_on_tags() -> None:
    with_block = ("images: a/b\ntags: |\n  type=semver,pattern={{version}}\n  type=semver,pattern={{major}}.{{minor}}\n"
                  "  type=sha\n")
    assert meta_tags(with_block) == ["a/b:sha-0123456"]
    assert meta_tags(with_block, event("push", "refs/tags/v1.2.3")) == [
        "a/b:1.2.3", "a/b:1.2", "a/b:sha-0123456", "a/b:latest"]
    assert meta_tags(with_block, event("push", "refs/tags/v1.3.0-rc.1")) == ["a/b:1.3.0-rc.1", "a/b:sha-0123456"]


def test_edge_schedule_and_priority() -> None:
    with_block = "images: a/b\ntags: |\n  type=sha\n  type=edge\n  type=schedule,pattern=nightly-build\n"
    assert meta_tags(with_block) == ["a/b:edge", "a/b:sha-0123456"]
    assert meta_tags(with_block, event("push", "refs/heads/dev")) == ["a/b:sha-0123456"]
    assert meta_tags(with_block, event("schedule")) == ["a/b:nightly-build", "a/b:edge", "a/b:sha-0123456"]
    assert meta_tags("images: a/b\ntags: |\n  type=sha,priority=2000\n  type=raw,value=x\n") == [
        "a/b:sha-0123456", "a/b:x"]


def test_images_forms() -> None:
    tags = meta_tags("images: |\n  ghcr.io/acme/one\n  name=docker.io/acme/two,enable=false\n"
                     "  name=quay.io/Acme/Three,enable=true\n  # a comment\ntags: type=raw,value=v\n")
    assert tags == ["ghcr.io/acme/one:v", "quay.io/acme/three:v"]
    assert meta_tags("images: a/one,a/two\ntags: v\n") == ["a/one:v", "a/two:v"]


def test_global_expressions_in_values() -> None:
    assert meta_tags("images: a/b\ntags: type=raw,value={{branch}}-{{sha}}\n",
                     event("push", "refs/heads/main")) == ["a/b:main-0123456"]
    date = meta_tags("images: a/b\ntags: type=raw,value={{date 'YYYYMMDD'}}\n")
    assert len(date) == 1
    assert "date 'YYYYMMDD'" in date[0]


def test_unknown_enable_keeps_the_tag_visibly_conditional() -> None:
    (tag,) = meta_tags("images: a/b\ntags: type=raw,value=v,enable=${{ secrets.ON }}\n")
    assert tag.startswith("a/b:v (if ")
    assert "secrets.ON" in tag


@pytest.mark.parametrize("images", ["ghcr.io/${{ secrets.ORG }}/App", "${{ vars.IMAGE }}"])
def test_unknown_image_names_are_kept_not_guessed(images: str) -> None:
    (tag,) = meta_tags(f"images: {images}\ntags: type=raw,value=v\n")
    assert "${{" in tag
    assert tag.endswith(":v")


def test_latest_auto_is_decided_by_the_highest_priority_entry() -> None:
    tag_push = event("push", "refs/tags/v3")
    assert meta_tags("images: a/b\ntags: |\n  type=raw,value=x\n  type=ref,event=tag\n", tag_push) == [
        "a/b:v3", "a/b:x", "a/b:latest"]
    assert meta_tags("images: a/b\ntags: |\n  type=raw,value=x,priority=700\n  type=ref,event=tag\n", tag_push) == [
        "a/b:x", "a/b:v3"]


def test_pr_prefix_can_be_replaced_and_values_are_sanitized() -> None:
    pull = event("pull_request", "refs/pull/12/merge")
    assert meta_tags("images: a/b\ntags: type=ref,event=pr,prefix=pull-\n", pull) == ["a/b:pull-12"]
    assert meta_tags("images: a/b\ntags: type=raw,value=a/b c\n") == ["a/b:a-b-c"]


def test_metadata_labels_sorted_with_custom_overrides() -> None:
    result = plan("""\
        on: push
        jobs:
          b:
            runs-on: x
            steps:
              - id: meta
                uses: docker/metadata-action@v5
                with:
                  images: a/b
                  tags: type=sha
                  labels: |
                    org.opencontainers.image.title=Custom
                    maintainer=team
              - uses: docker/build-push-action@v6
                with:
                  tags: ${{ steps.meta.outputs.tags }}
                  labels: ${{ steps.meta.outputs.labels }}
        """)
    labels = only(result.entries).labels
    assert list(labels) == sorted(labels)
    assert labels["org.opencontainers.image.title"] == "Custom"
    assert labels["maintainer"] == "team"
    assert labels["org.opencontainers.image.version"] == "sha-0123456"


def test_jobs_needing_a_skipped_job_are_skipped() -> None:
    result = plan("""\
        on: push
        jobs:
          gate:
            if: github.event_name == 'release'
            runs-on: x
            steps: [{run: "true"}]
          build:
            needs: gate
            runs-on: x
            steps:
              - uses: docker/build-push-action@v6
                with: {push: true, tags: "a/b:x"}
          report:
            needs: [gate]
            if: always()
            runs-on: x
            steps:
              - uses: docker/build-push-action@v6
                with: {push: true, tags: "a/report:x"}
        """)
    assert [entry.image for entry in result.entries] == ["a/report"]
    assert "job 'build' is skipped" in result.notes[1]


@pytest.mark.parametrize(
    ("with_block", "push"),
    [("outputs: type=registry", True), ("outputs: type=image,push=true", True), ("outputs: type=docker", False),
     ("push: 'false'", False), ("push: true", True)],
)
def test_push_from_push_or_outputs(with_block: str, push: bool) -> None:
    result = plan(f"on: push\njobs:\n  b:\n    runs-on: x\n    steps:\n      - uses: docker/build-push-action@v6\n"
                  f"        with:\n          tags: a/b:x\n          {with_block}\n")
    assert only(result.entries).push is push


def test_other_ways_of_pushing_are_noted_not_ignored() -> None:
    result = plan("""\
        on: push
        jobs:
          b:
            runs-on: x
            steps:
              - uses: docker/bake-action@v5
              - run: |
                  docker build -t ghcr.io/acme/x:1 .
                  docker push ghcr.io/acme/x:1
        """)
    bake, pushed = result.entries  # the local build publishes nothing; its push does
    assert (pushed.image, pushed.tags, pushed.push, pushed.line, pushed.dockerfile, pushed.via) == (
        "ghcr.io/acme/x", ("1",), True, 9, "Dockerfile", "run: docker push")
    # bake without push: true may still push (the bake file's output): undecided, never "no images".
    assert bake.uncomputed
    assert (bake.via, bake.tags, bake.line) == ("docker/bake-action@v5", (), 6)
    assert isinstance(bake.push, Unknown)
    assert str(bake.image) == "the images docker/bake-action@v5 pushes"
    assert result.notes == (f"{PATH}:6: docker/bake-action@v5: the repository's bake files are not available",
                            f"{PATH}:6: docker/bake-action@v5 may push images; its images and tags are not "
                            f"computed")


def test_tools_that_push_their_own_way() -> None:
    result = plan("""\
        on: push
        jobs:
          b:
            runs-on: x
            env: {KO_DOCKER_REPO: ghcr.io/acme/shop}
            steps:
              - run: |
                  ko build ./cmd/api -B --tags sha-1,latest
                  ko build ./cmd/api --push=false
                  docker compose -f c.yml push
                  podman push ghcr.io/acme/pod:2
                  goreleaser release --snapshot
              - uses: goreleaser/goreleaser-action@v6
                with: {args: release --clean}
              - uses: docker/bake-action@v6
                with: {load: true}
        """)
    ko, compose, podman, goreleaser = result.entries
    assert (ko.image, ko.tags, ko.via, ko.line) == ("ghcr.io/acme/shop/api", ("sha-1", "latest"), "run: ko build", 8)
    assert isinstance(ko.dockerfile, Unknown)
    assert not ko.uncomputed
    assert compose.uncomputed
    assert compose.via == "run: docker compose push"
    assert compose.push is True
    assert (podman.image, podman.tags, podman.uncomputed) == ("ghcr.io/acme/pod", ("2",), False)
    assert goreleaser.uncomputed
    assert goreleaser.line == 13
    assert goreleaser.push is True


def test_setup_ko_logs_in_and_names_the_repository() -> None:
    result = plan("""\
        on: push
        jobs:
          b:
            runs-on: x
            steps:
              - uses: ko-build/setup-ko@v0.9
              - run: ko build --bare .
        """)
    entry = only(result.entries)
    assert (entry.image, entry.tags) == ("ghcr.io/acme/stream-monitor", ("latest",))
    login = result.logins[0]
    assert (login.registry, login.password, login.order < entry.order) == ("ghcr.io", "${{ github.token }}", True)


def test_buildah_build_then_push_to_registry() -> None:
    result = plan("""\
        on: push
        jobs:
          b:
            runs-on: x
            steps:
              - id: build
                uses: redhat-actions/buildah-build@v2
                with:
                  image: shop-api
                  tags: latest sha-${{ github.sha }}
                  containerfiles: ./Dockerfile.api
                  labels: org.opencontainers.image.revision=${{ github.sha }}
              - uses: redhat-actions/push-to-registry@v2
                with:
                  image: ${{ steps.build.outputs.image }}
                  tags: ${{ steps.build.outputs.tags }}
                  registry: ghcr.io/acme
                  username: ${{ github.actor }}
                  password: ${{ secrets.GITHUB_TOKEN }}
        """)
    latest, sha = result.entries
    assert (latest.image, latest.tags, sha.tags) == ("ghcr.io/acme/shop-api", ("latest",), (f"sha-{SHA}",))
    assert (sha.dockerfile, sha.labels["org.opencontainers.image.revision"]) == ("Dockerfile.api", SHA)
    assert result.logins[0].registry == "ghcr.io"
    assert result.logins[0].via == "redhat-actions/push-to-registry"


def test_match_type_on_tags() -> None:
    with_block = "images: a/b\ntags: type=match,pattern=v(\\d+.\\d+),group=1\n"
    assert meta_tags(with_block, event("push", "refs/tags/v2.0.8-beta.67")) == ["a/b:2.0", "a/b:latest"]
    assert meta_tags(with_block) == []


def test_build_event_facts() -> None:
    pull = event("pull_request", "refs/pull/5/merge")
    assert (pull.branch, pull.tag, pull.pr_number, pull.ref_name, pull.is_default_branch) == (
        None, None, "5", "5/merge", False)
    tag = event("push", "refs/tags/v1")
    assert (tag.branch, tag.tag, tag.ref_name, tag.owner, tag.name) == (None, "v1", "v1", "Acme", "Stream-Monitor")
    assert event().is_default_branch
    assert event().short_sha() == "0123456"


def test_default_branch_idiom_through_the_event_payload() -> None:
    with_block = ("images: a/b\ntags: |\n  type=raw,value=latest,enable=${{ github.ref == format('refs/heads/{0}', "
                  "github.event.repository.default_branch) }}\n")
    assert meta_tags(with_block) == ["a/b:latest"]
    assert meta_tags(with_block, event("workflow_dispatch", "refs/heads/feature/x")) == []


def test_a_broken_expression_is_confined_to_its_value_and_names_the_file_and_line() -> None:
    result = plan("on: push\njobs:\n  b:\n    runs-on: x\n    steps:\n      - uses: docker/build-push-action@v6\n"
                  "        with: {tags: 'a/b:${{ github.sha', push: true}\n")
    assert isinstance(result.entries[0].image, Unknown)
    assert result.notes[0].startswith(".github/workflows/build-images.yml:7: unterminated")
    result = plan("on: push\njobs:\n  b:\n    runs-on: x\n    steps:\n      - uses: docker/build-push-action@v6\n"
                  "        with: {push: '${{ github.sha == }}', tags: a/b:1}\n")
    assert isinstance(result.entries[0].push, Unknown)
    assert "build-images.yml:7" in result.notes[0]
    assert "invalid expression" in result.notes[0]


DISPATCH_INPUTS = """\
    on:
      push:
      workflow_dispatch:
        inputs:
          publish: {type: boolean, default: true}
          channel: {type: string}
          token: {type: string, required: true}
    jobs:
      b:
        runs-on: x
        steps:
          - uses: docker/build-push-action@v6
            with:
              push: ${{ github.event_name == 'push' || inputs.publish }}
              tags: a/b:x${{ inputs.channel }}
    """


def test_dispatch_inputs_take_defaults_or_given_values() -> None:
    defaults = only(plan(DISPATCH_INPUTS, event("workflow_dispatch")).entries)
    assert (defaults.push, defaults.tags) == (True, ("x",))
    given = BuildEvent("workflow_dispatch", "refs/heads/main", SHA, "main", "acme/app",
                       inputs={"publish": "false", "channel": "-beta"})
    entry = only(plan(DISPATCH_INPUTS, given).entries)
    assert (entry.push, entry.tags) == (False, ("x-beta",))


def test_inputs_context_is_empty_on_push_and_required_inputs_stay_unknown() -> None:
    assert only(plan(DISPATCH_INPUTS, event("push")).entries).tags == ("x",)
    required = DISPATCH_INPUTS.replace("x${{ inputs.channel }}", "${{ inputs.token }}${{ inputs.undeclared }}")
    assert only(plan(required, event("workflow_dispatch")).entries).tags == (
        Unknown("${{ inputs.token }}", template=True),)


def test_an_unknown_value_is_shown_once_as_written_and_an_unrelated_env_error_is_confined() -> None:
    result = plan("""\
        on: push
        jobs:
          b:
            runs-on: x
            steps:
              - id: prep
                run: echo "VERSION=$(date +%s)" >> "$GITHUB_OUTPUT"
              - id: meta
                uses: docker/metadata-action@v5
                with:
                  images: ghcr.io/a/b
                  tags: type=raw,value=${{ steps.prep.outputs.VERSION }}
              - run: echo checking
                env:
                  TAGS: ${{ fromJSON(steps.nothing.outputs.json).tags[0] }}
              - uses: docker/build-push-action@v6
                with: {push: true, tags: "${{ steps.meta.outputs.tags }}"}
        """)
    entry = only(result.entries)
    assert entry.image == "ghcr.io/a/b"
    assert [str(tag) for tag in entry.tags] == ["${{ steps.prep.outputs.VERSION }}"]


def test_env_values_are_strings_as_on_a_runner() -> None:
    # `env.X == 'true'` is how workflows test a flag they computed: the runner holds env values as strings.
    result = plan("""\
        on: push
        env:
          ON_MAIN: ${{ github.ref == format('refs/heads/{0}', github.event.repository.default_branch) }}
          RETRIES: 3
        jobs:
          b:
            runs-on: x
            steps:
              - uses: docker/build-push-action@v6
                with:
                  push: ${{ env.ON_MAIN == 'true' }}
                  tags: ghcr.io/acme/x:${{ env.RETRIES == '3' && 'latest' || 'other' }}
        """)
    entry = only(result.entries)
    assert (entry.push, entry.tags) == (True, ("latest",))


def test_a_branch_name_as_tag_stays_a_tag() -> None:
    # `image:${branch}` with a '/' in the branch: an invalid tag (the registry refuses it), never an image name
    # ending in ':feature/x' tagged latest.
    result = plan("""\
        on: push
        jobs:
          b:
            runs-on: x
            steps:
              - uses: docker/build-push-action@v6
                with:
                  push: true
                  tags: ghcr.io/acme/x:feature/probe,localhost:5000/acme/y
        """)
    first, second = result.entries
    assert (first.image, first.tags) == ("ghcr.io/acme/x", ("feature/probe",))
    assert (second.image, second.tags) == ("localhost:5000/acme/y", ("latest",))


def test_another_authors_image_action_is_undecided_and_a_scanner_is_not_a_push() -> None:
    result = plan("""\
        on: push
        jobs:
          b:
            runs-on: x
            steps:
              - uses: int128/kaniko-action@v1
                with: {push: true, tags: ghcr.io/acme/x:1}
              - uses: aquasecurity/trivy-action@0.28.0
                with: {image-ref: ghcr.io/acme/x:1}
              - uses: peter-evans/dockerhub-description@v4
                with: {repository: acme/x}
              - uses: some/container-publisher@v1
                with: {push: false, image: ghcr.io/acme/y}
        """)
    entry = only(result.entries)
    assert entry.uncomputed
    assert (entry.via, entry.push, entry.line) == ("int128/kaniko-action@v1", True, 6)


def test_git_context_with_a_subdirectory() -> None:
    # `{{defaultContext}}:dir` is the commit's Git context at `dir`; a `file:` is then relative to `dir`.
    result = plan("""\
        on: push
        jobs:
          b:
            runs-on: x
            steps:
              - uses: docker/build-push-action@v6
                with: {context: "{{defaultContext}}:services/api", push: true, tags: ghcr.io/acme/api:1}
              - uses: docker/build-push-action@v6
                with: {context: "{{defaultContext}}:services/worker", file: build/Dockerfile, push: true,
                       tags: ghcr.io/acme/worker:1}
              - uses: docker/build-push-action@v6
                with: {context: "{{defaultContext}}", push: true, tags: ghcr.io/acme/root:1}
        """)
    api, worker, root = result.entries
    assert (api.context, api.dockerfile) == ("services/api", "services/api/Dockerfile")
    assert worker.dockerfile == "services/worker/build/Dockerfile"
    assert (root.context, root.dockerfile) == (".", "Dockerfile")


def test_an_undecided_metadata_version_reads_as_written() -> None:
    result = plan("""\
        on: push
        jobs:
          b:
            runs-on: x
            steps:
              - id: meta
                uses: docker/metadata-action@v5
                with:
                  images: ghcr.io/acme/x
                  tags: |
                    type=raw,value={{branch}}-${{ github.run_number }}
                    type=sha
              - uses: docker/build-push-action@v6
                with:
                  push: true
                  tags: ${{ steps.meta.outputs.tags }}
                  build-args: VERSION=${{ steps.meta.outputs.version }}
        """)
    entry = only(result.entries)
    assert str(entry.build_args["VERSION"]) == "${{ steps.meta.outputs.version }}"


def test_a_push_payload_has_no_pull_request() -> None:
    # `!github.event.pull_request.head.repo.fork` guards pushes from forks' pull requests; on a push it is true.
    result = plan("""\
        on: push
        jobs:
          b:
            if: ${{ !github.event.pull_request.head.repo.fork }}
            runs-on: x
            steps:
              - uses: docker/build-push-action@v6
                with: {push: true, tags: "ghcr.io/acme/x:1"}
        """)
    assert only(result.entries).condition is None


def test_outputs_of_an_earlier_job_reach_the_jobs_that_need_it() -> None:
    result = plan("""\
        on: push
        jobs:
          meta:
            runs-on: x
            outputs:
              tags: ${{ steps.meta.outputs.tags }}
              prefix: ${{ steps.p.outputs.prefix }}
              unknown: ${{ steps.p.outputs.later }}
            steps:
              - id: p
                run: |
                  echo "prefix=ghcr.io/${GITHUB_REPOSITORY,,}" >> "$GITHUB_OUTPUT"
                  echo "later=$(date +%s)" >> "$GITHUB_OUTPUT"
              - id: meta
                uses: docker/metadata-action@v5
                with: {images: ghcr.io/acme/api, tags: type=sha}
          build:
            needs: meta
            runs-on: x
            steps:
              - uses: docker/build-push-action@v6
                with:
                  push: true
                  tags: |
                    ${{ needs.meta.outputs.tags }}
                    ${{ needs.meta.outputs.prefix }}/worker:${{ needs.meta.outputs.unknown }}
                  labels: ${{ needs.other.outputs.labels }}
        """)
    api, worker = result.entries
    assert (api.image, api.tags) == ("ghcr.io/acme/api", ("sha-0123456",))
    assert worker.image == "ghcr.io/acme/stream-monitor/worker"
    assert str(worker.tags[0]) == "${{ needs.meta.outputs.unknown }}"  # as written where it is used
    # a labels list only a run knows may hold the revision label: unknown, never "no label"
    assert isinstance(api.labels["org.opencontainers.image.revision"], Unknown)


def test_tags_from_an_unknown_list_are_undecided_not_latest() -> None:
    result = plan("""\
        on: push
        jobs:
          b:
            runs-on: x
            steps:
              - uses: docker/build-push-action@v6
                with: {push: true, tags: "${{ needs.meta.outputs.tags }}"}
        """)
    entry = only(result.entries)
    assert entry.uncomputed
    assert entry.tags == ()
    assert str(entry.image) == "${{ needs.meta.outputs.tags }}"


def test_scripts_build_relative_to_their_working_directory() -> None:
    result = plan("""\
        on: push
        defaults:
          run:
            working-directory: services
        jobs:
          b:
            runs-on: x
            steps:
              - working-directory: services/api
                run: docker buildx build --push -t ghcr.io/acme/api:1 .
              - run: docker buildx build --push -f worker/Dockerfile.w -t ghcr.io/acme/worker:1 worker
              - run: docker buildx build --push -t ghcr.io/acme/root:1 ${{ github.workspace }}
              - working-directory: ${{ github.workspace }}/tools
                run: docker buildx build --push -t ghcr.io/acme/tool:1 -f "$GITHUB_WORKSPACE/Dockerfile.tool" .
        """)
    api, worker, root, tool = result.entries
    assert (api.context, api.dockerfile) == ("services/api", "services/api/Dockerfile")
    assert (worker.context, worker.dockerfile) == ("services/worker", "services/worker/Dockerfile.w")
    assert (root.context, root.dockerfile) == (".", "Dockerfile")
    assert (tool.context, tool.dockerfile) == ("tools", "Dockerfile.tool")


def test_head_commit_is_the_pushed_commit_and_absent_on_dispatch() -> None:
    text = """\
        on: [push, workflow_dispatch]
        jobs:
          b:
            runs-on: x
            steps:
              - uses: docker/build-push-action@v6
                with: {push: true, tags: "ghcr.io/acme/x:sha-${{ github.event.head_commit.id }}"}
        """
    assert only(plan(text).entries).tags == (f"sha-{SHA}",)
    assert only(plan(text, event("workflow_dispatch")).entries).tags == ("sha-",)  # null on a dispatch


def test_an_expression_that_fails_is_shown_as_written_beside_the_known_parts() -> None:
    # GitHub has no toLower(): that one expression is unknown (and noted); the image around it stays known.
    result = plan("on: push\njobs:\n  b:\n    runs-on: x\n    steps:\n      - uses: docker/build-push-action@v6\n"
                  "        with: {tags: 'ghcr.io/acme/x:${{ toLower(github.ref_name) }}', push: true}\n")
    entry = only(result.entries)
    assert entry.image == "ghcr.io/acme/x"
    assert [str(tag) for tag in entry.tags] == ["${{ toLower(github.ref_name) }}"]
    assert "unknown function toLower()" in result.notes[0]


def test_a_script_calling_an_image_build_tool_is_undecided_only_when_nothing_else_publishes() -> None:
    alone = plan("""\
        on: push
        jobs:
          b:
            runs-on: x
            steps:
              - run: make test
              - run: |
                  make docker-build docker-push IMAGE=ghcr.io/acme/x
        """)
    entry = only(alone.entries)
    assert entry.uncomputed
    assert entry.line == 8
    assert entry.via == "run: make docker-build docker-push IMAGE=ghcr.io/acme/x"
    beside = plan("""\
        on: push
        jobs:
          b:
            runs-on: x
            steps:
              - run: ./scripts/release-notes.sh
              - uses: docker/build-push-action@v6
                with: {push: true, tags: "ghcr.io/acme/x:1"}
        """)
    assert not only(beside.entries).uncomputed
