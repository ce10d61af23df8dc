"""Which registry may receive the GitHub token: decided by who chose the registry, never by the target.

The repository being accepted is hostile input, and its own ``acceptance.toml`` may name a registry
(``[images] registry = "host:port"``). If the harness answered that host's 401 challenge with the token, a
repository could collect the token of whoever accepts it. So credentials go only to

* a registry the operator chose: ``--registry``, the bundled emulator, or a ``--plan`` file the operator passed
  from outside the target;
* GitHub's own registries: ``ghcr.io``, and on GitHub Enterprise Server the API host or ``containers.<API host>``.

Any other registry is used anonymously, and the reason travels with the client so that an access-denied message
says why no credentials were sent and how to allow them.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

__all__ = ["GITHUB_REGISTRIES", "CredentialPolicy", "registry_credential_policy"]

GITHUB_REGISTRIES = frozenset({"ghcr.io"})


@dataclass(frozen=True)
class CredentialPolicy:
    """Whether the token may go to the registry; ``withheld`` says why not (empty when allowed)."""

    allowed: bool
    withheld: str = ""


def _host(registry: str) -> str:
    return registry.strip().lower()


def _github_registries(api_url: str) -> set[str]:
    try:
        host = httpx.URL(api_url).host.lower()
    except httpx.InvalidURL:
        return set(GITHUB_REGISTRIES)
    if not host or host == "api.github.com":
        return set(GITHUB_REGISTRIES)
    return {*GITHUB_REGISTRIES, host, f"containers.{host}"}


def registry_credential_policy(registry: str, *, api_url: str, operator_chosen: bool,
                               chosen_by: str) -> CredentialPolicy:
    """The token may go to ``registry`` when the operator chose it or it is GitHub's own; else it is withheld.

    ``chosen_by`` names where the registry came from (``acceptance.toml:images.registry``) for the message.
    """
    host = _host(registry)
    if operator_chosen or host in _github_registries(api_url):
        return CredentialPolicy(True)
    return CredentialPolicy(False, (
        f"credentials withheld: registry {host} was chosen by {chosen_by}, a file of the repository being "
        f"accepted, and only a registry the operator names (--registry {host}) or GitHub's own (ghcr.io) "
        f"receives the token"))
