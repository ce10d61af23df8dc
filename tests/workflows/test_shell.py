"""Reading docker commands from ``run:`` scripts: what is known is read, what only a run knows stays unknown."""

from __future__ import annotations

from cicd_acceptance.workflows.expressions import Unknown
from cicd_acceptance.workflows.shell import (
    MAX_SCRIPT,
    Bake,
    Build,
    Imagetools,
    Login,
    Publisher,
    Push,
    Tag,
    Value,
    read_script,
)

SHA = "0123456789abcdef0123456789abcdef01234567"


def _read(script: str, env: dict[str, Value] | None = None, tags: tuple[Value, ...] | None = None,
          ) -> list[object]:
    known = {"github.sha": SHA, "github.repository": "acme/shop"}

    def expression(source: str) -> Value:
        return known.get(source.strip(), Unknown(source))

    result = read_script(script, env={"GITHUB_SHA": SHA, **(env or {})}, expression=expression,
                         metadata_tags=lambda: tags)
    return list(result.commands)


def test_build_with_tags_file_context_and_push() -> None:
    (build,) = _read("docker buildx build --push -f docker/Dockerfile.api -t ghcr.io/acme/api:sha-${GITHUB_SHA::7} "
                     "--platform linux/amd64,linux/arm64 --label org.opencontainers.image.revision=$GITHUB_SHA ctx")
    assert isinstance(build, Build)
    assert build.tags == ("ghcr.io/acme/api:sha-0123456",)
    assert (build.file, build.context, build.push) == ("docker/Dockerfile.api", "ctx", True)
    assert build.platforms == ("linux/amd64", "linux/arm64")
    assert build.labels == {"org.opencontainers.image.revision": SHA}


def test_continuations_assignments_lowercase_and_tag_push() -> None:
    commands = _read('IMAGE=ghcr.io/${REPO,,}\ndocker build \\\n  -t "$IMAGE:1" .\n'
                     'docker tag "$IMAGE:1" "$IMAGE:latest"\ndocker push --all-tags "$IMAGE"\n',
                     env={"REPO": "Acme/Shop"})
    build, tag, push = commands
    assert isinstance(build, Build)
    assert build.tags == ("ghcr.io/acme/shop:1",)
    assert build.line == 1
    assert isinstance(tag, Tag)
    assert (tag.source, tag.target) == ("ghcr.io/acme/shop:1", "ghcr.io/acme/shop:latest")
    assert isinstance(push, Push)
    assert push.all_tags
    assert push.line == 4


def test_what_the_shell_computes_is_unknown_and_shown_as_written() -> None:
    (push,) = _read("docker push ghcr.io/acme/api:$(git rev-parse --short HEAD)")
    assert isinstance(push, Push)
    assert push.reference == Unknown("ghcr.io/acme/api:$(git rev-parse --short HEAD)", template=True)
    (push,) = _read("docker push ghcr.io/acme/api:${{ steps.v.outputs.tag }}")
    assert isinstance(push, Push)
    assert str(push.reference) == "ghcr.io/acme/api:${{ steps.v.outputs.tag }}"


def test_login_password_from_a_pipe_or_a_here_string() -> None:
    (login,) = _read('echo "${{ secrets.GITHUB_TOKEN }}" | docker login ghcr.io -u me --password-stdin')
    assert isinstance(login, Login)
    assert login.registry == "ghcr.io"
    assert login.password is not None
    assert "${{ secrets.GITHUB_TOKEN }}" in login.password
    (login,) = _read('docker login ghcr.io --username me --password-stdin <<< "${{ github.token }}"')
    assert isinstance(login, Login)
    assert login.password is not None
    assert "github.token" in login.password


def test_imagetools_tags_from_the_metadata_json_idiom() -> None:
    script = ("docker buildx imagetools create $(jq -cr '.tags | map(\"-t \" + .) | join(\" \")' <<< "
              "\"$DOCKER_METADATA_OUTPUT_JSON\") $(printf 'ghcr.io/acme/api@sha256:%s ' *)")
    (merge,) = _read(script, tags=("ghcr.io/acme/api:latest", "ghcr.io/acme/api:sha-0123456"))
    assert isinstance(merge, Imagetools)
    assert merge.tags == ("ghcr.io/acme/api:latest", "ghcr.io/acme/api:sha-0123456")
    (merge,) = _read(script, tags=None)
    assert isinstance(merge, Imagetools)
    assert all(isinstance(tag, Unknown) for tag in merge.tags)
    assert _read("docker buildx imagetools create --dry-run -t a/b:1 a/b@sha256:00") == []


def test_hostile_scripts_are_bounded_and_never_raise() -> None:
    assert _read('docker build -t "unterminated .') == []
    assert _read("cat <<EOF\ndocker push a/b:1\nEOF\n") == []
    assert _read("docker push a/b:1 # a comment\n" + "x" * (MAX_SCRIPT + 10) + "\ndocker push c/d:1") != []
    assert _read("for s in a b; do docker push x/$s:1; done")[0] == Push(
        0, "for s in a b; do docker push x/$s:1; done", reference=Unknown("x/$s:1", template=True), conditional=True)
    assert _read("echo docker push a/b:1; printf 'docker push'") == []


def test_commands_inside_shell_conditions_are_marked_conditional() -> None:
    script = ('if [[ "$GITHUB_REF" == refs/heads/main ]]; then\n  docker push a/b:latest\nfi\n'
              "docker push a/b:1\n[ -n \"$X\" ] && docker push a/b:2\n")
    inside, plain, chained = _read(script)
    assert inside == Push(1, "docker push a/b:latest", reference="a/b:latest", conditional=True)
    assert plain == Push(3, "docker push a/b:1", reference="a/b:1")
    assert isinstance(chained, Push)
    assert chained.conditional


def test_lowercasing_with_tr() -> None:
    commands = _read("IMAGE=$(echo \"ghcr.io/$OWNER/Shop\" | tr '[:upper:]' '[:lower:]')\n"
                     "NAME=$(printf '%s' ${{ github.repository }} | tr A-Z a-z)\n"
                     "OTHER=$(echo \"$UNSET_X\" | tr '[:upper:]' '[:lower:]')\n"
                     "docker build -t \"$IMAGE:1\" -t \"ghcr.io/$NAME:2\" -t \"$OTHER:3\" .", env={"OWNER": "Acme"})
    (build,) = commands
    assert isinstance(build, Build)
    assert build.tags[:2] == ("ghcr.io/acme/shop:1", "ghcr.io/acme/shop:2")
    assert isinstance(build.tags[2], Unknown)  # what the shell holds at run time stays unknown


def test_tools_that_push_their_own_way() -> None:
    commands = _read("ko build ./cmd/api --bare -t sha-1,latest "
                     "--image-label org.opencontainers.image.revision=$GITHUB_SHA\n"
                     "ko resolve -f config/\n"
                     "ko build --local ./cmd/api\n"
                     "docker compose build && docker compose push\n"
                     "docker-compose push api\n"
                     "goreleaser release --clean\n"
                     "goreleaser release --skip=publish\n"
                     "podman push ghcr.io/acme/shop-api:sha-1\n", env={"KO_DOCKER_REPO": "ghcr.io/acme/shop-api"})
    publishers = [command for command in commands if isinstance(command, Publisher)]
    assert len(publishers) == len(commands) == 6
    ko, resolve, compose, compose_v1, goreleaser, podman = publishers
    assert (ko.image, ko.tags, ko.labels) == ("ghcr.io/acme/shop-api", ("sha-1", "latest"),
                                             {"org.opencontainers.image.revision": SHA})
    assert isinstance(resolve.image, Unknown)
    assert resolve.tool == "ko resolve"
    assert compose.configured
    assert compose.conditional
    assert compose_v1.tool == "docker compose push"
    assert goreleaser.configured
    assert goreleaser.line == 5
    assert (podman.image, podman.tags, podman.configured) == ("ghcr.io/acme/shop-api", ("sha-1",), False)


def test_bake_reads_its_files_targets_overrides_and_environment() -> None:
    commands = _read("export TAG=sha-$GITHUB_SHA\n"
                     "docker buildx bake -f docker-bake.hcl --file=ci.hcl --set '*.platform=linux/arm64' \\\n"
                     "  --set=api.tags=x:1 --push api worker\n"
                     "CHANNEL=nightly docker buildx bake --load\n"
                     "docker buildx bake --print\n"
                     "docker buildx bake --list targets\n"
                     "docker buildx bake --call check\n")
    assert len(commands) == 2
    pushed, loaded = commands
    assert isinstance(pushed, Bake)
    assert isinstance(loaded, Bake)
    assert (pushed.files, pushed.targets, pushed.overrides) == (
        ("docker-bake.hcl", "ci.hcl"), ("api", "worker"), ("*.platform=linux/arm64", "api.tags=x:1"))
    assert (pushed.push, pushed.load, pushed.env["TAG"]) == (True, False, f"sha-{SHA}")
    assert (loaded.files, loaded.targets, loaded.push, loaded.load) == ((), (), False, True)
    assert loaded.env["CHANNEL"] == "nightly"  # the command's own assignment reaches Bake's variables
    assert "CHANNEL" not in pushed.env


def test_pattern_removal_and_replacement() -> None:
    env: dict[str, Value] = {"GITHUB_REF": "refs/heads/feat/x", "PLAT": "linux/arm64", "V": "1.2.3"}
    (build,) = _read('docker build -t "x/${GITHUB_REF#refs/heads/}:${GITHUB_REF##*/}" '
                     '-t "x/${PLAT//\\//-}:${PLAT/linux\\//}-${V%.*}-${V%%.*}" -t "x/${UNSET#a}:${PLAT//[a]/b}" .',
                     env=env)
    assert isinstance(build, Build)
    assert build.tags[:2] == ("x/feat/x:x", "x/linux-arm64:arm64-1.2-1")
    assert isinstance(build.tags[2], Unknown)  # an unset variable, a bracket class: not guessed


def test_an_assignment_that_may_not_happen_is_unknown() -> None:
    # On a feature branch `latest` must not be read as pushed: the `if` decides at run time.
    scripts = ['VERSION=${GITHUB_REF##*/}\nif [ "$VERSION" = "main" ]; then VERSION=latest; fi\n'
               'docker push img:$VERSION',
               'VERSION=dev\n[ "$GITHUB_REF" = "refs/heads/main" ] && VERSION=latest\ndocker push img:$VERSION',
               'TAG=x\ncase "$GITHUB_REF" in\n  refs/heads/main) TAG=latest ;;\nesac\ndocker push img:$TAG',
               'if [ "$GITHUB_REF" = refs/heads/main ]; then\n  echo "TAG=latest" >> "$GITHUB_ENV"\nfi\n'
               'docker push img:${TAG}']
    for script in scripts:
        (push,) = _read(script, env={"GITHUB_REF": "refs/heads/feat/x"})
        assert isinstance(push, Push)
        assert isinstance(push.reference, Unknown), script
    (push,) = _read('for s in api; do\n  IMAGE=img-$s\ndone\nIMAGE=img\ndocker push $IMAGE:1')
    assert isinstance(push, Push)
    assert push.reference == "img:1"  # an assignment after the block is certain again


def test_an_unquoted_substitution_beside_the_context_may_hold_options() -> None:
    (build,) = _read('docker buildx build --push -t "img:1" $( [ "$GITHUB_REF" = refs/heads/main ] && '
                     'echo "-t img:latest" ) .')
    assert isinstance(build, Build)
    assert build.context == "."  # the one known PATH, not the substitution before it
    assert len(build.unknown_words) == 1
    assert isinstance(build.unknown_words[0], Unknown)


def test_the_commit_as_scripts_ask_for_it() -> None:
    (build,) = _read('docker build -t "a:$(git rev-parse HEAD)" -t "a:sha-$(git rev-parse --short=7 HEAD)" '
                     '-t a:`echo $GITHUB_SHA | cut -c1-8` -t "a:$(echo ${GITHUB_SHA} | head -c 7)" '
                     '-t "a:$(git rev-parse --short HEAD)" .')
    assert isinstance(build, Build)
    assert build.tags[:4] == (f"a:{SHA}", f"a:sha-{SHA[:7]}", f"a:{SHA[:8]}", f"a:{SHA[:7]}")
    assert isinstance(build.tags[4], Unknown)  # git lengthens --short as the repository grows
