"""An image in another registry than the plan's (a Docker Hub mirror) is not the plan's concern: where docker puts
a reference, and what only a run can tell."""

from __future__ import annotations

import pytest

from cicd_acceptance.workflows.checks.undecided import could_be_in
from cicd_acceptance.workflows.expressions import Unknown


@pytest.mark.parametrize(("image", "registry", "inside"), [
    ("ghcr.io/acme/api", "ghcr.io", True),
    ("GHCR.io/acme/api", "ghcr.io", True),
    ("acme/api", "ghcr.io", False),                      # docker's default registry: Docker Hub
    ("api", "ghcr.io", False),
    ("docker.io/acme/api", "ghcr.io", False),
    ("acme/api", "docker.io", True),
    ("index.docker.io/acme/api", "docker.io", True),
    ("localhost/acme/api", "localhost", True),
    ("127.0.0.1:5000/acme/api", "127.0.0.1:5000", True),
    ("quay.io/acme/api", "ghcr.io", False),
])
def test_docker_reads_the_first_part_as_a_registry_only_when_it_looks_like_a_host(image: str, registry: str,
                                                                                   inside: bool) -> None:
    assert could_be_in(image, registry) is inside


@pytest.mark.parametrize(("image", "inside"), [
    (Unknown("${{ env.REGISTRY }}/acme/api", template=True), True),        # the registry itself is unknown
    (Unknown("${{ steps.meta.outputs.tags }}", template=True), True),
    (Unknown("docker.io/${{ vars.HUB_USER }}/api", template=True), False),  # known host, unknown owner
    (Unknown("ghcr.io/${{ needs.prep.outputs.owner }}/api", template=True), True),
    (Unknown("the images docker/bake-action@v6 pushes", template=True), True),  # named by the bake file
])
def test_an_image_only_a_run_knows_is_elsewhere_only_when_its_host_is_known(image: Unknown, inside: bool) -> None:
    assert could_be_in(image, "ghcr.io") is inside
