#!/usr/bin/env bash
# Runs the unit tests from anywhere in the checkout.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
echo "running unit tests in $(pwd)"
go test -count=1 ./...
