"""OCI registry access: the Bearer-challenge auth flow, a counted read-only client, and its frozen models."""

from __future__ import annotations

from cicd_acceptance.registry.auth import RegistryTokenAuth
from cicd_acceptance.registry.client import RegistryClient
from cicd_acceptance.registry.models import (
    Descriptor,
    ImageInfo,
    ImageRef,
    Manifest,
    ManifestRef,
    PlatformImage,
    RegistryStats,
    parse_image_ref,
)

__all__ = [
    "Descriptor",
    "ImageInfo",
    "ImageRef",
    "Manifest",
    "ManifestRef",
    "PlatformImage",
    "RegistryClient",
    "RegistryStats",
    "RegistryTokenAuth",
    "parse_image_ref",
]
