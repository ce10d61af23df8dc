"""docker/metadata-action tag rules, one table row per case: the tags (bare names, in the action's order) and the
version an event yields. Expected values follow the action's source (src/meta.ts, src/tag.ts, src/flavor.ts,
src/context.ts of v5 and v6), written here with our own repositories, refs and shas."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from cicd_acceptance.workflows.event import BuildEvent
from cicd_acceptance.workflows.expressions import Unknown
from cicd_acceptance.workflows.metadata import MetadataError, MetadataInputs, MetadataLimit, evaluate_metadata

SHA = "4b8f1c2d9e7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c"
HEAD = "9d1e0f3a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e"
BUILT = datetime(2026, 3, 7, 22, 15, 9, 250000, tzinfo=UTC)
COMMITTED = datetime(2026, 3, 6, 8, 5, 0, tzinfo=UTC)


def push(ref: str, **extra: object) -> BuildEvent:
    return BuildEvent("push", ref, SHA, "main", "acme/widget", event_time=BUILT, commit_date=COMMITTED,
                      **extra)  # type: ignore[arg-type]


BRANCH = push("refs/heads/develop")
MAIN = push("refs/heads/main")
FEATURE = push("refs/heads/feature/login-page")
TAG = push("refs/tags/v1.4.2", payload_base_ref="refs/heads/main")
PRE = push("refs/tags/v2.0.0-rc.3")
PR = BuildEvent("pull_request", "refs/pull/42/merge", SHA, "main", "acme/widget", pull_number=42,
                head_ref="fix/typo", head_sha=HEAD, base_ref="main", event_time=BUILT)
PR_TARGET = BuildEvent("pull_request_target", "refs/heads/main", SHA, "main", "acme/widget", pull_number=17,
                       head_ref="contrib", head_sha=HEAD, base_ref="main", event_time=BUILT)
NIGHTLY = BuildEvent("schedule", "refs/heads/main", SHA, "main", "acme/widget", event_time=BUILT)
DISPATCH = BuildEvent("workflow_dispatch", "refs/heads/develop", SHA, "main", "acme/widget", event_time=BUILT)


def tag_push(name: str) -> BuildEvent:
    return push(f"refs/tags/{name}")


@dataclass(frozen=True)
class Case:
    name: str
    event: BuildEvent
    tags: str
    expected: list[str]
    version: str | None = None            # default: the first expected tag, or "" when none
    flavor: str = ""
    env: dict[str, str] = field(default_factory=dict)
    major: int = 5


CASES = [
    # defaults: schedule, ref branch, ref tag, ref pr
    Case("default-branch", BRANCH, "", ["develop"]),
    Case("default-main", MAIN, "", ["main"]),
    Case("default-slash-branch", FEATURE, "", ["feature-login-page"]),
    Case("default-tag", TAG, "", ["v1.4.2", "latest"]),
    Case("default-prerelease-tag", PRE, "", ["v2.0.0-rc.3", "latest"]),
    Case("default-pr", PR, "", ["pr-42"]),
    Case("default-pr-target", PR_TARGET, "", ["pr-17"]),
    Case("default-schedule", NIGHTLY, "", ["nightly", "main"]),
    Case("default-dispatch", DISPATCH, "", ["develop"]),
    # semver
    Case("semver-three", TAG, "type=semver,pattern={{version}}\ntype=semver,pattern={{major}}.{{minor}}\n"
         "type=semver,pattern={{major}}", ["1.4.2", "1.4", "1", "latest"]),
    Case("semver-prerelease-collapses", PRE, "type=semver,pattern={{version}}\n"
         "type=semver,pattern={{major}}.{{minor}}", ["2.0.0-rc.3"]),
    Case("semver-prerelease-raw", PRE, "type=semver,pattern={{raw}}\ntype=semver,pattern={{version}}",
         ["v2.0.0-rc.3", "2.0.0-rc.3"]),
    Case("semver-prerelease-raw-spaced", PRE, "type=semver,pattern={{ raw }}", ["v2.0.0-rc.3"]),
    Case("semver-not-on-branch", BRANCH, "type=semver,pattern={{version}}\ntype=ref,event=branch", ["develop"]),
    Case("semver-invalid-tag-falls-through", tag_push("release-7"),
         "type=semver,pattern={{version}}\ntype=ref,event=tag", ["release-7", "latest"]),
    Case("semver-value-on-branch", BRANCH, "type=semver,pattern={{version}},value=v3.2.1", ["3.2.1", "latest"]),
    Case("semver-build-metadata", tag_push("v3.1.0+build.9"), "type=semver,pattern={{version}}\n"
         "type=semver,pattern={{raw}}", ["3.1.0", "v3.1.0-build.9", "latest"]),
    Case("semver-major-zero", tag_push("v0.9.1"), "type=semver,pattern=v{{major}}", ["v0", "latest"]),
    Case("semver-leading-zero-invalid", tag_push("v01.2.3"), "type=semver,pattern={{version}}", []),
    Case("semver-two-parts-invalid", tag_push("1.2"), "type=semver,pattern={{version}}", []),
    Case("semver-prerelease-decides-latest", PRE, "type=semver,pattern={{version}}\ntype=ref,event=tag",
         ["2.0.0-rc.3", "v2.0.0-rc.3"]),
    Case("semver-slash-tag-v6", tag_push("api/v1.0.0"), "type=semver,pattern={{version}},match=v(.*)",
         ["1.0.0", "latest"], major=6),
    Case("semver-slash-tag-invalid", tag_push("api/v1.0.0"), "type=semver,pattern={{version}}", []),
    Case("semver-match-ignored-in-v5", tag_push("api/v1.0.0"), "type=semver,pattern={{version}},match=v(.*)", []),
    Case("semver-match-group-v6", tag_push("gateway-v4.5.6"), "type=semver,pattern={{major}},match=v(\\d.*)",
         ["4", "latest"], major=6),
    Case("semver-prerelease-pattern-ignored", PRE, "type=semver,pattern={{raw}}-{{prerelease}}", ["2.0.0-rc.3"]),
    Case("semver-build-field", tag_push("v3.1.0+build.9"), "type=semver,pattern={{major}}-{{build}}",
         ["3-build-9", "latest"]),
    # pep440
    Case("pep440-final", tag_push("v2.5.0"), "type=pep440,pattern={{version}}\n"
         "type=pep440,pattern={{major}}.{{minor}}", ["2.5.0", "2.5", "latest"]),
    Case("pep440-rc", tag_push("2.5.0rc1"), "type=pep440,pattern={{major}}.{{minor}}", ["2.5.0rc1"]),
    Case("pep440-post", tag_push("2.5.0post3"), "type=pep440,pattern={{major}}.{{minor}}", ["2.5.0.post3"]),
    Case("pep440-dev", tag_push("3.0dev2"), "type=pep440,pattern={{version}}", ["3.0.dev2"]),
    Case("pep440-beta-spelling", tag_push("2.5.0beta4"), "type=pep440,pattern={{version}}", ["2.5.0b4"]),
    Case("pep440-raw", tag_push("v2.5.0rc1"), "type=pep440,pattern={{raw}}", ["v2.5.0rc1"]),
    Case("pep440-epoch-and-short", tag_push("1!4.2"), "type=pep440,pattern={{major}}.{{minor}}.{{patch}}",
         ["4.2.0", "latest"]),
    Case("pep440-invalid", tag_push("four"), "type=pep440,pattern={{version}}", []),
    # match
    Case("match-group", TAG, "type=match,pattern=v(\\d+\\.\\d+),group=1", ["1.4", "latest"]),
    Case("match-whole", tag_push("build-20251130-b"), "type=match,pattern=\\d+", ["20251130", "latest"]),
    Case("match-missing-group-falls-through", TAG, "type=match,pattern=v(.*),group=2\ntype=ref,event=tag",
         ["v1.4.2", "latest"]),
    Case("match-slashed-flags", TAG, "type=match,pattern=/V(\\d+)/i,group=1", ["1", "latest"]),
    Case("match-named-backreference", BRANCH, "type=match,pattern=(?<n>\\d)\\.\\k<n>,value=7.7.1",
         ["7.7", "latest"]),
    Case("match-value-on-branch", BRANCH, "type=match,pattern=v(\\d+),group=1,value=release/v5.0", ["5", "latest"]),
    Case("match-ascii-digits-only", BRANCH, "type=match,pattern=\\d+,value=v\u0661\u0662", []),
    Case("match-global-flag", BRANCH, "type=match,pattern=/\\d+/g,group=1,value=r12-b34", ["34", "latest"]),
    Case("match-unset-group", BRANCH, "type=match,pattern=(x)?v(\\d),group=1,value=v9", []),
    Case("match-group-not-canonical", BRANCH, "type=match,pattern=v(\\d),group=01,value=v9", []),
    Case("match-not-on-branch", BRANCH, "type=match,pattern=v(.*),group=1", []),
    # sha
    Case("sha-short", BRANCH, "type=sha", ["sha-4b8f1c2"]),
    Case("sha-long", BRANCH, "type=sha,format=long", [f"sha-{SHA}"]),
    Case("sha-length-env", BRANCH, "type=sha", ["sha-4b8f1c2d9e7a"], env={"DOCKER_METADATA_SHORT_SHA_LENGTH": "12"}),
    Case("sha-length-beyond", BRANCH, "type=sha", [f"sha-{SHA}"], env={"DOCKER_METADATA_SHORT_SHA_LENGTH": "99"}),
    Case("sha-no-prefix", BRANCH, "type=sha,prefix=", ["4b8f1c2"]),
    Case("sha-none", BuildEvent("push", "refs/heads/develop", "", "main", "acme/widget"), "type=sha", []),
    Case("sha-pr-head", PR, "type=sha", ["sha-9d1e0f3"], env={"DOCKER_METADATA_PR_HEAD_SHA": "true"}),
    Case("sha-pr-merge-commit", PR, "type=sha", ["sha-4b8f1c2"]),
    Case("sha-head-env-ignored-on-push", BRANCH, "type=sha", ["sha-4b8f1c2"],
         env={"DOCKER_METADATA_PR_HEAD_SHA": "true"}),
    Case("global-sha-length", BRANCH, "type=raw,value=b-{{sha}}", ["b-4b8f1"],
         env={"DOCKER_METADATA_SHORT_SHA_LENGTH": "5"}),
    # edge
    Case("edge-default-branch", MAIN, "type=edge", ["edge"]),
    Case("edge-other-branch", BRANCH, "type=edge", []),
    Case("edge-named-branch", BRANCH, "type=edge,branch=develop\ntype=sha", ["edge", "sha-4b8f1c2"]),
    Case("edge-not-on-tag", TAG, "type=edge", []),
    # schedule
    Case("schedule-date", NIGHTLY, "type=schedule,pattern={{date 'YYYYMMDD'}}", ["20260307"]),
    Case("schedule-date-zone", NIGHTLY, "type=schedule,pattern={{date 'YYYYMMDD-HHmm' tz='Asia/Tokyo'}}",
         ["20260308-0715"]),
    Case("schedule-sees-dates-only", NIGHTLY, "type=schedule,pattern=nightly-{{branch}}", ["nightly-"]),
    Case("schedule-not-on-push", MAIN, "type=schedule\ntype=ref,event=branch", ["main"]),
    # global expressions
    Case("latest-on-default-branch", MAIN, "type=raw,value=latest,enable={{is_default_branch}}", ["latest"],
         version="latest"),
    Case("latest-not-on-other-branch", BRANCH, "type=raw,value=latest,enable={{is_default_branch}}", []),
    Case("not-default-branch", BRANCH, "type=raw,value=preview,enable={{is_not_default_branch}}", ["preview"]),
    Case("pr-target-is-not-default", PR_TARGET, "type=raw,value=x,enable={{is_default_branch}}\ntype=ref,event=pr",
         ["pr-17"]),
    Case("schedule-is-default", NIGHTLY, "type=raw,value=nb,enable={{is_default_branch}}", ["nb"]),
    Case("tag-is-not-default", TAG, "type=raw,value=nb,enable={{is_default_branch}}", []),
    Case("base-ref-pr", PR, "type=raw,value=into-{{base_ref}}", ["into-main"]),
    Case("base-ref-tag-push", TAG, "type=raw,value=from-{{base_ref}}", ["from-main"]),
    Case("base-ref-release", BuildEvent("release", "refs/tags/v1.4.2", SHA, "main", "acme/widget"),
         "type=ref,event=tag\ntype=raw,value=from-{{base_ref}}", ["v1.4.2", "from-", "latest"]),
    Case("base-ref-branch-push", BRANCH, "type=raw,value=from-{{base_ref}}", ["from-"]),
    Case("branch-and-tag-globals", BRANCH, "type=raw,value={{branch}}-{{tag}}x", ["develop-x"]),
    Case("commit-date", BRANCH, "type=raw,value={{commit_date 'YYYY.MM.DD'}}", ["2026.03.06"]),
    Case("commit-date-default-format", BRANCH, "type=raw,value={{commit_date YYYY-MM-DD}}", ["2026-03-06T08-05-00Z"]),
    Case("date-default-format-zone", BRANCH, "type=raw,value={{date tz='Europe/Paris'}}",
         ["2026-03-07T23-15-09-01-00"]),
    Case("date-words", BRANCH, "type=raw,value={{date 'dddd Do MMMM'}}", ["Saturday-7th-March"]),
    Case("handlebars-escapes", push("refs/heads/a&b"), "type=raw,value={{branch}}", ["a-amp-b"]),
    Case("empty-value-dropped", BRANCH, "type=raw,value={{tag}}\ntype=ref,event=branch", ["develop"]),
    Case("prefix-expression", BRANCH, "type=sha,prefix={{branch}}-", ["develop-4b8f1c2"]),
    # ref
    Case("ref-tag-with-slash", tag_push("release/2024"), "type=ref,event=tag", ["release-2024", "latest"]),
    Case("ref-pr-keeps-own-prefix", PR, "type=ref,event=pr", ["pr-42"], flavor="prefix=x-"),
    Case("ref-pr-head-ref", BuildEvent("pull_request", "refs/pull/8/head", SHA, "main", "acme/widget"),
         "type=ref,event=pr", ["pr-8-head"]),
    # raw, bare values, sanitizing
    Case("bare-value", BRANCH, "stable", ["stable"]),
    Case("raw-bare-field", BRANCH, "type=raw,stable", ["stable"]),
    Case("sanitize", BRANCH, "type=raw,value=feat@x/1", ["feat-x-1"]),
    Case("v5-infix-comment", BRANCH, "type=raw,value=a#b", ["a"]),
    Case("v6-no-infix-comment", BRANCH, "type=raw,value=a#b", ["a-b"], major=6),
    Case("comment-lines", BRANCH, "# the branch\ntype=ref,event=branch\n  # done", ["develop"]),
    Case("quoted-field-loses-its-quotes", BRANCH, 'type=raw,"value=a,b"', ["b"]),
    Case("quoted-pattern", TAG, 'type=match,"pattern=v(\\d+)\\.(\\d+)",group=2', ["4", "latest"]),
    # flavor, priority, de-duplication
    Case("flavor-prefix-suffix", TAG, "type=semver,pattern={{version}}", ["app-1.4.2-alpine", "latest"],
         flavor="prefix=app-\nsuffix=-alpine"),
    Case("flavor-suffix-on-latest", TAG, "type=semver,pattern={{version}}", ["1.4.2-alpine", "latest-alpine"],
         flavor="suffix=-alpine,onlatest=true"),
    Case("flavor-prefix-on-latest", TAG, "type=semver,pattern={{version}}", ["v-1.4.2", "v-latest"],
         flavor="prefix=v-,onlatest=true"),
    Case("flavor-latest-false", TAG, "type=ref,event=tag", ["v1.4.2"], flavor="latest=false"),
    Case("flavor-latest-true", BRANCH, "type=ref,event=branch", ["develop", "latest"], flavor="latest=true"),
    Case("flavor-entry-prefix-wins", BRANCH, "type=ref,event=branch,prefix=b-", ["b-develop"], flavor="prefix=f-"),
    Case("flavor-empty-entry-prefix-wins", BRANCH, "type=ref,event=branch,prefix=", ["develop"], flavor="prefix=f-"),
    Case("priority-attribute", BRANCH, "type=ref,event=branch\ntype=sha,priority=1100",
         ["sha-4b8f1c2", "develop"]),
    Case("priority-defaults", TAG, "type=sha\ntype=raw,value=stable\ntype=semver,pattern={{version}}",
         ["1.4.2", "stable", "sha-4b8f1c2", "latest"]),
    Case("priority-equal-keeps-order", BRANCH, "type=raw,value=b\ntype=raw,value=a", ["b", "a"]),
    Case("dedupe", BRANCH, "type=raw,value=develop\ntype=ref,event=branch", ["develop"]),
    Case("raw-latest-and-auto-latest", TAG, "type=ref,event=tag\ntype=raw,value=latest",
         ["v1.4.2", "latest", "latest"]),
    Case("first-producer-decides-latest", TAG, "type=raw,value=pinned,priority=2000\ntype=ref,event=tag",
         ["pinned", "v1.4.2"]),
    Case("none", BRANCH, "type=ref,event=tag\ntype=ref,event=pr", []),
]


def run(case: Case) -> tuple[list[str], str]:
    inputs = MetadataInputs(tags=case.tags, flavor=case.flavor, major_version=case.major)
    outputs = evaluate_metadata(inputs, case.event, case.env)
    names = [name for name in outputs.tag_names if isinstance(name, str)]
    assert len(names) == len(outputs.tag_names), outputs.tag_names
    assert isinstance(outputs.version, str)
    return names, outputs.version


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_tag_case(case: Case) -> None:
    names, version = run(case)
    assert names == case.expected
    expected_version = case.version if case.version is not None else next(
        (name for name in case.expected if name not in ("latest", "latest-alpine", "v-latest")), "")
    assert version == expected_version


def test_case_names_are_unique() -> None:
    assert len({case.name for case in CASES}) == len(CASES)


FAILING = [
    ("unknown-type", "type=commit"),
    ("type-is-case-sensitive", "type=Semver,pattern={{version}}"),
    ("semver-needs-pattern", "type=semver"),
    ("match-needs-pattern", "type=match,group=1"),
    ("ref-needs-event", "type=ref"),
    ("ref-bad-event", "type=ref,event=branches"),
    ("raw-needs-value", "type=raw,prefix=a"),
    ("sha-bad-format", "type=sha,format=medium"),
    ("match-bad-group", "type=match,pattern=v(.*),group=one"),
    ("enable-not-boolean", "type=raw,value=a,enable=yes"),
    ("enable-capitalised", "type=raw,value=a,enable=True"),
    ("regex-syntax", "type=match,pattern=v(\\d"),
    ("regex-nothing-to-repeat", "type=match,pattern=a**"),
    ("regex-python-only-group", "type=match,pattern=(?P<x>a)"),
    ("regex-bad-flags", "type=match,pattern=/a/x"),
    ("quote-inside-field", 'type=raw,value=a"b'),
    ("unclosed-quote", 'type=raw,"value=ab'),
    ("date-unknown-attribute", "type=raw,value={{date 'YYYY' zone='UTC'}}"),
    ("missing-helper", "type=raw,value={{shout 'x'}}"),
    ("unterminated-mustache", "type=raw,value={{branch"),
]


@pytest.mark.parametrize(("name", "tags"), FAILING, ids=[name for name, _ in FAILING])
def test_the_action_fails(name: str, tags: str) -> None:
    with pytest.raises(MetadataError):
        evaluate_metadata(MetadataInputs(tags=tags), TAG, {})


@pytest.mark.parametrize(("flavor", "env", "images"), [
    ("latest=maybe", {}, "a/b"),
    ("onlatest=yes", {}, "a/b"),
    ("prefix", {}, "a/b"),
    ("colour=blue", {}, "a/b"),
    ("", {"DOCKER_METADATA_SHORT_SHA_LENGTH": "seven"}, "a/b"),
    ("", {"DOCKER_METADATA_SET_OUTPUT_ENV": "maybe"}, "a/b"),
    ("", {}, "name=a/b,enable=maybe"),
    ("", {}, "name=a/b,push=true"),
    ("", {}, "enable=true"),
], ids=["latest", "onlatest", "no-equals", "unknown-key", "sha-length", "output-env", "image-enable", "image-key",
        "image-name"])
def test_the_action_fails_on_flavor_env_images(flavor: str, env: dict[str, str], images: str) -> None:
    with pytest.raises(MetadataError):
        evaluate_metadata(MetadataInputs(images=images, tags="type=sha\ntype=raw,value=b-{{sha}}", flavor=flavor),
                          BRANCH, env)


def test_v6_match_without_a_group_fails() -> None:
    # The action reads the first group of `match=`; without one it fails (v6).
    with pytest.raises(MetadataError, match="no first group"):
        evaluate_metadata(MetadataInputs(tags="type=semver,pattern={{major}},match=\\d.*", major_version=6),
                          tag_push("gateway-v4.5.6"), {})


def test_images_multiply_tags_in_order_and_are_lowercased() -> None:
    inputs = MetadataInputs(images="Acme/Widget\nname=ghcr.io/acme/widget\nname=quay.io/acme/w,enable=false",
                            tags="type=ref,event=tag")
    outputs = evaluate_metadata(inputs, TAG, {})
    assert outputs.tags == ("acme/widget:v1.4.2", "acme/widget:latest", "ghcr.io/acme/widget:v1.4.2",
                            "ghcr.io/acme/widget:latest")
    assert outputs.images == ("acme/widget", "ghcr.io/acme/widget")


def test_old_csv_images_form() -> None:
    outputs = evaluate_metadata(MetadataInputs(images="acme/a,acme/b", tags="type=sha"), BRANCH, {})
    assert outputs.tags == ("acme/a:sha-4b8f1c2", "acme/b:sha-4b8f1c2")


def test_without_images_the_tags_are_bare() -> None:
    outputs = evaluate_metadata(MetadataInputs(tags="type=sha"), BRANCH, {})
    assert outputs.tags == ("sha-4b8f1c2",)


def test_static_unknowns_stay_unknown() -> None:
    static = BuildEvent("pull_request", "refs/pull/5/merge", SHA, "main", "acme/widget")
    outputs = evaluate_metadata(MetadataInputs(
        tags="type=raw,value={{date 'YYYYMMDD'}}\ntype=raw,value=to-{{base_ref}}\n"
             "type=raw,value=${{ inputs.channel }}\ntype=ref,event=pr"), static, {})
    unknown = [name for name in outputs.tag_names if isinstance(name, Unknown)]
    assert len(unknown) == 3
    assert "date 'YYYYMMDD'" in unknown[0].display()
    assert "pull_request.base.ref" in unknown[1].display()
    assert "${{ inputs.channel }}" in unknown[2].display()
    assert "pr-5" in outputs.tag_names
    assert isinstance(outputs.labels["org.opencontainers.image.created"], Unknown)


def test_unknown_enable_makes_a_conditional_tag_and_unknown_latest() -> None:
    outputs = evaluate_metadata(MetadataInputs(
        tags="type=raw,value=edge,enable=${{ github.ref == 'refs/heads/x' }},priority=1000\ntype=ref,event=tag"),
        TAG, {})
    assert isinstance(outputs.tag_names[0], Unknown)
    assert "(if ${{ github.ref == 'refs/heads/x' }})" in outputs.tag_names[0].display()
    assert outputs.tag_names[1] == "v1.4.2"
    assert isinstance(outputs.latest, Unknown)


def test_static_pull_request_target_without_its_number() -> None:
    static = BuildEvent("pull_request_target", "refs/heads/main", SHA, "main", "acme/widget")
    outputs = evaluate_metadata(MetadataInputs(tags="type=ref,event=pr\ntype=ref,event=branch"), static, {})
    assert len(outputs.tag_names) == 1
    assert isinstance(outputs.tag_names[0], Unknown)
    assert outputs.tag_names[0].display() == "pr-${{ github.event.number }}"


@pytest.mark.parametrize("wanted", ["true", "${{ vars.USE_HEAD }}"])
def test_static_pull_request_head_sha_not_known(wanted: str) -> None:
    static = BuildEvent("pull_request", "refs/pull/3/merge", SHA, "main", "acme/widget")
    outputs = evaluate_metadata(MetadataInputs(tags="type=sha"), static, {"DOCKER_METADATA_PR_HEAD_SHA": wanted})
    assert isinstance(outputs.tag_names[0], Unknown)
    assert isinstance(outputs.labels["org.opencontainers.image.revision"], Unknown)


def test_static_flavor_latest_expression_leaves_latest_unknown() -> None:
    outputs = evaluate_metadata(MetadataInputs(tags="type=semver,pattern={{version}}",
                                               flavor="latest=${{ github.ref == 'refs/heads/main' }}"), TAG, {})
    assert outputs.tag_names[0] == "1.4.2"
    assert isinstance(outputs.latest, Unknown)
    assert isinstance(outputs.tag_names[1], Unknown)


def test_static_onlatest_expression() -> None:
    outputs = evaluate_metadata(MetadataInputs(tags="type=ref,event=tag",
                                               flavor="suffix=-slim,onlatest=${{ inputs.slim }}"), TAG, {})
    assert outputs.tag_names[0] == "v1.4.2-slim"
    assert isinstance(outputs.tag_names[1], Unknown)
    assert "latest" in outputs.tag_names[1].display()


def test_static_entry_whose_meaning_is_unknown() -> None:
    outputs = evaluate_metadata(MetadataInputs(tags="type=ref,event=${{ inputs.kind }}\ntype=sha"), BRANCH, {})
    assert isinstance(outputs.tag_names[0], Unknown)
    assert outputs.tag_names[1] == "sha-4b8f1c2"
    assert any("event=${{ inputs.kind }}" in note for note in outputs.notes)


def test_static_image_enable_with_a_comparison() -> None:
    inputs = MetadataInputs(images="name=ghcr.io/acme/w,enable=${{ github.event_name == 'push' }}\nacme/w",
                            tags="type=sha")
    outputs = evaluate_metadata(inputs, BRANCH, {})
    assert isinstance(outputs.tags[0], Unknown)
    assert "(if ${{ github.event_name == 'push' }})" in outputs.tags[0].display()
    assert outputs.tags[1] == "acme/w:sha-4b8f1c2"


def test_static_annotation_levels_and_separator() -> None:
    outputs = evaluate_metadata(MetadataInputs(tags="type=sha", sep_tags="${{ inputs.sep }}"), BRANCH,
                                {"DOCKER_METADATA_ANNOTATIONS_LEVELS": "${{ vars.LEVELS }}"})
    assert all(isinstance(item, Unknown) for item in outputs.annotations)
    assert isinstance(outputs.outputs()["annotations"], Unknown)
    assert outputs.outputs()["tags"] == "sha-4b8f1c2"
    two = evaluate_metadata(MetadataInputs(tags="type=sha\ntype=raw,value=x", sep_tags="${{ inputs.sep }}"),
                            BRANCH, {})
    assert isinstance(two.outputs()["tags"], Unknown)


def test_harness_bounds_are_not_reported_as_the_action_failing() -> None:
    many = "\n".join(f"type=raw,value=t{index}" for index in range(1500))
    with pytest.raises(MetadataLimit):
        evaluate_metadata(MetadataInputs(tags=many), BRANCH, {})
    huge = evaluate_metadata(MetadataInputs(tags="type=match,pattern=" + "a" * 3000 + ",value=x"), BRANCH, {})
    assert isinstance(huge.tag_names[0], Unknown)
    assert any("longer than" in note for note in huge.notes)
