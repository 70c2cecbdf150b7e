"""Where the tests find data beyond the infra folder. The repository's own (the labelled report cases in
shared/tests/cases, the contract schemas in infra/schemas) are always there and every test runs on them. The house folder
beside the repository (../shared) is optional: where it is present, its example reports are an extra corpus and its
contracts a drift check; where it is absent, the run says so in one line (conftest.py) and those checks are skipped.

This module is the one place in the Python tests that names ../shared.
"""

from __future__ import annotations

from pathlib import Path

import rules as R

OWN_CASES = R.REPO / "shared" / "tests" / "cases"

HOUSE = R.REPO.parent / "shared"
HOUSE_ABSENT = "../shared not found: the extra corpus and drift checks are not run; every in-repo test still runs"


def house(*parts: str) -> Path | None:
    """A folder of the house beside the repository, or None where it is absent."""
    path = HOUSE.joinpath(*parts)
    return path if path.is_dir() else None
