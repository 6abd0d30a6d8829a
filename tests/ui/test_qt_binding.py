"""The Qt binding keeps Python's reference counts: the app emits a signal per streamed token and runs
for days, so a binding that loses a reference per call would crash it in the garbage collector."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QCoreApplication, QObject, Signal
from pytestqt.qtbot import QtBot

pytestmark = pytest.mark.gui

CALLS = 1000


class _Emitter(QObject):
    happened = Signal(object)


def test_emitting_a_signal_keeps_the_reference_counts(qtbot: QtBot) -> None:
    emitter = _Emitter()
    seen: list[object] = []
    emitter.happened.connect(seen.append)
    before = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(CALLS):
        emitter.happened.emit("token")
    after = sys.getrefcount(True), sys.getrefcount(None)
    assert len(seen) == CALLS
    # Other code may take or drop a few references meanwhile; a leak per call would be CALLS.
    assert abs(after[0] - before[0]) < CALLS // 10
    assert abs(after[1] - before[1]) < CALLS // 10


def test_processing_events_keeps_the_reference_counts(qtbot: QtBot) -> None:
    before = sys.getrefcount(None)
    for _ in range(CALLS):
        QCoreApplication.processEvents()
    assert abs(sys.getrefcount(None) - before) < CALLS // 10
