"""``python -m cicd_acceptance.emulator``: see :mod:`cicd_acceptance.emulator.cli`."""

from __future__ import annotations

import sys

from cicd_acceptance.emulator.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
