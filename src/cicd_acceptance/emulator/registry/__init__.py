"""The emulator's OCI registry (GHCR stand-in): token auth, blob and manifest storage, the distribution API."""
