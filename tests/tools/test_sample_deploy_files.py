"""The sample's compose file and Helm chart are real: compose validates, the chart renders to the three services."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from cicd_acceptance.testing.tooling import require_tool
from cicd_acceptance.tools import run_command

SERVICES = {"gateway", "worker", "webhook-demo"}

# Helm templates are Go text/template plus sprig functions; this chart uses only `quote` from sprig, so the
# standard library renders it exactly as `helm template` would (missingkey=error catches a wrong value path).
RENDER_GO = """\
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"text/template"
)

func main() {
	raw, err := os.ReadFile(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var data map[string]interface{}
	if err := json.Unmarshal(raw, &data); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	funcs := template.FuncMap{"quote": func(v interface{}) string { return fmt.Sprintf("%q", fmt.Sprint(v)) }}
	tmpl, err := template.New("chart").Funcs(funcs).Option("missingkey=error").ParseFiles(os.Args[1])
	if err == nil {
		err = tmpl.ExecuteTemplate(os.Stdout, filepath.Base(os.Args[1]), data)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
"""


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_compose_file_validates_and_builds_each_service_from_its_dockerfile(sample: Path) -> None:
    schema_file = resources.files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json")
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    compose = _load(sample / "docker-compose.yaml")
    jsonschema.validators.validator_for(schema)(schema).validate(compose)
    assert set(compose["services"]) == SERVICES
    for name, service in compose["services"].items():
        assert service["build"] == {"context": ".", "dockerfile": f"Dockerfile.{name}"}
        assert (sample / service["build"]["dockerfile"]).is_file()


def test_helm_chart_renders_a_deployment_per_service_from_ghcr(sample: Path, tmp_path: Path) -> None:
    require_tool("go")
    chart = sample / "helm" / "stream-monitor"
    meta = _load(chart / "Chart.yaml")
    assert (meta["apiVersion"], meta["name"]) == ("v2", "stream-monitor")
    values = {"Values": _load(chart / "values.yaml"), "Chart": {"Name": meta["name"]},
              "Release": {"Name": "stream-monitor"}}
    (tmp_path / "values.json").write_text(json.dumps(values), encoding="utf-8")
    (tmp_path / "go.mod").write_text("module render\n\ngo 1.19\n", encoding="utf-8")
    (tmp_path / "main.go").write_text(RENDER_GO, encoding="utf-8")

    result = run_command(["go", "run", ".", str(chart / "templates" / "deployment.yaml"), "values.json"],
                         cwd=tmp_path, timeout=300, env={"GOFLAGS": "-mod=mod", "GOPROXY": "off"})
    assert result.ok, result.stderr
    documents = [d for d in yaml.safe_load_all(result.stdout) if d]

    deployments = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Deployment"}
    assert set(deployments) == {f"stream-monitor-{s}" for s in SERVICES}
    for service in SERVICES:
        container = deployments[f"stream-monitor-{service}"]["spec"]["template"]["spec"]["containers"][0]
        assert container["image"] == f"ghcr.io/example/stream-monitor-{service}:latest"
    services = {d["metadata"]["name"] for d in documents if d["kind"] == "Service"}
    # The worker and webhook-demo reach the gateway by the Service name their values use.
    assert services == {"stream-monitor-gateway", "stream-monitor-webhook-demo"}
    worker_env = deployments["stream-monitor-worker"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "GATEWAY_URL", "value": "http://stream-monitor-gateway:8080"} in worker_env


def _build_stage(dockerfile: Path) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """COPY (source, destination) pairs and RUN commands of the first stage; COPY --from sources of the last."""
    copies: list[tuple[str, str]] = []
    runs: list[str] = []
    final_copies: list[str] = []
    stage = 0
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if words[0] == "FROM":
            stage += 1
        elif words[0] == "COPY" and words[1].startswith("--from="):
            final_copies.append(words[2])
        elif words[0] == "COPY" and stage == 1:
            copies.append((words[1], words[2]))
        elif words[0] == "RUN" and stage == 1:
            runs.append(line.removeprefix("RUN "))
    return copies, runs, final_copies


def test_dockerfile_build_stage_compiles_from_exactly_what_it_copies(sample: Path, tmp_path: Path) -> None:
    # No Docker here: replay the build stage in a folder holding only what it COPYs, so a missing COPY or a
    # wrong ./cmd path fails as it would in `docker build`; /out/ is redirected into the test's folder.
    require_tool("go")
    for service in sorted(SERVICES):
        copies, runs, final_copies = _build_stage(sample / f"Dockerfile.{service}")
        workdir, out = tmp_path / service / "src", tmp_path / service / "out"
        workdir.mkdir(parents=True)
        for source, destination in copies:
            target = workdir / destination
            if (sample / source).is_dir():
                shutil.copytree(sample / source, target)
            else:
                shutil.copy(sample / source, target)
        assert runs, f"Dockerfile.{service} has no RUN in its build stage"
        for command in runs:
            result = run_command(command.replace("/out/", f"{out}/"), cwd=workdir, timeout=300,
                                 env={"GOFLAGS": "-mod=mod", "GOPROXY": "off"})
            assert result.ok, f"Dockerfile.{service}: {command}: {result.stderr}"
        assert final_copies == [f"/out/{service}"]
        assert (out / service).is_file()
