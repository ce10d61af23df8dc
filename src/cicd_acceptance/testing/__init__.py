"""The pytest adapter of cicd-acceptance: plugin, fixtures and helpers. The only package that imports pytest."""
