"""Says in one line, at the end of every run, when the house folder beside the repository is absent (see corpus.py)."""

from __future__ import annotations

import corpus


def pytest_terminal_summary(terminalreporter):
    if not corpus.HOUSE.is_dir():
        terminalreporter.write_line(corpus.HOUSE_ABSENT)
