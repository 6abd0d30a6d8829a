"""The conversation window on Qt's offscreen platform: what the user sees and what it emits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QKeyEvent, QTextCharFormat
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from desktop_assistant.core.events import ModelChosen, ReplyDelta, State, StateChanged, TranscriptReady
from desktop_assistant.ui.main_window import MainWindow
from desktop_assistant.ui.status_line import FLASH_MS
from desktop_assistant.ui.turn_view import TurnView
from tests.ui.window_helpers import drop_files, ended, write_png

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[MainWindow]:
    """A shown, ready window; images are downscaled to 512 px."""
    win = MainWindow(max_image_side=512)
    qtbot.addWidget(win)
    win.set_ready(True)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=2000)
    yield win


def _turn(window: MainWindow, turn_id: str) -> TurnView:
    view = window.transcript.turn(turn_id)
    assert view is not None
    return view


def _formats(window: MainWindow, turn_id: str) -> dict[str, QTextCharFormat]:
    """Each text fragment of the reply with its character format."""
    found: dict[str, QTextCharFormat] = {}
    block = _turn(window, turn_id).reply.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            found[fragment.text()] = fragment.charFormat()
            it += 1
        block = block.next()
    return found


def _has_list(window: MainWindow, turn_id: str) -> bool:
    block = _turn(window, turn_id).reply.document().begin()
    while block.isValid():
        if block.textList() is not None:
            return True
        block = block.next()
    return False


def test_reply_streams_as_plain_text_then_renders_as_markdown(window: MainWindow) -> None:
    window.apply(TranscriptReady("t1", "Give me a list"))
    window.apply(ReplyDelta("t1", "Here is **bold**"))
    window.apply(ReplyDelta("t1", ":\n\n- one\n- two"))

    view = _turn(window, "t1")
    assert view.question.text() == "Give me a list"
    assert view.reply.toPlainText() == "Here is **bold**:\n\n- one\n- two"
    assert not _has_list(window, "t1")

    window.apply(ended("t1", reply="Here is **bold**:\n\n- one\n- two"))

    assert "**" not in view.reply.toPlainText()
    assert _formats(window, "t1")["bold"].fontWeight() >= QFont.Weight.Bold.value
    assert _has_list(window, "t1")


def test_the_model_that_answers_is_named_while_it_speaks_and_under_its_reply(window: MainWindow) -> None:
    window.set_ready(True)
    window.apply(StateChanged("t1", State.THINKING))
    window.apply(ModelChosen("t1", "SmolLM2-135M-Instruct.Q4_1", "builtin"))
    assert window.status_line._state.text() == "Thinking… (SmolLM2-135M-Instruct.Q4_1, built in)"
    window.apply(StateChanged("t1", State.SPEAKING))
    assert window.status_line._state.text() == "Speaking… (SmolLM2-135M-Instruct.Q4_1, built in)"
    window.apply(ended("t1", model="SmolLM2-135M-Instruct.Q4_1", backend="builtin"))
    window.apply(StateChanged("t1", State.IDLE))
    assert window.status_line._state.text() == "Ready"
    assert "Answered by SmolLM2-135M-Instruct.Q4_1, built in" in window.transcript.as_text()
    # The next turn's model is its own: Ollama's, named as such.
    window.apply(StateChanged("t2", State.THINKING))
    assert window.status_line._state.text() == "Thinking…"
    window.apply(ModelChosen("t2", "gemma3:4b", "ollama"))
    assert window.status_line._state.text() == "Thinking… (gemma3:4b on Ollama)"


def test_raw_html_in_a_reply_stays_text(window: MainWindow) -> None:
    window.apply(TranscriptReady("t1", "html?"))
    window.apply(ended("t1", reply="a <b>tag</b>"))

    assert "<b>tag</b>" in _turn(window, "t1").reply.toPlainText()


def test_a_dropped_png_file_becomes_a_pending_thumbnail(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    big = write_png(tmp_path / "shot.png", size=(1024, 600))

    assert drop_files(window, big) == (True, True)
    qtbot.waitUntil(lambda: len(window.pending_images()) == 1, timeout=5000)
    image = window.pending_images()[0]
    assert (image.width, image.height, image.mime) == (512, 300, "image/png")
    remove = window.tray.remove_buttons()
    assert [button.accessibleName() for button in remove] == ["Remove image shot.png"]


@pytest.mark.parametrize("focus", ["compose", "settings_button"])
def test_a_pasted_screenshot_becomes_a_pending_thumbnail(
    window: MainWindow, qtbot: QtBot, focus: str
) -> None:
    screenshot = QImage(80, 60, QImage.Format.Format_RGB32)
    screenshot.fill(QColor(20, 120, 220))
    QGuiApplication.clipboard().setImage(screenshot)
    target: QWidget = getattr(window, focus)
    target.setFocus()
    qtbot.waitUntil(target.hasFocus, timeout=2000)

    QTest.keyClick(target, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)

    qtbot.waitUntil(lambda: len(window.pending_images()) == 1, timeout=5000)
    assert (window.pending_images()[0].width, window.pending_images()[0].height) == (80, 60)
    assert window.compose.toPlainText() == ""
    assert window.tray.remove_buttons()[0].accessibleName() == "Remove image pasted image 1"


def test_pasting_text_outside_the_box_puts_it_in_the_box(window: MainWindow, qtbot: QtBot) -> None:
    QGuiApplication.clipboard().setText("some words")
    window.settings_button.setFocus()
    qtbot.waitUntil(window.settings_button.hasFocus, timeout=2000)

    QTest.keyClick(window.settings_button, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)

    assert window.compose.toPlainText() == "some words"
    assert window.pending_images() == ()


def test_removing_a_thumbnail_drops_that_image(window: MainWindow, qtbot: QtBot, tmp_path: Path) -> None:
    drop_files(window, write_png(tmp_path / "a.png", colour=(255, 0, 0)))
    qtbot.waitUntil(lambda: len(window.pending_images()) == 1, timeout=5000)
    drop_files(window, write_png(tmp_path / "b.png", colour=(0, 0, 255)))
    qtbot.waitUntil(lambda: len(window.pending_images()) == 2, timeout=5000)

    QTest.mouseClick(window.tray.remove_buttons()[0], Qt.MouseButton.LeftButton)

    assert [image.source for image in window.pending_images()] == [str(tmp_path / "b.png")]
    assert [b.accessibleName() for b in window.tray.remove_buttons()] == ["Remove image b.png"]


def test_a_corrupt_file_shows_one_error_line_and_nothing_else(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n this is not really a png")

    drop_files(window, bad)

    qtbot.waitUntil(window.status_line.is_error, timeout=5000)
    line = window.status_line.message()
    assert "bad.png" in line
    assert "\n" not in line
    assert window.pending_images() == ()
    assert window.transcript.turn("any") is None


def test_the_file_picker_adds_the_chosen_files(window: MainWindow, qtbot: QtBot, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QFileDialog

    picked = write_png(tmp_path / "picked.png")
    QTest.mouseClick(window.tray.add_button, Qt.MouseButton.LeftButton)
    dialog = window.tray.findChild(QFileDialog)
    assert dialog is not None

    dialog.filesSelected.emit([str(picked)])
    dialog.reject()

    qtbot.waitUntil(lambda: len(window.pending_images()) == 1, timeout=5000)
    assert window.pending_images()[0].source == str(picked)


def test_a_failed_turn_shows_its_error_in_the_turn_and_the_status_line(window: MainWindow) -> None:
    error = "Ollama is not running. Start it with 'ollama serve'."
    window.apply(StateChanged("t1", State.RECORDING))
    window.apply(TranscriptReady("t1", "hello"))
    window.apply(ended("t1", reply="", error=error))
    window.apply(StateChanged("t1", State.IDLE))

    assert error in _turn(window, "t1").note.text()
    assert _turn(window, "t1").reply.isHidden()
    assert window.status_line.message() == error
    assert window.status_line.is_error()

    window.apply(StateChanged("t2", State.RECORDING))

    assert window.status_line.message() == ""


def test_an_error_line_can_be_dismissed(window: MainWindow, qtbot: QtBot) -> None:
    window.show_status("No microphone found. Plug one in.", error=True)
    assert window.status_line.dismiss_button.isVisible()

    QTest.mouseClick(window.status_line.dismiss_button, Qt.MouseButton.LeftButton)

    assert window.status_line.message() == ""
    assert not window.status_line.is_error()


def test_interrupted_and_incomplete_turns_are_marked(window: MainWindow) -> None:
    window.apply(TranscriptReady("t1", "tell me"))
    window.apply(ended("t1", reply="Sure, the answer is long", heard="Sure, the", interrupted=True))
    window.apply(TranscriptReady("t2", "again"))
    window.apply(ended("t2", reply="Half a", incomplete=True, error="The reply was cut off. Try again."))

    assert "Interrupted — heard: “Sure, the”" in _turn(window, "t1").note.text()
    assert "incomplete" in _turn(window, "t2").note.text()


def test_a_blocked_reply_says_it_was_not_read_aloud(window: MainWindow) -> None:
    window.apply(TranscriptReady("t1", "my card?"))
    window.apply(ended("t1", reply="It is secret.", spoken="", heard="", blocked=True))

    assert "blocked phrase" in _turn(window, "t1").note.text()


def test_the_conversation_is_copied_as_shown(window: MainWindow, qtbot: QtBot) -> None:
    window.apply(TranscriptReady("t1", "What is **this**?"))
    window.apply(ReplyDelta("t1", "A **bold** answer."))
    window.apply(ended("t1", transcript="What is **this**?", reply="A **bold** answer."))
    window.apply(TranscriptReady("t2", "And then?"))
    window.apply(ended("t2", transcript="And then?", reply="Half", incomplete=True))

    QTest.keyClick(
        window, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )

    assert QGuiApplication.clipboard().text() == (
        "You: What is **this**?\nAssistant: A bold answer.\n\n"
        "You: And then?\nAssistant: Half\nThe reply is incomplete: it was cut off."
    )
    assert window.status_line.message() == "Conversation copied to the clipboard."
    qtbot.waitUntil(lambda: window.status_line.message() == "", timeout=FLASH_MS + 2000)


def test_a_dropped_tap_shows_nothing(window: MainWindow) -> None:
    window.apply(StateChanged("t1", State.RECORDING))
    window.apply(ended("t1", transcript="", reply="", spoken="", heard="", interrupted=True))
    window.apply(StateChanged("t1", State.IDLE))

    assert window.transcript.turn("t1") is None
    assert window.transcript.findChildren(TurnView) == []


def test_enter_sends_the_typed_question_with_the_images(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    drop_files(window, write_png(tmp_path / "a.png"))
    qtbot.waitUntil(lambda: len(window.pending_images()) == 1, timeout=5000)
    asked: list[tuple[str, object, str]] = []
    window.ask_typed.connect(lambda text, images: asked.append((text, images, window.compose.toPlainText())))
    window.compose.setFocus()
    QTest.keyClicks(window.compose, "what is")
    QTest.keyClick(window.compose, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClicks(window.compose, "this?")

    assert asked == []
    QTest.keyClick(window.compose, Qt.Key.Key_Return)

    assert asked == [("what is\nthis?", window.pending_images(), "what is\nthis?")]
    assert window.compose.toPlainText() == ""


def test_the_send_button_sends_and_nothing_is_sent_before_ready(window: MainWindow, qtbot: QtBot) -> None:
    asked: list[str] = []
    window.ask_typed.connect(lambda text, images: asked.append(text))
    window.set_ready(False, "Loading models…")
    window.compose.setPlainText("hi")
    QTest.keyClick(window.compose, Qt.Key.Key_Return)

    assert not window.send_button.isEnabled() and not window.talk_button.isEnabled()
    assert window.status_line.message() == "Loading models…"
    assert window.status_line.state() == "Not ready"
    assert asked == []

    window.set_ready(True)
    QTest.mouseClick(window.send_button, Qt.MouseButton.LeftButton)

    assert asked == ["hi"]
    assert window.status_line.message() == ""
    assert window.status_line.state() == "Ready"


def test_the_talk_button_is_held_by_mouse_and_space(window: MainWindow, qtbot: QtBot) -> None:
    seen: list[str] = []
    window.hold_pressed.connect(lambda: seen.append("pressed"))
    window.hold_released.connect(lambda: seen.append("released"))
    button = window.talk_button

    QTest.mousePress(button, Qt.MouseButton.LeftButton)
    QTest.mouseMove(button, QPoint(button.width() + 50, button.height() + 50))
    assert seen == ["pressed"]
    QTest.mouseRelease(button, Qt.MouseButton.LeftButton)
    assert seen == ["pressed", "released"]

    button.setFocus()
    qtbot.waitUntil(button.hasFocus, timeout=2000)
    QTest.keyPress(button, Qt.Key.Key_Space)
    repeat = QKeyEvent(QKeyEvent.Type.KeyPress, Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier, " ", True)
    QApplication.sendEvent(button, repeat)
    QTest.keyRelease(button, Qt.Key.Key_Space)

    assert seen == ["pressed", "released", "pressed", "released"]


def test_stop_button_and_escape_request_a_stop(window: MainWindow, qtbot: QtBot) -> None:
    stops: list[bool] = []
    window.stop_requested.connect(lambda: stops.append(True))
    assert not window.stop_button.isEnabled()

    window.apply(StateChanged("t1", State.THINKING))
    assert window.stop_button.isEnabled()
    QTest.mouseClick(window.stop_button, Qt.MouseButton.LeftButton)
    QTest.keyClick(window.compose, Qt.Key.Key_Escape)

    assert stops == [True, True]


def test_settings_button_and_ctrl_comma_request_settings(window: MainWindow, qtbot: QtBot) -> None:
    with qtbot.waitSignal(window.settings_requested, timeout=1000):
        QTest.mouseClick(window.settings_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(window.settings_requested, timeout=1000):
        QTest.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)


def test_images_leave_the_tray_with_their_turns_transcript(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    drop_files(window, write_png(tmp_path / "a.png"))
    qtbot.waitUntil(lambda: len(window.pending_images()) == 1, timeout=5000)
    images = window.pending_images()

    window.images_sent("tap", images)
    window.apply(StateChanged("tap", State.RECORDING))
    window.apply(ended("tap", transcript="", reply="", interrupted=True))
    assert window.pending_images() == images

    window.images_sent("t2", images)
    window.apply(StateChanged("t2", State.RECORDING))
    assert window.pending_images() == images
    window.apply(TranscriptReady("t2", "what is in it?"))

    assert window.pending_images() == ()
    assert window.tray.remove_buttons() == []
    assert _turn(window, "t2").image_count() == 1


def test_a_typed_turns_images_leave_even_when_its_transcript_came_first(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    drop_files(window, write_png(tmp_path / "a.png"))
    qtbot.waitUntil(lambda: len(window.pending_images()) == 1, timeout=5000)
    images = window.pending_images()

    window.apply(TranscriptReady("t1", "typed"))
    window.images_sent("t1", images)

    assert window.pending_images() == ()
    assert _turn(window, "t1").image_count() == 1


def test_state_drives_the_status_talk_button_and_level_meter(window: MainWindow, qtbot: QtBot) -> None:
    window.set_level_source(lambda: 0.1)
    meter = window.status_line.meter

    window.apply(StateChanged("t1", State.RECORDING))
    assert window.talk_button.text() == "Listening…"
    qtbot.waitUntil(lambda: meter.value() > 0.5, timeout=2000)

    window.apply(StateChanged("t1", State.TRANSCRIBING))
    assert not meter.is_running()
    assert meter.value() == 0.0
    assert window.talk_button.text() == "Hold to talk"
    assert window.status_line.state() == "Transcribing…"


def test_every_interactive_control_has_an_accessible_name(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    drop_files(window, write_png(tmp_path / "a.png"))
    qtbot.waitUntil(lambda: len(window.pending_images()) == 1, timeout=5000)
    window.apply(TranscriptReady("t1", "q"))
    window.apply(ended("t1", reply="[a link](https://example.com)", timings_ms={"total": 100.0}))
    window.show_status("An error. Fix it.", error=True)

    controls = [w for w in window.findChildren(QWidget) if w.focusPolicy() != Qt.FocusPolicy.NoFocus]
    unnamed = [type(w).__name__ for w in controls if not w.accessibleName()]

    assert len(controls) >= 8
    assert unnamed == []


def test_tab_visits_box_send_talk_stop_then_images(window: MainWindow, qtbot: QtBot, tmp_path: Path) -> None:
    drop_files(window, write_png(tmp_path / "a.png"))
    qtbot.waitUntil(lambda: len(window.pending_images()) == 1, timeout=5000)
    window.apply(StateChanged("t1", State.THINKING))
    window.compose.setFocus()
    qtbot.waitUntil(window.compose.hasFocus, timeout=2000)

    visited: list[QWidget] = [window.compose]
    for _ in range(6):
        QTest.keyClick(visited[-1], Qt.Key.Key_Tab)
        focused = QApplication.focusWidget()
        assert focused is not None
        visited.append(focused)

    assert visited == [
        window.compose,
        window.send_button,
        window.talk_button,
        window.stop_button,
        window.tray.add_button,
        window.tray.remove_buttons()[0],
        window.settings_button,
    ]


def test_closing_hides_when_the_tray_keeps_the_app(window: MainWindow) -> None:
    window.hide_on_close = True
    window.close()
    assert window.isHidden()

    window.hide_on_close = False
    window.show()
    assert window.close()


def test_a_spoken_reply_says_how_soon_it_was_heard(window: MainWindow) -> None:
    window.apply(TranscriptReady("t1", "hello"))
    window.apply(ended("t1", timings_ms={"stt": 300.0, "first_audio": 1234.0, "total": 4000.0}))
    window.apply(TranscriptReady("t2", "typed, muted"))
    window.apply(ended("t2", timings_ms={"llm_first_token": 300.0, "first_audio": None, "total": 900.0}))

    assert _turn(window, "t1").timing_caption.text() == "Spoken 1.2 s after the question"
    assert not _turn(window, "t1").timing_caption.isHidden()
    assert _turn(window, "t2").timing_caption.isHidden()
