"""The settings dialog: every change is saved at once to the TOML store (secrets to the keyring)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTabWidget, QVBoxLayout, QWidget

from desktop_assistant.config.secrets import SecretStore
from desktop_assistant.config.settings import Settings
from desktop_assistant.config.store import SettingsStore
from desktop_assistant.errors import ConfigError
from desktop_assistant.ui.settings_assistant import AssistantPage
from desktop_assistant.ui.settings_fields import BackgroundCalls, PageTools, SettingsSaver
from desktop_assistant.ui.settings_pages import GuardPage, HistoryPage, HotkeyPage, SpeechPage
from desktop_assistant.ui.settings_services import SettingsServices
from desktop_assistant.ui.settings_sound import AudioPage, VoicePage


class SettingsDialog(QDialog):
    """Audio, hotkey, speech recognition, assistant, voice and guard settings on tabs.

    Each change is validated and written as soon as it is made (text fields when editing finishes);
    ``settings_saved`` then carries the new ``Settings``. A refused value is not written and its reason
    shows in the status line. Slow work (devices, the Ollama server, the keyring, sound) runs off the
    GUI thread through ``services``.
    """

    settings_saved = Signal(object)

    def __init__(
        self, store: SettingsStore, services: SettingsServices, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self.setMinimumWidth(560)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Status"))
        try:
            settings = store.load()
        except ConfigError as exc:
            # The pages still show the defaults; saving reports the same problem until the file is fixed.
            settings = Settings()
            self.show_status(exc.line())
        self._saver = SettingsSaver(store, settings, self)
        self._saver.saved.connect(self._saved)
        self._saver.failed.connect(self.show_status)
        self._calls = BackgroundCalls(self.show_status)
        self.destroyed.connect(self._calls.close)
        tools = PageTools(self._saver, self._calls, services, self.show_status)
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName(self.tr("Settings pages"))
        self.audio_page = AudioPage(tools)
        self.hotkey_page = HotkeyPage(tools)
        self.speech_page = SpeechPage(tools)
        self.assistant_page = AssistantPage(tools, SecretStore())
        self.voice_page = VoicePage(tools)
        self.guard_page = GuardPage(tools)
        self.history_page = HistoryPage(tools)
        self.tabs.addTab(self.audio_page, self.tr("&Audio"))
        self.tabs.addTab(self.hotkey_page, self.tr("&Hotkey and start"))
        self.tabs.addTab(self.speech_page, self.tr("Speech &recognition"))
        self.tabs.addTab(self.assistant_page, self.tr("A&ssistant"))
        self.tabs.addTab(self.voice_page, self.tr("&Voice"))
        self.tabs.addTab(self.guard_page, self.tr("&Guard"))
        self.tabs.addTab(self.history_page, self.tr("H&istory"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAutoDefault(False)
        close.setAccessibleName(self.tr("Close"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.status)
        layout.addWidget(buttons)

    @property
    def settings(self) -> Settings:
        """The settings as last saved (or loaded)."""
        return self._saver.current

    def show_status(self, line: str) -> None:
        """Show one line (a refused value, a failed call) under the pages."""
        self.status.setText(line)

    def done(self, result: int) -> None:
        """Close; the field being edited loses focus first, so its text is saved like any focus-out."""
        focused = self.focusWidget()
        if focused is not None:
            focused.clearFocus()
        super().done(result)

    def _saved(self, settings: Settings) -> None:
        self.status.clear()
        self.settings_saved.emit(settings)
