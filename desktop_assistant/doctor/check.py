"""One line of ``desktop-assistant doctor``, and the run of its probes, where none can stop the others.

A probe is a named callable that returns its checks (one, or a few that depend on each other). A
probe that raises an ``AssistantError`` becomes a ✗ with the error's message and hint; one that
crashes becomes a ✗ that says so, with the details in the log file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass

from desktop_assistant.errors import AssistantError, first_line

log = logging.getLogger(__name__)

OK_MARK = "✓"
FAIL_MARK = "✗"


@dataclass(frozen=True)
class Check:
    """The result of one check: its ``name``, whether it passed, what was found (``detail``) and, for a
    failure, what to do about it (``fix``: a command or a step, empty where there is nothing to do)."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    @classmethod
    def passed(cls, name: str, detail: str) -> Check:
        """A check that passed."""
        return cls(name, True, detail)

    @classmethod
    def failed(cls, name: str, detail: str, fix: str = "") -> Check:
        """A check that failed, and its fix."""
        return cls(name, False, detail, fix)

    @classmethod
    def of_error(cls, name: str, error: AssistantError) -> Check:
        """The failure ``error`` describes: its message as the detail, its hint as the fix."""
        return cls(name, False, error.message.rstrip("."), error.hint.rstrip("."))

    def line(self) -> str:
        """``✓ Name: detail``, or ``✗ Name: detail — fix: fix``."""
        if self.ok:
            return f"{OK_MARK} {self.name}: {self.detail}"
        text = f"{FAIL_MARK} {self.name}: {self.detail}"
        return f"{text} — fix: {self.fix}" if self.fix else text

    def as_json(self) -> dict[str, object]:
        """``{name, ok, detail, fix}``."""
        return asdict(self)


@dataclass(frozen=True)
class Probe:
    """A check to run: ``run`` returns its result(s); ``name`` labels the ✗ when it raises."""

    name: str
    run: Callable[[], Check | Sequence[Check]]


def run_checks(probes: Iterable[Probe], on_check: Callable[[Check], None] | None = None) -> list[Check]:
    """Run every probe in order, telling ``on_check`` of each check as soon as it is known."""
    checks: list[Check] = []
    for probe in probes:
        for check in _results(probe):
            checks.append(check)
            if on_check is not None:
                on_check(check)
    return checks


def _results(probe: Probe) -> Sequence[Check]:
    try:
        result = probe.run()
    except AssistantError as exc:
        return [Check.of_error(probe.name, exc)]
    # A doctor reports every check it can: one probe's bug must not hide the rest.
    except Exception as exc:
        log.exception("the %s check crashed", probe.name)
        return [
            Check.failed(
                probe.name,
                f"the check itself failed ({type(exc).__name__}: {first_line(exc)})",
                "please report this bug; the log file has the details",
            )
        ]
    return [result] if isinstance(result, Check) else list(result)
