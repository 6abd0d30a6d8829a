"""The app's wiring with the real window and push-to-talk over a fake engine: what each user action
becomes, and what the user is told while models load, when they fail, and when a device is missing."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from desktop_assistant.app import Context
from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.core.events import State, StateChanged, TranscriptReady
from desktop_assistant.errors import AssistantError, AudioDeviceError, ModelFileError
from desktop_assistant.llm.base import PreparedImage
from desktop_assistant.ui import controller as controller_module
from desktop_assistant.ui.controller import AppController
from desktop_assistant.ui.main_window import MainWindow
from tests.config.test_secrets import MemoryKeyring, use_keyring
from tests.ui.test_settings_dialog import FakeServices

pytestmark = pytest.mark.gui


@dataclass
class FakeTurn:
    id: str


@dataclass
class FakeEngine:
    """Records the commands it is given."""

    sink: Callable[[Any], None]
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    def press(self, images: tuple[PreparedImage, ...] = ()) -> FakeTurn:
        self.calls.append(("press", images))
        self.sink(StateChanged("t1", State.RECORDING))
        return FakeTurn("t1")

    def release(self) -> None:
        self.calls.append(("release",))

    def cancel(self) -> None:
        self.calls.append(("cancel",))

    def ask_text(self, text: str, images: tuple[PreparedImage, ...] = ()) -> FakeTurn:
        self.calls.append(("ask_text", text, images))
        self.sink(TranscriptReady("t2", text))
        return FakeTurn("t2")


@dataclass
class FakeStages:
    synthesizer: object = None


@dataclass
class FakeRuntime:
    engine: FakeEngine
    notices: list[AssistantError]
    microphone: object = None
    stages: FakeStages = field(default_factory=FakeStages)
    closed: bool = False

    def close(self) -> None:
        self.closed = True


@dataclass
class Loader:
    """Stands in for ``Runtime.open``: each call waits for ``go`` and then answers ``outcome``."""

    outcome: AssistantError | None = None
    notices: list[AssistantError] = field(default_factory=list)
    go: threading.Event = field(default_factory=threading.Event)
    opened: list[FakeRuntime] = field(default_factory=list)
    speeds: list[float] = field(default_factory=list)

    def __call__(self, context: Context, sink: Callable[[Any], None]) -> FakeRuntime:
        self.speeds.append(context.settings.tts.speed)
        assert self.go.wait(10)
        if self.outcome is not None:
            raise self.outcome
        runtime = FakeRuntime(FakeEngine(sink), list(self.notices))
        self.opened.append(runtime)
        return runtime


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppPaths:
    monkeypatch.setenv("DESKTOP_ASSISTANT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DISPLAY", raising=False)
    SettingsStore(AppPaths.resolve()).set("ui.hotkey_backend", "ptt")
    return AppPaths.resolve()


@pytest.fixture
def loader(monkeypatch: pytest.MonkeyPatch) -> Loader:
    fake = Loader()
    monkeypatch.setattr(controller_module.Runtime, "open", fake)
    # The settings dialog gets instant services: no real microphone or speaker opens here.
    monkeypatch.setattr(controller_module, "AppSettingsServices", lambda context, synthesizer: FakeServices())
    return fake


@pytest.fixture
def app(qtbot: QtBot, paths: AppPaths, loader: Loader) -> Iterator[tuple[AppController, MainWindow]]:
    window = MainWindow(max_image_side=256)
    qtbot.addWidget(window)
    window.show()
    controller = AppController(Context(paths, SettingsStore(paths).load()), window, None)
    with use_keyring(MemoryKeyring()):
        controller.start()
        yield controller, window
        loader.go.set()
        controller.shutdown()


def loaded(qtbot: QtBot, loader: Loader, window: MainWindow) -> FakeEngine:
    loader.go.set()
    qtbot.waitUntil(lambda: window.send_button.isEnabled(), timeout=5000)
    return loader.opened[-1].engine


def test_talking_before_the_models_are_loaded_says_to_wait(
    qtbot: QtBot, app: tuple[AppController, MainWindow]
) -> None:
    controller, window = app
    assert window.status_line.message() == "Loading models…"
    controller.command("press")
    assert window.status_line.message() == "Still loading the models; try again in a moment."
    assert window.status_line.is_error()


def test_a_hold_records_and_a_tap_is_dropped(
    qtbot: QtBot, app: tuple[AppController, MainWindow], loader: Loader
) -> None:
    controller, window = app
    engine = loaded(qtbot, loader, window)
    controller.command("press")
    qtbot.wait(300)  # longer than the 250 ms a press must last
    controller.command("release")
    controller.command("press")
    controller.command("release")  # a tap: thrown away
    assert engine.calls == [("press", ()), ("release",), ("press", ()), ("cancel",)]


def test_toggle_and_the_stop_button(
    qtbot: QtBot, app: tuple[AppController, MainWindow], loader: Loader
) -> None:
    controller, window = app
    engine = loaded(qtbot, loader, window)
    controller.command("toggle")
    qtbot.wait(300)
    controller.command("toggle")
    window.stop_button.setEnabled(True)
    window.stop_button.click()
    assert engine.calls == [("press", ()), ("release",), ("cancel",)]


def test_a_typed_question_goes_to_the_engine_and_shows(
    qtbot: QtBot, app: tuple[AppController, MainWindow], loader: Loader
) -> None:
    _, window = app
    engine = loaded(qtbot, loader, window)
    hint = window.transcript.hint
    assert hint.text().startswith("Bind a key to 'desktop-assistant ptt press' and 'ptt release'")
    assert hint.isVisible()
    window.compose.setPlainText("What time is it?")
    window.send_button.click()
    assert engine.calls == [("ask_text", "What time is it?", ())]
    view = window.transcript.turn("t2")
    assert view is not None and view.question.text() == "What time is it?"
    assert not hint.isVisible()


def test_a_missing_microphone_is_said_and_typing_still_works(
    qtbot: QtBot, app: tuple[AppController, MainWindow], loader: Loader
) -> None:
    _, window = app
    loader.notices = [AudioDeviceError("No microphone found", "Plug one in, or type your question.")]
    engine = loaded(qtbot, loader, window)
    assert window.status_line.message() == "No microphone found. Plug one in, or type your question."
    window.compose.setPlainText("hello")
    window.send_button.click()
    assert engine.calls[0][0] == "ask_text"


def test_models_that_fail_to_load_leave_one_line_and_no_talking(
    qtbot: QtBot, app: tuple[AppController, MainWindow], loader: Loader
) -> None:
    _, window = app
    loader.outcome = ModelFileError(
        "Whisper model 'tiny.en' is not imported", "Run: desktop-assistant models"
    )
    loader.go.set()
    qtbot.waitUntil(lambda: "not imported" in window.status_line.message(), timeout=5000)
    assert window.status_line.message() == (
        "Whisper model 'tiny.en' is not imported. Run: desktop-assistant models"
    )
    assert not window.talk_button.isEnabled() and not window.send_button.isEnabled()


def test_an_unavailable_global_hotkey_points_to_ptt(qtbot: QtBot, paths: AppPaths, loader: Loader) -> None:
    SettingsStore(paths).set("ui.hotkey_backend", "pynput")  # no DISPLAY here: pynput cannot start
    window = MainWindow(max_image_side=256)
    qtbot.addWidget(window)
    controller = AppController(Context(paths, SettingsStore(paths).load()), window, None)
    controller.start()
    try:
        line = window.status_line.message()
        assert line.startswith("Global hotkeys are not available here")
        assert "desktop-assistant ptt" in line
    finally:
        loader.go.set()
        controller.shutdown()


def test_changed_engine_settings_reload_the_models(
    qtbot: QtBot, app: tuple[AppController, MainWindow], loader: Loader, paths: AppPaths
) -> None:
    controller, window = app
    loaded(qtbot, loader, window)
    first = loader.opened[0]
    controller.open_settings()
    dialog = controller._dialog
    assert dialog is not None
    SettingsStore(paths).set("tts.speed", 1.3)
    dialog.close()
    qtbot.waitUntil(lambda: len(loader.opened) == 2, timeout=5000)
    assert first.closed
    qtbot.waitUntil(lambda: window.send_button.isEnabled(), timeout=5000)


def test_settings_changed_while_loading_load_again_once_loaded(
    qtbot: QtBot, app: tuple[AppController, MainWindow], loader: Loader, paths: AppPaths
) -> None:
    controller, window = app
    controller.open_settings()
    dialog = controller._dialog
    assert dialog is not None
    SettingsStore(paths).set("tts.speed", 1.4)
    dialog.close()  # the first load is still waiting
    loader.go.set()
    qtbot.waitUntil(lambda: len(loader.opened) == 2 and window.send_button.isEnabled(), timeout=5000)
    assert loader.speeds == [1.0, 1.4]
    assert loader.opened[0].closed and not loader.opened[1].closed
