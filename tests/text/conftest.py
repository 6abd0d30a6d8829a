"""The text tests' report: lines a test wants shown after the run, whether it passed or not."""

from __future__ import annotations

import pytest

_REPORT = pytest.StashKey[list[str]]()


@pytest.fixture
def run_report(request: pytest.FixtureRequest) -> list[str]:
    """Lines to show in the terminal summary under "text layer report", even when every test passes."""
    return request.config.stash.setdefault(_REPORT, [])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    lines = config.stash.get(_REPORT, [])
    if lines:
        terminalreporter.section("text layer report")
        for line in lines:
            terminalreporter.write_line(line)
