"""Evidence a human can check: what each criterion concluded and what the live checks observed.

Modules: ``jsonable`` (JSON values with secrets redacted), ``model`` (frozen dataclasses and the versioned JSON form),
``collector`` (pytest reports -> one result per criterion), ``verdict`` (the one-line verdict), ``markdown``
(``evidence.md``), ``bundle`` (assembling and writing the bundle), ``actions`` (GitHub Actions annotations, groups
and job summary), ``execplan`` (ExecPlan progress entries). The pytest side is
``cicd_acceptance.testing.evidence_plugin``; the schema is documented in ``docs/evidence.md``.
"""

from __future__ import annotations

__all__: list[str] = []
