"""The stall meter sees a frozen GUI thread, and only then."""

from __future__ import annotations

import time

import pytest
from pytestqt.qtbot import QtBot

from desktop_assistant.ui.stall import StallMeter

pytestmark = pytest.mark.gui


def test_a_blocked_gui_thread_is_one_late_tick(qtbot: QtBot) -> None:
    meter = StallMeter()
    meter.start()
    qtbot.waitUntil(lambda: meter.ticks >= 3, timeout=5000)
    time.sleep(0.3)  # the GUI thread frozen on purpose
    ticks = meter.ticks
    qtbot.waitUntil(lambda: meter.ticks > ticks, timeout=5000)
    meter.stop()
    assert meter.worst_ms >= 250
