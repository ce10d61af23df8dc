"""The registry package's public names are a checked artefact (as httpx's tests/test_exported_members.py)."""

from __future__ import annotations

import cicd_acceptance.live.images as images
import cicd_acceptance.registry as registry


def test_registry_exports_are_unique_and_resolve() -> None:   # ruff RUF022 keeps their order
    assert len(set(registry.__all__)) == len(registry.__all__)
    assert all(hasattr(registry, name) for name in registry.__all__)
    assert {"RegistryClient", "RegistryTokenAuth", "ImageInfo", "PlatformImage", "parse_image_ref"} <= set(
        registry.__all__)


def test_image_verification_exports() -> None:
    assert len(set(images.__all__)) == len(images.__all__)
    assert all(hasattr(images, name) for name in images.__all__)
