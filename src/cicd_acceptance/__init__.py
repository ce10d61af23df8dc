"""cicd-acceptance: acceptance verification of CI/CD pipelines on GitHub Actions and GHCR."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
