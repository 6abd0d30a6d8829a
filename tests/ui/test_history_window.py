"""The conversation list and the transcript over a real history store (filled through its write API),
with the controller's fake runtimes: reopening, search, rename, delete, Retry, the off switch, and
writes reported from the engine's writer thread."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from desktop_assistant.app import Context, RuntimeHistory
from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.core.conversation import Conversation, Exchange
from desktop_assistant.core.events import TranscriptReady
from desktop_assistant.llm.base import PreparedImage
from desktop_assistant.store.history import HistoryStore, history_folder
from desktop_assistant.store.history_records import MATCH_END, MATCH_START, TurnEnd
from desktop_assistant.ui.app import system_hotkeys
from desktop_assistant.ui.controller import AppController, AppServices
from desktop_assistant.ui.history_panel import HistoryPanel
from desktop_assistant.ui.main_window import MainWindow
from desktop_assistant.ui.turn_view import TurnView
from tests.config.test_secrets import MemoryKeyring, use_keyring
from tests.store.test_history import ended as ended_as_planned
from tests.ui.test_controller import FakeEngine, FakeRuntime, FakeTurn
from tests.ui.test_settings_dialog import FakeServices
from tests.ui.window_helpers import ended

pytestmark = pytest.mark.gui

_RICH_ROLE = Qt.ItemDataRole.UserRole + 1


def png_image(name: str = "shot.png") -> PreparedImage:
    """A small PNG as the window prepares it."""
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 200)).save(buffer, format="PNG")
    return PreparedImage(buffer.getvalue(), "image/png", 40, 30, name)


def answered(reply: str, **fields: Any) -> TurnEnd:
    """A turn's end: answered, unless ``fields`` say otherwise, with timings for its bar."""
    timings = {"stt": 200.0, "llm_first_token": 300.0, "first_audio": 900.0, "total": 1500.0}
    return ended_as_planned(reply, **{"timings_ms": timings, **fields})


@dataclass
class HistoryEngine(FakeEngine):
    """The controller's fake engine with a conversation to continue, recording each one it is given."""

    conversation: Conversation = field(default_factory=lambda: Conversation.with_persona("p"))
    opened: list[Conversation] = field(default_factory=list)

    def open_conversation(self, conversation: Conversation) -> None:
        self.opened.append(conversation)
        self.conversation = conversation

    def ask_text(
        self, text: str, images: tuple[PreparedImage, ...] = (), source: str = "typed", cues: str = ""
    ) -> FakeTurn:
        self.calls.append(("ask_text", text, images, source, cues))
        turn_id = f"t{len(self.calls)}"
        self.sink(TranscriptReady(turn_id, text))
        return FakeTurn(turn_id)


@dataclass
class HistoryLoader:
    """Opens fake runtimes at once, keeping the ``RuntimeHistory`` each load was given."""

    histories: list[RuntimeHistory | None] = field(default_factory=list)
    engines: list[HistoryEngine] = field(default_factory=list)

    def __call__(
        self, context: Context, sink: Callable[[Any], None], history: RuntimeHistory | None
    ) -> InstantLoad:
        self.histories.append(history)
        engine = HistoryEngine(sink)
        if history is not None and history.conversation_id is not None:
            engine.conversation = Conversation.with_persona("p", conversation_id=history.conversation_id)
        self.engines.append(engine)
        return InstantLoad(engine)


@dataclass
class InstantLoad:
    engine: HistoryEngine

    def run(self) -> FakeRuntime:
        return FakeRuntime(self.engine, [])

    def abort(self) -> None:
        pass


@pytest.fixture
def store(app_paths: AppPaths) -> Iterator[HistoryStore]:
    """The history the app opens, filled here through its write API: three conversations, the last
    written ("shots") newest, with an image, an interrupted turn and a failed one."""
    history = HistoryStore(history_folder(app_paths.data_dir))
    history.begin_turn("old", "o1", "typed", "What is a lighthouse?")
    history.end_turn("o1", answered("A tower with a light."))
    history.begin_turn("mid", "m1", "spoken", "Tell me about penguins")
    history.end_turn("m1", answered("Penguins are flightless birds."))
    history.begin_turn("shots", "s1", "typed", "What is on this screen?", [png_image()])
    history.end_turn("s1", answered("A **terminal** window."))
    history.begin_turn("shots", "s2", "spoken", "Read the error aloud")
    history.end_turn("s2", answered("The build", heard="The build", interrupted=True))
    history.begin_turn(
        "shots", "s3", "spoken", "And now?", [png_image("again.png")], voice=("(spoken quietly)", {})
    )
    history.end_turn("s3", answered("", heard="", error="Ollama is not running"))
    yield history
    history.close()


@pytest.fixture
def loader() -> HistoryLoader:
    return HistoryLoader()


def start_app(
    qtbot: QtBot, app_paths: AppPaths, loader: HistoryLoader
) -> tuple[AppController, MainWindow, HistoryEngine]:
    window = MainWindow(max_image_side=256)
    qtbot.addWidget(window)
    window.show()
    services = AppServices(
        open_runtime=loader, settings_services=lambda c, s: FakeServices(), hotkeys=system_hotkeys
    )
    controller = AppController(Context(app_paths, SettingsStore(app_paths).load()), window, None, services)
    controller.start()
    qtbot.waitUntil(lambda: window.send_button.isEnabled(), timeout=5000)
    return controller, window, loader.engines[-1]


@pytest.fixture
def app(
    qtbot: QtBot, app_paths: AppPaths, store: HistoryStore, loader: HistoryLoader
) -> Iterator[tuple[AppController, MainWindow, HistoryEngine]]:
    with use_keyring(MemoryKeyring()):
        started = start_app(qtbot, app_paths, loader)
        started[1].history.confirm = lambda question: True
        yield started
        started[0].shutdown()


def rows(panel: HistoryPanel) -> list[str]:
    tree = panel.conversations
    return [tree.topLevelItem(n).text(0) for n in range(tree.topLevelItemCount())]


def row_of(panel: HistoryPanel, title: str) -> Any:
    return next(
        panel.conversations.topLevelItem(n)
        for n in range(panel.conversations.topLevelItemCount())
        if panel.conversations.topLevelItem(n).text(0) == title
    )


def views(window: MainWindow) -> list[TurnView]:
    return [view for view in window.transcript.findChildren(TurnView) if view.parent() is not None]


def test_the_list_is_newest_first_and_the_last_conversation_is_reopened(
    app: tuple[AppController, MainWindow, HistoryEngine], loader: HistoryLoader
) -> None:
    _, window, engine = app
    assert rows(window.history) == [
        "What is on this screen?",
        "Tell me about penguins",
        "What is a lighthouse?",
    ]
    assert window.history.current_id() == "shots"
    first, second, third = (window.transcript.turn(turn_id) for turn_id in ("s1", "s2", "s3"))
    assert first is not None and second is not None and third is not None
    assert first.question.text() == "What is on this screen?" and first.image_count() == 1
    assert first.reply.toPlainText() == "A terminal window."  # rendered as Markdown
    assert first.timing_bar is not None and first.timing_caption.text() == "Spoken 0.9 s after the question"
    assert "Interrupted — heard: “The build”" in second.note.text()
    assert "Error: Ollama is not running" in third.note.text() and not third.retry_button.isHidden()
    assert first.retry_button.isHidden()
    history = loader.histories[-1]
    assert history is not None and history.conversation_id == "shots"  # the runtime continues it
    assert engine.opened == []


def test_opening_a_conversation_shows_its_turns_and_the_engine_continues_it(
    qtbot: QtBot, app: tuple[AppController, MainWindow, HistoryEngine]
) -> None:
    _, window, engine = app
    qtbot.mouseClick(
        window.history.conversations.viewport(),
        Qt.MouseButton.LeftButton,
        pos=window.history.conversations.visualItemRect(
            row_of(window.history, "Tell me about penguins")
        ).center(),
    )
    assert window.transcript.turn("s1") is None
    view = window.transcript.turn("m1")
    assert view is not None and view.reply.toPlainText() == "Penguins are flightless birds."
    assert [c.id for c in engine.opened] == ["mid"]
    assert engine.opened[0].exchanges == [
        Exchange("Tell me about penguins", (), "Penguins are flightless birds.")
    ]


def test_new_conversation_clears_the_transcript_and_starts_one(
    qtbot: QtBot, app: tuple[AppController, MainWindow, HistoryEngine]
) -> None:
    _, window, engine = app
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.transcript.turn("s1") is None and not window.transcript.hint.isHidden()
    assert len(engine.opened) == 1 and engine.opened[0].exchanges == []
    assert engine.opened[0].id not in ("shots", "mid", "old")


def test_search_shows_hits_with_the_match_highlighted_and_opens_one(
    qtbot: QtBot, app: tuple[AppController, MainWindow, HistoryEngine]
) -> None:
    _, window, engine = app
    panel = window.history
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert panel.search.hasFocus()
    qtbot.keyClicks(panel.search, "penguin")
    qtbot.waitUntil(panel.showing_hits, timeout=2000)
    assert panel.hits.count() == 1
    rich = panel.hits.item(0).data(_RICH_ROLE)
    assert "<b><u>Penguins</u></b>" in rich or "<b><u>penguins</u></b>" in rich
    assert MATCH_START not in rich and MATCH_END not in rich
    qtbot.keyClick(panel.search, Qt.Key.Key_Return)
    assert panel.hits.hasFocus()
    qtbot.keyClick(panel.hits, Qt.Key.Key_Return)
    assert window.transcript.turn("m1") is not None and [c.id for c in engine.opened] == ["mid"]
    panel.search.clear()
    qtbot.waitUntil(lambda: not panel.showing_hits(), timeout=2000)


def test_search_text_is_escaped_before_it_is_highlighted(qtbot: QtBot, store: HistoryStore) -> None:
    store.begin_turn("tags", "g1", "typed", "Is <b>bold</b> & fine?")
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    panel.show_hits(store.search("bold"))
    rich = [panel.hits.item(n).data(_RICH_ROLE) for n in range(panel.hits.count())]
    assert any("&lt;<b><u>b</u></b>&gt;" in r or "&lt;b&gt;<b><u>bold</u></b>" in r for r in rich)


def test_delete_removes_the_conversation_and_its_image_files(
    qtbot: QtBot, app: tuple[AppController, MainWindow, HistoryEngine], store: HistoryStore
) -> None:
    _, window, engine = app
    files = [
        path
        for turn in store.turns("shots")
        for image in turn.images
        for path in (image.file, image.thumbnail)
    ]
    assert files and all(path is not None and path.exists() for path in files)
    window.history.conversations.setFocus()
    window.history.conversations.setCurrentItem(row_of(window.history, "What is on this screen?"))
    qtbot.keyClick(window.history.conversations, Qt.Key.Key_Delete)
    assert rows(window.history) == ["Tell me about penguins", "What is a lighthouse?"]
    assert not any(path is not None and path.exists() for path in files)
    # It was the conversation shown: a new one starts.
    assert window.transcript.turn("s1") is None and engine.opened[-1].exchanges == []


def test_a_declined_confirmation_deletes_nothing(
    qtbot: QtBot, app: tuple[AppController, MainWindow, HistoryEngine]
) -> None:
    _, window, _ = app
    window.history.confirm = lambda question: False
    window.history.conversations.setCurrentItem(row_of(window.history, "What is a lighthouse?"))
    qtbot.keyClick(window.history.conversations, Qt.Key.Key_Delete)
    window.history.delete_everything()
    assert len(rows(window.history)) == 3


def test_delete_all(app: tuple[AppController, MainWindow, HistoryEngine], store: HistoryStore) -> None:
    _, window, _ = app
    window.history.delete_everything()
    assert rows(window.history) == [] and store.conversations() == []
    assert window.transcript.turn("s1") is None


def test_rename_edits_the_title_in_place(
    qtbot: QtBot, app: tuple[AppController, MainWindow, HistoryEngine], store: HistoryStore
) -> None:
    _, window, _ = app
    item = row_of(window.history, "What is a lighthouse?")
    window.history.conversations.setCurrentItem(item)
    window.history.rename_current()
    (editor,) = window.history.conversations.findChildren(QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, "Lighthouses")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: store.conversation("old").title == "Lighthouses", timeout=2000)
    assert "Lighthouses" in rows(window.history)


def test_retry_of_a_stored_failed_turn_sends_its_question_and_images(
    qtbot: QtBot, app: tuple[AppController, MainWindow, HistoryEngine]
) -> None:
    _, window, engine = app
    failed = window.transcript.turn("s3")
    assert failed is not None
    qtbot.mouseClick(failed.retry_button, Qt.MouseButton.LeftButton)
    (call,) = engine.calls
    assert call[0] == "ask_text" and call[1] == "And now?" and call[3:] == ("spoken", "(spoken quietly)")
    (image,) = call[2]
    assert image.source == "again.png" and image.data == png_image().data
    retried = window.transcript.turn("t1")
    assert retried is not None and retried.image_count() == 1  # the thumbnail goes with it


def test_retry_of_a_live_failed_turn_sends_the_same_question(
    qtbot: QtBot, app: tuple[AppController, MainWindow, HistoryEngine]
) -> None:
    _, window, engine = app
    window.compose.setPlainText("Is the server up?")
    window.send_button.click()
    (turn_id,) = [f"t{len(engine.calls)}"]
    window.apply(ended(turn_id, transcript="Is the server up?", reply="", error="Ollama is not running"))
    view = window.transcript.turn(turn_id)
    assert view is not None and not view.retry_button.isHidden()
    qtbot.mouseClick(view.retry_button, Qt.MouseButton.LeftButton)
    assert engine.calls[-1] == ("ask_text", "Is the server up?", (), "typed", "")


def test_history_off_shows_the_notice_and_writes_nothing(
    qtbot: QtBot, app_paths: AppPaths, loader: HistoryLoader
) -> None:
    SettingsStore(app_paths).set("history.enabled", False)
    with use_keyring(MemoryKeyring()):
        controller, window, engine = start_app(qtbot, app_paths, loader)
        try:
            assert not window.history.is_available()
            assert window.history.notice.text() == "History is off: nothing is kept. Turn it on in Settings."
            assert rows(window.history) == [] and not window.history.search.isEnabled()
            assert loader.histories == [None]
            window.compose.setPlainText("Anything kept?")
            window.send_button.click()
            assert engine.calls and not history_folder(app_paths.data_dir).exists()
        finally:
            controller.shutdown()


def test_a_write_reported_from_the_writer_thread_refreshes_the_list_on_the_gui_thread(
    qtbot: QtBot,
    app: tuple[AppController, MainWindow, HistoryEngine],
    loader: HistoryLoader,
    store: HistoryStore,
) -> None:
    _, window, engine = app
    window.history.new_requested.emit()
    history = loader.histories[-1]
    assert history is not None and history.on_written is not None
    refreshed_on: list[threading.Thread] = []
    shown = window.history.show_conversations
    window.history.show_conversations = lambda *a: (
        refreshed_on.append(threading.current_thread()),
        shown(*a),
    )  # type: ignore[method-assign]
    new_id = engine.conversation.id
    report = history.on_written

    def writer() -> None:
        store.begin_turn(new_id, "n1", "typed", "A brand new question")
        report(new_id)

    thread = threading.Thread(target=writer, name="history-writer")
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: "A brand new question" in rows(window.history), timeout=2000)
    assert refreshed_on == [threading.main_thread()]
    assert rows(window.history)[0] == "A brand new question" and window.history.current_id() == new_id


def test_turning_history_off_and_on_in_the_settings_applies_when_the_dialog_closes(
    qtbot: QtBot,
    app: tuple[AppController, MainWindow, HistoryEngine],
    loader: HistoryLoader,
    app_paths: AppPaths,
) -> None:
    controller, window, _ = app

    def change(key: str, value: object) -> None:
        controller.open_settings()
        dialog = controller._dialog
        assert dialog is not None
        SettingsStore(app_paths).set(key, value)
        dialog.close()

    change("history.enabled", False)
    qtbot.waitUntil(lambda: len(loader.histories) == 2 and window.send_button.isEnabled(), timeout=5000)
    assert loader.histories[-1] is None  # the reloaded engine keeps nothing
    assert not window.history.is_available() and rows(window.history) == []
    assert views(window) == []  # the conversation shown is no longer one that is kept

    change("history.enabled", True)
    qtbot.waitUntil(lambda: len(loader.histories) == 3 and window.send_button.isEnabled(), timeout=5000)
    history = loader.histories[-1]
    assert history is not None and history.conversation_id is None  # a new conversation
    assert window.history.is_available()
    assert rows(window.history)[0] == "What is on this screen?"  # what was kept before is still there
