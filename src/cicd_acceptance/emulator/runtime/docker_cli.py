"""A ``docker`` command for ``run:`` steps: a small stand-in script on the step's PATH that forwards its arguments
over loopback HTTP to the emulator, which performs them against its registry with the job's credentials.

Supported: ``login`` (``-u``, ``-p``/``--password-stdin``), ``build``/``buildx build`` (``-t``, ``-f``,
``--label``, ``--build-arg``, ``--platform``, ``--push``, ``--provenance=false``, ``--output type=image,...``),
``tag``, ``push`` and ``buildx imagetools create -t TAG SOURCE...`` (an index of the sources' manifests, as after
a push by digest; one source that is an index already is copied as it is, digest and all, as buildx does). The
Dockerfile is read as docker/build-push-action's emulation reads it (:mod:`.dockerfile`); a push needs a
``docker login`` to that registry in the same job with a token allowed to write packages. Each job has its own
session key, so a step can only act with its own job's logins; the harness's credentials never reach it. Anything
else exits 1 with "not emulated".
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

from cicd_acceptance.emulator.runtime.build import push_allowed, split_reference
from cicd_acceptance.emulator.runtime.dockerfile import BuildError, read_dockerfile
from cicd_acceptance.emulator.runtime.jobrun import NOT_EMULATED
from cicd_acceptance.emulator.runtime.services import DockerJob
from cicd_acceptance.errors import HarnessError

__all__ = ["DockerService"]

MAX_REQUEST_BYTES = 1 << 20
_INDEX = "application/vnd.oci.image.index.v1+json"



@dataclass
class _Built:
    """An image built in the job (not pushed yet): labels, platforms, and whether buildx adds provenance."""

    labels: dict[str, str]
    platforms: tuple[str, ...]
    attestation: bool = True


@dataclass
class _Session:
    run: DockerJob
    images: dict[str, _Built] = field(default_factory=dict)  # local reference -> built image


class _Failure(Exception):
    pass


class DockerService:
    """The loopback endpoint the stand-in calls; ``url`` once :meth:`start` ran."""

    def __init__(self, serve: Callable[[Any], Any]) -> None:
        self._serve = serve  # (wsgi app) -> a started server with .url
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()
        self._server: Any = None
        self.url = ""

    def start(self) -> str:
        with self._lock:
            if self._server is None:
                self._server = self._serve(self.wsgi)
                self.url = f"{self._server.url}/docker"
            return self.url

    def open(self, run: DockerJob) -> str:
        """A session for one job (its key goes into the job's environment)."""
        key = secrets.token_hex(16)
        with self._lock:
            self._sessions[key] = _Session(run)
        return key

    def close(self, key: str) -> None:
        with self._lock:
            self._sessions.pop(key, None)

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        body = request.get_data()[:MAX_REQUEST_BYTES]
        try:
            payload = json.loads(body)
            with self._lock:
                session = self._sessions.get(str(payload.get("session")))
            if session is None:
                raise _Failure("docker: this job has no docker session (the emulator only serves running jobs)")
            output = self.command(session, [str(arg) for arg in payload.get("argv", [])],
                                  Path(str(payload.get("cwd", "."))), str(payload.get("stdin", "")))
            answer = {"output": output, "status": 0}
        except _Failure as exc:
            answer = {"output": f"{exc}\n", "status": 1}
        except (ValueError, HarnessError) as exc:
            answer = {"output": f"docker: {exc}\n", "status": 1}
        response = Response(json.dumps(answer), content_type="application/json")
        result: Iterable[bytes] = response(environ, start_response)
        return result

    # -- commands -----------------------------------------------------------------------------------------------
    def command(self, session: _Session, argv: list[str], cwd: Path, stdin: str) -> str:
        if argv[:2] == ["buildx", "build"]:
            return self.build(session, argv[2:], cwd)
        if argv[:3] == ["buildx", "imagetools", "create"]:
            return self.imagetools(session, argv[3:])
        if argv[:1] == ["build"]:
            return self.build(session, argv[1:], cwd)
        if argv[:1] == ["login"]:
            return self.login(session, argv[1:], stdin)
        if argv[:1] == ["tag"] and len(argv) == 3:
            built = session.images.get(_local(argv[1]))
            if built is None:
                raise _Failure(f"Error response from daemon: No such image: {argv[1]}")
            session.images[_local(argv[2])] = built
            return ""
        if argv[:1] == ["push"] and len(argv) == 2:
            return self.push(session, [argv[1]], session.images.get(_local(argv[1])))
        if argv[:1] in (["version"], ["info"]):
            return "Server: Docker Engine (emulated by cicd-acceptance)\n"
        raise _Failure(f"docker {' '.join(argv[:2])}: not emulated by the emulator's docker stand-in")

    def login(self, session: _Session, args: list[str], stdin: str) -> str:
        options, positional = _options(args, {"-u", "--username", "-p", "--password"}, {"--password-stdin"})
        host = (positional[0] if positional else "docker.io").lower()
        user = options.get("-u") or options.get("--username") or ""
        password = stdin.strip() if "--password-stdin" in options else (options.get("-p") or
                                                                          options.get("--password") or "")
        run = session.run
        if host not in run.services.registry_hosts:
            raise _Failure(f"docker login {host}: not emulated (only {', '.join(sorted(run.services.registry_hosts))})")
        if not user or not password or not run.services.tokens.accepts(password):
            raise _Failure(f'Error response from daemon: Get "https://{host}/v2/": denied: denied')
        run.logins[host] = password
        run.log.masks.add(password)
        return "Login Succeeded\n"

    def build(self, session: _Session, args: list[str], cwd: Path) -> str:
        valued = {"-t", "--tag", "-f", "--file", "--label", "--build-arg", "--platform", "--output", "-o",
                  "--provenance", "--cache-from", "--cache-to", "--target", "--iidfile", "--metadata-file"}
        options, positional = _options(args, valued, {"--push", "--load", "-q", "--quiet", "--pull", "--no-cache"},
                                       repeated={"-t", "--tag", "--label", "--build-arg", "--output", "-o"})
        run = session.run
        if len(positional) != 1:
            raise _Failure("ERROR: docker buildx build requires exactly 1 argument (the context)")
        workspace = run.workspace.resolve()
        context = (cwd / positional[0]).resolve()
        file = options.get("-f") or options.get("--file")
        dockerfile = (cwd / file).resolve() if file else context / "Dockerfile"
        if not context.is_relative_to(workspace) or not dockerfile.is_relative_to(workspace):
            raise _Failure("ERROR: the build context and Dockerfile must be inside the workspace")
        build_args = dict(item.partition("=")[::2] for item in options.get_all("--build-arg"))
        try:
            facts = read_dockerfile(context, dockerfile, build_args, display=file or "Dockerfile")
        except BuildError as exc:
            raise _Failure(f"ERROR: {exc}") from None
        labels = {**facts.labels, **dict(item.partition("=")[::2] for item in options.get_all("--label"))}
        platforms = tuple(p.strip() for p in (options.get("--platform") or "linux/amd64").split(",") if p.strip())
        built = _Built(labels, platforms, (options.get("--provenance") or "true").lower() not in {"false", "0"})
        tags = options.get_all("-t") + options.get_all("--tag")
        for tag in tags:
            session.images[_local(tag)] = built
        outputs = options.get_all("--output") + options.get_all("-o")
        push = "--push" in options or any("push=true" in output or "type=registry" in output for output in outputs)
        lines = [f"#1 building with the emulator's builder ({', '.join(platforms)})", "#1 DONE"]
        if push:
            by_digest = [output for output in outputs if "push-by-digest=true" in output]
            references = list(tags)
            for output in by_digest:
                attrs = dict(part.partition("=")[::2] for part in output.split(","))
                references += [name for name in attrs.get("name", "").split(";") if name]
            lines.append(self.push(session, references, built, by_digest=bool(by_digest)).rstrip("\n"))
        return "\n".join(lines) + "\n"

    def push(self, session: _Session, references: list[str], built: _Built | None, *, by_digest: bool = False) -> str:
        run = session.run
        if built is None:
            raise _Failure(f"An image does not exist locally with the tag: {references[0]}")
        targets: dict[tuple[str, str], list[str]] = {}
        for reference in references:
            host, name, tag = split_reference(reference)
            tags = targets.setdefault((host, name), [])
            if not by_digest and (":" in reference.rpartition("/")[2] or tag == "latest"):
                tags.append(tag)
        lines = []
        for (host, name), tags in targets.items():
            refused = push_allowed(run, host)
            if refused is not None:
                raise _Failure(f"ERROR: failed to push {host}/{name}: {refused}")
            digest = run.services.registry.push_image(name, tags, labels=built.labels, platforms=built.platforms,
                                                      attestation=built.attestation)
            for tag in tags or [""]:
                reference = f"{host}/{name}:{tag}" if tag else f"{host}/{name}"
                lines.append(f"#2 pushing manifest for {reference}@{digest} done")
                run.pushed.append(f"{reference}@{digest}" if not tag else reference)
            lines.append(f"{tags[0] if tags else 'digest'}: digest: {digest}")
        return "\n".join(lines) + "\n"

    def imagetools(self, session: _Session, args: list[str]) -> str:
        options, sources = _options(args, {"-t", "--tag"}, set(), repeated={"-t", "--tag"})
        tags = options.get_all("-t") + options.get_all("--tag")
        if not tags or not sources:
            raise _Failure("ERROR: imagetools create needs -t and at least one source")
        run = session.run
        elsewhere = [tag for tag in tags if split_reference(tag)[0] not in run.services.registry_hosts]
        if elsewhere and len(elsewhere) == len(tags):
            # A copy to another registry (a Docker Hub mirror) is beyond the emulator: named, treated as done.
            run.log.warning(f"docker buildx imagetools create to {', '.join(elsewhere)} is not emulated (the "
                            f"emulator treats it as done)", title=NOT_EMULATED)
            return ""
        entries: list[dict[str, Any]] = []
        repository: tuple[str, str] | None = None
        original: tuple[bytes, str] | None = None
        for source in sources:
            host, name, reference = _source(source)
            repository = repository or (host, name)
            if (host, name) != repository:
                raise _Failure("ERROR: imagetools create: sources from different repositories are not emulated")
            stored = run.services.registry.manifest(name, reference)
            if stored is None:
                raise _Failure(f"ERROR: {source}: not found")
            document = json.loads(stored.body)
            entries += document.get("manifests", []) if "manifests" in document else [
                {"mediaType": stored.media_type, "digest": stored.digest, "size": len(stored.body)}]
            if "manifests" in document:
                original = (stored.body, stored.media_type)
        assert repository is not None
        host, name = repository
        refused = push_allowed(run, host)
        if refused is not None:
            raise _Failure(f"ERROR: failed to push {host}/{name}: {refused}")
        body = json.dumps({"schemaVersion": 2, "mediaType": _INDEX, "manifests": entries}).encode()
        media_type = _INDEX
        if len(sources) == 1 and original is not None:  # (--annotation, which would change it, is not emulated)
            # buildx copies a single index (or manifest list) as it is: the new tag has the source's digest, so
            # retagging `sha-…` as `latest` this way makes latest the same image.
            body, media_type = original
        lines = []
        for tag in tags:
            tag_host, tag_name, tag_value = split_reference(tag)
            if (tag_host, tag_name) != repository:
                raise _Failure("ERROR: imagetools create: a tag in another repository is not emulated")
            stored = run.services.registry.put_manifest(name, tag_value, body, media_type)
            lines.append(f"#1 pushing {host}/{name}:{tag_value}@{stored.digest} done")
            run.pushed.append(f"{host}/{name}:{tag_value}")
        return "\n".join(lines) + "\n"


class _Options(dict[str, str]):
    def __init__(self) -> None:
        super().__init__()
        self.multi: dict[str, list[str]] = {}

    def get_all(self, key: str) -> list[str]:
        return list(self.multi.get(key, []))


def _options(args: list[str], valued: set[str], flags: set[str], *,
             repeated: set[str] | None = None) -> tuple[_Options, list[str]]:
    options, positional = _Options(), []
    index = 0
    while index < len(args):
        arg = args[index]
        key, eq, inline = arg.partition("=")
        if key in valued:
            value = inline if eq else (args[index + 1] if index + 1 < len(args) else "")
            index += 1 if eq else 2
            options[key] = value
            if repeated and key in repeated:
                options.multi.setdefault(key, []).append(value)
            continue
        if arg in flags:
            options[arg] = "true"
        elif arg.startswith("-"):
            raise _Failure(f"docker: option {arg} is not emulated")
        else:
            positional.append(arg)
        index += 1
    return options, positional


def _local(reference: str) -> str:
    return reference if ":" in reference.rpartition("/")[2] else f"{reference}:latest"


def _source(source: str) -> tuple[str, str, str]:
    if "@" in source:
        image, _, digest = source.partition("@")
        host, name, _tag = split_reference(image)
        return host, name, digest
    return split_reference(source)
