"""The settings dialog on Qt's offscreen platform, over a real settings file and an in-memory keyring."""

from __future__ import annotations

import threading
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QKeySequenceEdit,
    QLineEdit,
    QPlainTextEdit,
    QScrollBar,
    QTabBar,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop_assistant.app import Context
from desktop_assistant.bench.ollama_api import OllamaTestServer
from desktop_assistant.config.secrets import SERVICE
from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.core.conversation import default_persona
from desktop_assistant.errors import AssistantError, LLMError, ModelFileError
from desktop_assistant.llm.catalog import ModelInfo
from desktop_assistant.ui.settings_dialog import SettingsDialog
from desktop_assistant.ui.settings_services import AppSettingsServices
from tests.config.test_secrets import MemoryKeyring, use_keyring

pytestmark = pytest.mark.gui

KEY = (SERVICE, "ollama_api_key")


@dataclass
class FakeLevel:
    """A microphone level that is always 0.1 (about -20 dBFS)."""

    device: str
    closed: bool = False

    def level(self) -> float:
        return 0.1

    def record(self, seconds: float) -> npt.NDArray[np.float32]:
        """A tenth of a second of a -20 dBFS square wave, then ``seconds`` of silence."""
        return np.concatenate(
            [np.tile(np.float32([0.1, -0.1]), 800), np.zeros(int(seconds * 16_000), np.float32)]
        )

    def close(self) -> None:
        self.closed = True


@dataclass
class FakeServices:
    """Instant services that record what the dialog asked for."""

    models: list[ModelInfo] | AssistantError = field(
        default_factory=lambda: [ModelInfo("gemma3:4b", True), ModelInfo("llama3.2:1b", False)]
    )
    preview_error: AssistantError | None = None
    asked: list[tuple[object, ...]] = field(default_factory=list)
    levels: list[FakeLevel] = field(default_factory=list)
    list_models: Callable[[str, str | None], list[ModelInfo]] | None = None

    def input_devices(self) -> list[str]:
        return ["Built-in Microphone", "USB Headset"]

    def output_devices(self) -> list[str]:
        return ["Built-in Speakers", "USB Headset"]

    def whisper_models(self) -> list[str]:
        return ["small.en", "tiny.en"]

    def voices(self) -> list[str]:
        return ["af_heart", "am_michael", "bf_emma"]

    def builtin_models(self) -> list[str]:
        return ["SmolLM2-135M-Instruct.Q4_1.gguf", "qwen2.5-1.5b-instruct-q4_k_m.gguf"]

    def ollama_models(self, host: str, api_key: str | None) -> list[ModelInfo]:
        self.asked.append(("models", host, api_key))
        if self.list_models is not None:
            return self.list_models(host, api_key)
        if isinstance(self.models, AssistantError):
            raise self.models
        return self.models

    def open_level_meter(self, device: str) -> FakeLevel:
        level = FakeLevel(device)
        self.levels.append(level)
        return level

    def play_tone(self, output_device: str) -> None:
        self.asked.append(("tone", output_device))

    def preview_voice(self, voice: str, speed: float, output_device: str) -> None:
        self.asked.append(("preview", voice, speed, output_device))
        if self.preview_error is not None:
            raise self.preview_error

    def play_recording(self, samples: npt.NDArray[np.float32], output_device: str) -> None:
        self.asked.append(("play back", len(samples), output_device))


@pytest.fixture
def keyring_memory() -> Iterator[MemoryKeyring]:
    with use_keyring(MemoryKeyring()) as backend:
        assert isinstance(backend, MemoryKeyring)
        yield backend


@pytest.fixture
def services() -> FakeServices:
    return FakeServices()


OpenDialog = Callable[[], SettingsDialog]


@pytest.fixture
def open_dialog(
    qtbot: QtBot, store: SettingsStore, services: FakeServices, keyring_memory: MemoryKeyring
) -> OpenDialog:
    """Show a settings dialog and wait until its lists came back from the services."""

    def open_() -> SettingsDialog:
        dialog = SettingsDialog(store, services)
        qtbot.addWidget(dialog)
        dialog.show()
        page = dialog.assistant_page
        qtbot.waitUntil(
            lambda: page.api_key.isEnabled() and not page.server_message.text().startswith("Asking")
        )
        qtbot.waitUntil(
            lambda: dialog.voice_page.voice.count() > 1 and dialog.audio_page.input_device.count() > 1
        )
        return dialog

    return open_


def saved_file(store: SettingsStore) -> dict[str, object]:
    return tomllib.loads(store.path.read_text(encoding="utf-8"))


def choose(combo: QComboBox, data: object) -> None:
    """Pick the item holding ``data`` the way a click in the list does."""
    index = combo.findData(data)
    if index < 0:
        index = combo.findText(str(data))
    assert index >= 0, f"{data!r} is not offered"
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def type_and_leave(qtbot: QtBot, field_: QWidget, text: str, dialog: SettingsDialog) -> None:
    """Replace the field's text by typing, then move the focus away (as Tab would)."""
    field_.setFocus()
    if isinstance(field_, QLineEdit | QPlainTextEdit):
        field_.selectAll()
        QTest.keyClick(field_, Qt.Key.Key_Delete)
    for number, line in enumerate(text.split("\n")):
        if number:
            QTest.keyClick(field_, Qt.Key.Key_Return)
        QTest.keyClicks(field_, line)
    field_.clearFocus()


def test_changes_are_saved_at_once_and_shown_again(
    qtbot: QtBot, open_dialog: OpenDialog, store: SettingsStore
) -> None:
    dialog = open_dialog()
    saved: list[object] = []
    dialog.settings_saved.connect(saved.append)
    choose(dialog.audio_page.input_device, "USB Headset")
    choose(dialog.audio_page.output_device, "Built-in Speakers")
    dialog.audio_page.early_reply.click()
    assert dialog.audio_page.voice_cues.isChecked()  # on by default
    dialog.audio_page.voice_cues.click()
    dialog.hotkey_page.min_press.setValue(400)
    choose(dialog.hotkey_page.backend, "portal")
    choose(dialog.speech_page.model, "small.en")
    choose(dialog.speech_page.language, "de")
    type_and_leave(qtbot, dialog.speech_page.vocabulary, "Kubernetes, Nguyen", dialog)
    choose(dialog.assistant_page.backend, "builtin")
    choose(dialog.assistant_page.builtin_model, "qwen2.5-1.5b-instruct-q4_k_m.gguf")
    choose(dialog.assistant_page.model, "llama3.2:1b")
    type_and_leave(qtbot, dialog.assistant_page.persona, "You are terse.", dialog)
    choose(dialog.voice_page.voice, "bf_emma")
    dialog.voice_page.speed.setValue(1.25)
    type_and_leave(qtbot, dialog.guard_page.block_phrases, "password\nsecret plan", dialog)
    type_and_leave(qtbot, dialog.guard_page.redact_patterns, r"\d{4}-\d{4}", dialog)
    dialog.guard_page.redact_pii.click()
    dialog.history_page.keep_days.setValue(30)
    dialog.history_page.store_images.click()
    dialog.history_page.enabled.click()

    assert saved_file(store) == {
        "schema_version": 1,
        "audio": {
            "input_device": "USB Headset",
            "output_device": "Built-in Speakers",
            "early_reply": False,
            "voice_cues": False,
        },
        "ui": {"min_press_ms": 400, "hotkey_backend": "portal"},
        "stt": {"model": "small.en", "language": "de", "vocabulary": ["Kubernetes", "Nguyen"]},
        "llm": {
            "backend": "builtin",
            "builtin_model": "qwen2.5-1.5b-instruct-q4_k_m.gguf",
            "model": "llama3.2:1b",
            "persona": "You are terse.",
        },
        "tts": {"voice": "bf_emma", "speed": 1.25},
        "text": {
            "block_phrases": ["password", "secret plan"],
            "redact_patterns": [r"\d{4}-\d{4}"],
            "redact_pii": False,
        },
        "history": {"keep_days": 30, "store_images": False, "enabled": False},
    }
    assert len(saved) == 21
    assert saved[-1] == store.load()
    dialog.close()

    again = open_dialog()
    assert again.audio_page.input_device.currentData() == "USB Headset"
    assert not again.audio_page.early_reply.isChecked() and not again.audio_page.voice_cues.isChecked()
    assert again.hotkey_page.min_press.value() == 400
    assert again.hotkey_page.backend.currentData() == "portal"
    assert again.speech_page.model.currentText() == "small.en"
    assert again.speech_page.language.currentData() == "de"
    assert again.speech_page.vocabulary.text() == "Kubernetes, Nguyen"
    assert again.assistant_page.backend.currentData() == "builtin"
    assert again.assistant_page.builtin_model.currentData() == "qwen2.5-1.5b-instruct-q4_k_m.gguf"
    assert again.assistant_page.model.currentData() == "llama3.2:1b"
    assert again.assistant_page.persona.toPlainText() == "You are terse."
    assert again.voice_page.voice.currentText() == "bf_emma"
    assert again.voice_page.speed.value() == 1.25
    assert again.voice_page.speed_slider.value() == 125
    assert again.guard_page.block_phrases.toPlainText() == "password\nsecret plan"
    assert not again.guard_page.redact_pii.isChecked()
    assert again.history_page.keep_days.value() == 30
    assert not again.history_page.store_images.isChecked()
    assert not again.history_page.enabled.isChecked()


def test_a_bad_regular_expression_is_refused_with_a_line(
    qtbot: QtBot, open_dialog: OpenDialog, store: SettingsStore
) -> None:
    dialog = open_dialog()
    saved: list[object] = []
    dialog.settings_saved.connect(saved.append)
    type_and_leave(qtbot, dialog.guard_page.redact_patterns, "ok\n([a-z", dialog)
    assert dialog.status.text() == (
        "The redact pattern '([a-z' is not a valid regular expression: unterminated character set at "
        "position 1. Fix it or remove it from text.redact_patterns."
    )
    assert saved == []
    assert not store.path.exists()
    type_and_leave(qtbot, dialog.guard_page.redact_patterns, "ok\n([a-z])", dialog)
    assert saved_file(store)["text"] == {"redact_patterns": ["ok", "([a-z])"]}
    assert dialog.status.text() == ""


def test_a_value_the_settings_refuse_is_shown_and_not_saved(
    qtbot: QtBot, open_dialog: OpenDialog, store: SettingsStore
) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text("[ui]\nmax_hold_s = 9000\n", encoding="utf-8")
    problem = (
        "Setting 'ui.max_hold_s' cannot be 9000. It takes a number from 5 to 600. "
        f"Fix it in {store.path} or run 'desktop-assistant config set KEY VALUE'."
    )
    dialog = open_dialog()
    assert dialog.status.text() == problem
    assert dialog.hotkey_page.max_hold.value() == 120.0
    type_and_leave(qtbot, dialog.speech_page.vocabulary, "PySide", dialog)
    assert dialog.status.text() == problem
    assert store.path.read_text(encoding="utf-8") == "[ui]\nmax_hold_s = 9000\n"


def test_the_hotkey_is_set_by_pressing_it(
    qtbot: QtBot, open_dialog: OpenDialog, store: SettingsStore
) -> None:
    dialog = open_dialog()
    dialog.tabs.setCurrentWidget(dialog.hotkey_page)
    edit = dialog.hotkey_page.hotkey
    assert isinstance(edit, QKeySequenceEdit)
    assert edit.keySequence().toString() == "Ctrl+Alt+Space"
    edit.setFocus()
    QTest.keyClick(
        edit, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert saved_file(store)["ui"] == {"hotkey": "Ctrl+Shift+K"}
    # Escape is not a hotkey: it closes the dialog and leaves the combination alone.
    QTest.keyClick(edit, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert saved_file(store)["ui"] == {"hotkey": "Ctrl+Shift+K"}


def test_escape_closes_and_keeps_the_text_being_typed(
    qtbot: QtBot, open_dialog: OpenDialog, store: SettingsStore
) -> None:
    dialog = open_dialog()
    dialog.tabs.setCurrentWidget(dialog.speech_page)
    dialog.speech_page.vocabulary.setFocus()
    QTest.keyClicks(dialog.speech_page.vocabulary, "PySide")
    QTest.keyClick(dialog.speech_page.vocabulary, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert saved_file(store)["stt"] == {"vocabulary": ["PySide"]}


def test_models_from_a_real_server_carry_the_vision_badge_and_the_api_key(
    qtbot: QtBot,
    store: SettingsStore,
    paths: AppPaths,
    services: FakeServices,
    keyring_memory: MemoryKeyring,
    ollama_server: OllamaTestServer,
) -> None:
    ollama_server.add_model("llama3.2:1b", vision=False)
    store.set("llm.host", ollama_server.url)
    keyring_memory.passwords[KEY] = "sk-test"
    services.list_models = AppSettingsServices(Context(paths, store.load())).ollama_models
    dialog = SettingsDialog(store, services)
    qtbot.addWidget(dialog)
    combo = dialog.assistant_page.model
    qtbot.waitUntil(lambda: combo.count() == 2)
    assert [combo.itemText(i) for i in range(2)] == ["gemma3:4b — sees images", "llama3.2:1b"]
    assert combo.currentData() == "gemma3:4b"
    assert dialog.assistant_page.server_message.text() == ""
    requests = ollama_server.requests_to("/api/tags") + ollama_server.requests_to("/api/show")
    assert len(requests) == 3
    assert {r.headers.get("authorization") for r in requests} == {"Bearer sk-test"}


def test_a_server_that_is_down_is_shown_on_the_page(
    qtbot: QtBot, open_dialog: OpenDialog, services: FakeServices
) -> None:
    services.models = LLMError(
        "Cannot reach Ollama at http://127.0.0.1:9",
        "Start it with 'ollama serve' (or set OLLAMA_HOST / llm.host).",
    )
    dialog = open_dialog()
    page = dialog.assistant_page
    qtbot.waitUntil(lambda: page.server_message.text().startswith("Cannot reach"))
    assert page.server_message.text() == services.models.line()
    assert [page.model.itemData(i) for i in range(page.model.count())] == ["gemma3:4b"]
    services.models = [ModelInfo("gemma3:4b", True)]
    page.refresh_button.click()
    qtbot.waitUntil(lambda: page.server_message.text() == "")
    assert page.model.itemText(0) == "gemma3:4b — sees images"


def test_the_api_key_goes_to_the_keyring_never_to_the_file(
    qtbot: QtBot,
    open_dialog: OpenDialog,
    store: SettingsStore,
    services: FakeServices,
    keyring_memory: MemoryKeyring,
) -> None:
    dialog = open_dialog()
    page = dialog.assistant_page
    assert services.asked[0] == ("models", "", None)
    page.api_key.setFocus()
    QTest.keyClicks(page.api_key, "sk-secret-1")
    QTest.keyClick(page.api_key, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: keyring_memory.passwords.get(KEY) == "sk-secret-1")
    qtbot.waitUntil(lambda: ("models", "", "sk-secret-1") in services.asked)
    assert page.api_key.text() == ""
    assert page.api_key.echoMode() == QLineEdit.EchoMode.Password
    assert not store.path.exists() or "sk-secret" not in store.path.read_text()
    assert page.forget_key.isEnabled()
    page.forget_key.click()
    qtbot.waitUntil(lambda: KEY not in keyring_memory.passwords)
    qtbot.waitUntil(lambda: not page.forget_key.isEnabled())


def test_persona_shows_the_built_in_one_and_resets_to_it(
    qtbot: QtBot, open_dialog: OpenDialog, store: SettingsStore
) -> None:
    dialog = open_dialog()
    page = dialog.assistant_page
    assert page.persona.toPlainText() == default_persona()
    type_and_leave(qtbot, page.persona, "Answer in rhymes.", dialog)
    assert store.load().llm.persona == "Answer in rhymes."
    page.reset_persona.click()
    assert store.load().llm.persona == ""
    assert page.persona.toPlainText() == default_persona()


def test_the_level_meter_follows_the_chosen_microphone_while_visible(
    qtbot: QtBot, open_dialog: OpenDialog, services: FakeServices
) -> None:
    dialog = open_dialog()
    page = dialog.audio_page
    qtbot.waitUntil(lambda: page.meter.value() > 0.5)
    assert [level.device for level in services.levels] == [""]
    choose(page.input_device, "USB Headset")
    qtbot.waitUntil(lambda: len(services.levels) == 2 and services.levels[0].closed)
    assert services.levels[1].device == "USB Headset"
    dialog.tabs.setCurrentWidget(dialog.voice_page)
    qtbot.waitUntil(lambda: services.levels[1].closed)
    assert page.meter.value() == 0.0
    dialog.tabs.setCurrentWidget(page)
    qtbot.waitUntil(lambda: len(services.levels) == 3)
    dialog.close()
    qtbot.waitUntil(lambda: all(level.closed for level in services.levels))


def test_test_tone_and_voice_preview_play_off_the_gui_thread(
    qtbot: QtBot, open_dialog: OpenDialog, services: FakeServices, store: SettingsStore
) -> None:
    store.set("audio.output_device", "USB Headset")
    dialog = open_dialog()
    dialog.audio_page.tone.click()
    qtbot.waitUntil(lambda: ("tone", "USB Headset") in services.asked)
    qtbot.waitUntil(dialog.audio_page.tone.isEnabled)
    voice = dialog.voice_page
    choose(voice.voice, "am_michael")
    voice.speed.setValue(1.5)
    services.preview_error = ModelFileError(
        "The voice model is not loaded yet", "Try the preview again once the assistant is ready."
    )
    voice.preview.click()
    assert not voice.preview.isEnabled()
    qtbot.waitUntil(voice.preview.isEnabled)
    assert ("preview", "am_michael", 1.5, "USB Headset") in services.asked
    assert dialog.status.text() == (
        "The voice model is not loaded yet. Try the preview again once the assistant is ready."
    )


def test_every_interactive_control_has_an_accessible_name(open_dialog: OpenDialog) -> None:
    dialog = open_dialog()
    interactive = (QAbstractButton, QComboBox, QLineEdit, QAbstractSpinBox, QAbstractSlider, QPlainTextEdit)
    composite = (QComboBox, QAbstractSpinBox, QKeySequenceEdit, QLineEdit)
    # Parts of a composite control, the tab bar's scroll arrows and scroll bars belong to a named whole.
    controls = [
        w
        for w in dialog.findChildren(QWidget)
        if isinstance(w, (*interactive, QKeySequenceEdit))
        and not isinstance(w, QScrollBar)
        and not isinstance(w.parentWidget(), (*composite, QTabBar))
    ]
    assert len(controls) >= 20
    unnamed = [f"{type(w).__name__} {w.parentWidget()}" for w in controls if not w.accessibleName()]
    assert unnamed == []


def test_an_answer_arriving_after_the_dialog_is_gone_is_dropped(
    qtbot: QtBot, store: SettingsStore, services: FakeServices, keyring_memory: MemoryKeyring
) -> None:
    gate = threading.Event()
    asked = threading.Event()

    def slow_server(host: str, api_key: str | None) -> list[ModelInfo]:
        asked.set()
        assert gate.wait(10)
        raise LLMError("Ollama is not running", "Start it with: ollama serve")

    services.list_models = slow_server
    dialog = SettingsDialog(store, services)
    dialog.show()
    qtbot.waitUntil(asked.is_set, timeout=5000)
    shiboken6.delete(dialog)  # what closing does in the app (WA_DeleteOnClose)
    gate.set()
    # The failed listing comes back to widgets that no longer exist: nothing may run on them.
    qtbot.waitUntil(lambda: not any(t.name == "settings-call" for t in threading.enumerate()), timeout=5000)
    qtbot.wait(200)
