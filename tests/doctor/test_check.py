"""A check's line and JSON, and a run of probes where one that fails or crashes stops nothing."""

from __future__ import annotations

import logging

import pytest

from desktop_assistant.doctor.check import Check, Probe, run_checks
from desktop_assistant.errors import ModelFileError


def test_lines_mark_passes_and_give_the_fix_of_failures() -> None:
    assert Check.passed("PortAudio", "loaded").line() == "✓ PortAudio: loaded"
    failed = Check.failed("Voices", "none installed", "desktop-assistant models download kokoro-voices-v1.0")
    assert (
        failed.line()
        == "✗ Voices: none installed — fix: desktop-assistant models download kokoro-voices-v1.0"
    )
    assert Check.failed("Images", "not checked").line() == "✗ Images: not checked"
    assert failed.as_json() == {
        "name": "Voices",
        "ok": False,
        "detail": "none installed",
        "fix": "desktop-assistant models download kokoro-voices-v1.0",
    }


def test_a_probe_that_raises_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    def missing() -> Check:
        raise ModelFileError("The Whisper model 'tiny.en' is not installed.", "Download one.")

    def crashing() -> Check:
        raise RuntimeError("boom\nsecond line")

    seen: list[str] = []
    probes = [
        Probe("Speech model", missing),
        Probe("Voice model", crashing),
        Probe("Ollama", lambda: [Check.passed("Ollama", "up"), Check.failed("Images", "text-only", "pull")]),
        Probe("Free disk", lambda: Check.passed("Free disk", "plenty")),
    ]
    with caplog.at_level(logging.ERROR, logger="desktop_assistant.doctor.check"):
        checks = run_checks(probes, lambda check: seen.append(check.line()))
    assert [check.line() for check in checks] == seen
    assert seen == [
        "✗ Speech model: The Whisper model 'tiny.en' is not installed — fix: Download one",
        "✗ Voice model: the check itself failed (RuntimeError: boom) — fix: please report this bug; "
        "the log file has the details",
        "✓ Ollama: up",
        "✗ Images: text-only — fix: pull",
        "✓ Free disk: plenty",
    ]
    assert "RuntimeError: boom" in caplog.text  # the traceback goes to the log, not the terminal


def test_an_interrupt_is_not_a_failed_check() -> None:
    def interrupted() -> Check:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_checks([Probe("Tray", interrupted)])
