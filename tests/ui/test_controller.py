"""The app's wiring with the real window and push-to-talk over a fake engine, handed in as the
controller's services: what each user action becomes, and what the user is told while models load,
when they fail, and when a device is missing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from desktop_assistant.app import Context, LoadAborted
from desktop_assistant.config.settings import UiSettings
from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.core.events import ProblemReported, ReplyDelta, State, StateChanged, TranscriptReady
from desktop_assistant.errors import AssistantError, AudioDeviceError, ModelFileError
from desktop_assistant.hotkey.base import HotkeyBackend, HotkeyError
from desktop_assistant.llm.base import PreparedImage
from desktop_assistant.ui.app import system_hotkeys
from desktop_assistant.ui.controller import AppController, AppServices
from desktop_assistant.ui.main_window import MainWindow
from desktop_assistant.ui.tray import TrayIcon
from tests.config.test_secrets import MemoryKeyring, use_keyring
from tests.ui.test_settings_dialog import FakeServices
from tests.ui.window_helpers import ended

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

    def close(self, timeout: float = 2.0) -> bool:
        self.closed = True
        return True


@dataclass
class Loader:
    """Stands in for ``RuntimeLoad``: each load waits for ``go`` (or an abort) and then answers
    ``outcome``."""

    outcome: AssistantError | None = None
    notices: list[AssistantError] = field(default_factory=list)
    go: threading.Event = field(default_factory=threading.Event)
    opened: list[FakeRuntime] = field(default_factory=list)
    speeds: list[float] = field(default_factory=list)
    aborted: threading.Event = field(default_factory=threading.Event)

    def __call__(self, context: Context, sink: Callable[[Any], None], history: object = None) -> FakeLoad:
        return FakeLoad(self, context, sink)


@dataclass
class FakeLoad:
    loader: Loader
    context: Context
    sink: Callable[[Any], None]

    def run(self) -> FakeRuntime:
        loader = self.loader
        loader.speeds.append(self.context.settings.tts.speed)
        while not loader.go.wait(0.01):
            if loader.aborted.is_set():
                raise LoadAborted("The app is quitting")
        if loader.outcome is not None:
            raise loader.outcome
        runtime = FakeRuntime(FakeEngine(self.sink), list(loader.notices))
        loader.opened.append(runtime)
        return runtime

    def abort(self) -> None:
        self.loader.aborted.set()


@pytest.fixture
def loader() -> Loader:
    return Loader()


def services(loader: Loader) -> AppServices:
    """Fake runtimes; the settings dialog gets instant services (no real microphone or speaker opens
    here); the real hotkey choice."""
    return AppServices(
        open_runtime=loader,
        settings_services=lambda context, synthesizer: FakeServices(),
        hotkeys=system_hotkeys,
    )


@pytest.fixture
def app(qtbot: QtBot, app_paths: AppPaths, loader: Loader) -> Iterator[tuple[AppController, MainWindow]]:
    window = MainWindow(max_image_side=256)
    qtbot.addWidget(window)
    window.show()
    controller = AppController(
        Context(app_paths, SettingsStore(app_paths).load()), window, None, services(loader)
    )
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


def test_an_unavailable_global_hotkey_points_to_ptt(
    qtbot: QtBot, app_paths: AppPaths, loader: Loader
) -> None:
    SettingsStore(app_paths).set("ui.hotkey_backend", "pynput")  # no DISPLAY here: pynput cannot start
    window = MainWindow(max_image_side=256)
    qtbot.addWidget(window)
    controller = AppController(
        Context(app_paths, SettingsStore(app_paths).load()), window, None, services(loader)
    )
    controller.start()
    try:
        line = window.status_line.message()
        assert line.startswith("Global hotkeys are not available here")
        assert "desktop-assistant ptt" in line
    finally:
        loader.go.set()
        controller.shutdown()


def test_changed_engine_settings_reload_the_models(
    qtbot: QtBot, app: tuple[AppController, MainWindow], loader: Loader, app_paths: AppPaths
) -> None:
    controller, window = app
    loaded(qtbot, loader, window)
    first = loader.opened[0]
    controller.open_settings()
    dialog = controller._dialog
    assert dialog is not None
    SettingsStore(app_paths).set("tts.speed", 1.3)
    dialog.close()
    qtbot.waitUntil(lambda: len(loader.opened) == 2, timeout=5000)
    assert first.closed
    qtbot.waitUntil(lambda: window.send_button.isEnabled(), timeout=5000)


def test_start_at_login_changes_no_hotkey_and_reloads_nothing(
    qtbot: QtBot, app_paths: AppPaths, loader: Loader
) -> None:
    chosen: list[UiSettings] = []

    def hotkeys(ui: UiSettings, on_error: Callable[[HotkeyError], None]) -> HotkeyBackend | None:
        chosen.append(ui)
        return None

    window = MainWindow(max_image_side=256)
    qtbot.addWidget(window)
    fakes = replace(services(loader), hotkeys=hotkeys)
    controller = AppController(Context(app_paths, SettingsStore(app_paths).load()), window, None, fakes)
    with use_keyring(MemoryKeyring()):
        controller.start()
        try:
            loaded(qtbot, loader, window)
            for key, value in (("ui.start_at_login", True), ("ui.min_press_ms", 400)):
                controller.open_settings()
                dialog = controller._dialog
                assert dialog is not None
                SettingsStore(app_paths).set(key, value)
                dialog.close()
                qtbot.waitUntil(lambda: controller._dialog is None, timeout=5000)
            # Only the press length asked for the hotkey again; neither change reloaded the models.
            assert [ui.min_press_ms for ui in chosen] == [250, 400]
            assert chosen[-1].start_at_login
            assert len(loader.opened) == 1
        finally:
            controller.shutdown()


def test_settings_changed_while_loading_load_again_once_loaded(
    qtbot: QtBot, app: tuple[AppController, MainWindow], loader: Loader, app_paths: AppPaths
) -> None:
    controller, window = app
    controller.open_settings()
    dialog = controller._dialog
    assert dialog is not None
    SettingsStore(app_paths).set("tts.speed", 1.4)
    dialog.close()  # the first load is still waiting
    loader.go.set()
    qtbot.waitUntil(lambda: len(loader.opened) == 2 and window.send_button.isEnabled(), timeout=5000)
    assert loader.speeds == [1.0, 1.4]
    assert loader.opened[0].closed and not loader.opened[1].closed


def test_a_late_event_of_an_old_turn_changes_neither_the_window_nor_the_tray(
    qtbot: QtBot, app_paths: AppPaths, loader: Loader
) -> None:
    window = MainWindow(max_image_side=256)
    qtbot.addWidget(window)
    window.show()
    tray = TrayIcon()
    controller = AppController(
        Context(app_paths, SettingsStore(app_paths).load()), window, tray, services(loader)
    )
    controller.start()
    try:
        sink = loaded(qtbot, loader, window).sink
        for event in (
            StateChanged("old", State.THINKING),
            ended("old", interrupted=True),
            StateChanged("new", State.RECORDING),
            StateChanged("old", State.IDLE),  # late: the old turn is over
            ReplyDelta("old", "late words"),
        ):
            sink(event)
        qtbot.waitUntil(lambda: window.status_line.state() == "Listening…", timeout=5000)
        qtbot.wait(50)  # let every queued event arrive
        assert window.status_line.state() == "Listening…"
        assert window.stop_button.isEnabled()
        assert tray._tray.toolTip() == "Desktop Assistant — Listening"
        view = window.transcript.turn("old")
        assert view is None or "late words" not in view.reply.toPlainText()
    finally:
        controller.shutdown()


def test_a_problem_the_turn_survived_is_shown(
    qtbot: QtBot, app: tuple[AppController, MainWindow], loader: Loader
) -> None:
    _, window = app
    sink = loaded(qtbot, loader, window).sink
    sink(StateChanged("t1", State.TRANSCRIBING))
    sink(ProblemReported("t1", "The microphone stopped. Check that it is still connected."))
    qtbot.waitUntil(lambda: "microphone stopped" in window.status_line.message(), timeout=5000)
    assert window.status_line.is_error()


def test_quitting_while_the_models_load_abandons_the_load(
    qtbot: QtBot, app_paths: AppPaths, loader: Loader
) -> None:
    window = MainWindow(max_image_side=256)
    qtbot.addWidget(window)
    controller = AppController(
        Context(app_paths, SettingsStore(app_paths).load()), window, None, services(loader)
    )
    controller.start()
    started = time.monotonic()
    assert controller.shutdown()
    assert time.monotonic() - started < 1.0
    assert loader.aborted.is_set() and loader.opened == []
