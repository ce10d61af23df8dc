"""Bind every scenario under features/ (bdd_features_base_dir) to a pytest test."""

from __future__ import annotations

from pytest_bdd import scenarios

scenarios(".")
