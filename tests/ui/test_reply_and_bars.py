"""Replies never load resources and open only web links; the timing bar and the level meter."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSize, QUrl
from PySide6.QtGui import QDesktopServices, QTextDocument
from PySide6.QtWidgets import QTextBrowser
from pytestqt.qtbot import QtBot

from desktop_assistant.ui.level_meter import level_from_rms
from desktop_assistant.ui.timing_bar import TimingBar, TimingSegments
from desktop_assistant.ui.turn_view import ReplyBrowser
from tests.ui.window_helpers import write_png

pytestmark = pytest.mark.gui


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URLs handed to the system (its browser or file manager) instead of opening them."""
    urls: list[str] = []

    def open_url(url: QUrl) -> bool:
        urls.append(url.toString())
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", open_url)
    return urls


def test_images_in_a_reply_are_never_loaded(qtbot: QtBot, tmp_path: Path) -> None:
    local = QUrl.fromLocalFile(str(write_png(tmp_path / "secret.png")))
    remote = QUrl("http://example.com/track.png")
    markdown = f"![a]({remote.toString()}) ![b]({local.toString()})"
    plain = QTextBrowser()
    reply = ReplyBrowser()
    qtbot.addWidget(plain)
    qtbot.addWidget(reply)

    plain.setMarkdown(markdown)
    reply.show_markdown(markdown)

    reply.show()
    qtbot.waitExposed(reply)

    image = QTextDocument.ResourceType.ImageResource
    # A stock browser reads the local file (40 x 30): the checks below are ones that can fail.
    assert plain.document().resource(image, local).size() == QSize(40, 30)
    shown = [reply.document().resource(image, url) for url in (local, remote)]
    assert [picture.size() for picture in shown] == [QSize(16, 16), QSize(16, 16)]
    assert reply.loadResource(QTextDocument.ResourceType.StyleSheetResource.value, remote) is None


def test_only_web_links_open_and_only_outside(qtbot: QtBot, opened: list[str]) -> None:
    reply = ReplyBrowser()
    qtbot.addWidget(reply)
    reply.show_markdown("[web](https://example.com/a) and [file](file:///etc/passwd)")

    reply.anchorClicked.emit(QUrl("https://example.com/a"))
    reply.anchorClicked.emit(QUrl("file:///etc/passwd"))

    assert opened == ["https://example.com/a"]
    assert "web and file" in reply.toPlainText()


def test_timing_segments_split_the_turn() -> None:
    timings: dict[str, float | None] = {
        "stt": 300.0,
        "llm_first_token": 500.0,
        "tts_first_chunk": 150.0,
        "first_audio": 1000.0,
        "llm_total": 900.0,
        "total": 2500.0,
    }

    assert TimingSegments.from_timings(timings).parts() == (300.0, 500.0, 200.0, 1500.0)


def test_a_typed_turn_without_audio_still_has_a_bar() -> None:
    timings: dict[str, float | None] = {
        "stt": None,
        "llm_first_token": 400.0,
        "tts_first_chunk": 120.0,
        "first_audio": None,
        "llm_total": None,
        "total": 900.0,
    }

    assert TimingSegments.from_timings(timings).parts() == (0.0, 400.0, 120.0, 380.0)


def test_the_timing_bar_states_its_numbers(qtbot: QtBot) -> None:
    bar = TimingBar({"stt": 312.4, "llm_first_token": None, "total": 2000.0})
    qtbot.addWidget(bar)

    assert "Speech to text: 312 ms" in bar.toolTip()
    assert "First token: n/a" in bar.toolTip()
    assert "Whole turn: 2000 ms" in bar.accessibleDescription()
    assert "\n" not in bar.accessibleDescription()


def test_the_level_meter_uses_a_db_scale() -> None:
    levels = [level_from_rms(rms) for rms in (0.0, 0.0005, 0.001, 0.01, 0.1, 0.5, 1.0)]

    assert levels[:3] == [0.0, 0.0, 0.0]
    assert levels[3] < levels[4] < levels[5]
    assert 0.3 < levels[3] < 0.5
    assert levels[-1] == 1.0
