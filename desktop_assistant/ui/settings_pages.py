"""The simple settings pages: the hotkey, speech recognition, the guard on what is spoken, and history."""

from __future__ import annotations

from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QComboBox, QKeySequenceEdit, QLabel, QWidget

from desktop_assistant.config.item_checks import check_pattern
from desktop_assistant.errors import ConfigError
from desktop_assistant.text.pii import PHONE_REGIONS, locale_region
from desktop_assistant.ui.settings_fields import CommitTextEdit, PageTools, SettingsPage
from desktop_assistant.ui.settings_vocabulary import CorrectionsEditor

# Languages offered by name; any other Whisper code can still be set with 'config set stt.language'.
LANGUAGES = (
    "en", "de", "fr", "es", "it", "pt", "nl", "pl", "sv", "da", "nb", "fi", "cs", "el", "hu", "ro",
    "ru", "uk", "tr", "ar", "he", "hi", "id", "vi", "th", "ja", "ko", "zh",
)  # fmt: skip


class HotkeyEdit(QKeySequenceEdit):
    """Records one key combination; Escape is left to the dialog (it closes), never recorded."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            event.ignore()
            return
        super().keyPressEvent(event)


class HotkeyPage(SettingsPage):
    """The hold-to-talk combination, how it is caught, how presses count, and starting at login."""

    def __init__(self, tools: PageTools, parent: QWidget | None = None) -> None:
        super().__init__(tools, parent)
        self.hotkey = HotkeyEdit(QKeySequence(tools.saver.current.ui.hotkey), self)
        self.hotkey.setMaximumSequenceLength(1)
        self.hotkey.setClearButtonEnabled(True)
        self.hotkey.editingFinished.connect(self._save_hotkey)
        self.add_row(
            self.tr("&Hold to talk"),
            self.hotkey,
            self.tr("Click here, then press the combination to set it."),
        )
        backends = [
            ("auto", self.tr("Automatic (the desktop portal on Wayland, else pynput)")),
            ("pynput", self.tr("pynput (X11, Windows, macOS)")),
            ("portal", self.tr("XDG desktop portal (Wayland)")),
            ("ptt", self.tr("None: only the 'desktop-assistant ptt' command")),
        ]
        self.backend = self.choice("ui.hotkey_backend", self.tr("&Listen with"), backends)
        self.min_press = self.spin_box(
            "ui.min_press_ms",
            self.tr("&Shortest press"),
            self.tr(" ms"),
            self.tr("Shorter presses are ignored."),
        )
        self.max_hold = self.spin_box(
            "ui.max_hold_s",
            self.tr("&Longest hold"),
            self.tr(" s"),
            self.tr("A longer hold ends the recording."),
        )
        self.start_at_login = self.check_box(
            "ui.start_at_login",
            self.tr("Start Desktop Assistant when you log &in"),
            self.tr("Adds the app to your desktop's start-up applications; untick to remove it."),
        )

    def _save_hotkey(self) -> None:
        text = self.hotkey.keySequence().toString(QKeySequence.SequenceFormat.PortableText)
        if not text:
            self.tools.report(self.tr("Press a key combination for the hotkey; the old one is kept."))
            self.hotkey.setKeySequence(QKeySequence(self.tools.saver.current.ui.hotkey))
            return
        self.tools.saver.save("ui.hotkey", text)


class SpeechPage(SettingsPage):
    """Whisper's model, language, vocabulary and the corrections applied to what it writes."""

    def __init__(self, tools: PageTools, parent: QWidget | None = None) -> None:
        super().__init__(tools, parent)
        stt = tools.saver.current.stt
        self.model = QComboBox(self)
        self.model.setEditable(True)
        self.model.addItem(stt.model)
        self.model.activated.connect(self._save_model)
        line = self.model.lineEdit()
        if line is not None:
            line.editingFinished.connect(self._save_model)
        self.add_row(
            self.tr("&Model"), self.model, self.tr("An imported model's name, or a CTranslate2 model folder.")
        )
        self.language = self.choice("stt.language", self.tr("&Language"), self._languages(stt.language))
        self.vocabulary = self.line_edit(
            "stt.vocabulary",
            self.tr("&Vocabulary"),
            self.tr("Names and jargon to favour, separated by commas."),
        )
        self.vocabulary.setPlaceholderText(self.tr("e.g. Kubernetes, Nguyen, PySide"))
        self.corrections = CorrectionsEditor(tools, self)
        self.add_row(
            self.tr("&Corrections"),
            self.corrections,
            self.tr("Words Whisper writes for a name, and the name you meant."),
        )
        self.threshold = self.spin_box(
            "stt.correction_threshold",
            self.tr("Match &threshold"),
            self.tr(" %"),
            self.tr("How alike heard words must be to a correction's to be replaced (100: exactly)."),
        )
        tools.calls.run(tools.services.whisper_models, self._fill_models)

    def _languages(self, current: str) -> list[tuple[str, str]]:
        options = [("auto", self.tr("Detect the language"))]
        codes = LANGUAGES if current in (*LANGUAGES, "auto") else (*LANGUAGES, current)
        for code in codes:
            name = QLocale.languageToString(QLocale(code).language())
            options.append((code, self.tr("{name} ({code})").format(name=name, code=code)))
        return options

    def _fill_models(self, names: list[str]) -> None:
        current = self.model.currentText()
        self.model.clear()
        self.model.addItems(names if current in names else [current, *names])
        self.model.setCurrentText(current)

    def _save_model(self) -> None:
        self.tools.saver.save_text("stt.model", self.model.currentText().strip())


class GuardPage(SettingsPage):
    """What the assistant must not say aloud."""

    def __init__(self, tools: PageTools, parent: QWidget | None = None) -> None:
        super().__init__(tools, parent)
        text = tools.saver.current.text
        intro = QLabel(self.tr("These rules apply to what is spoken, not to the text shown."), self)
        intro.setWordWrap(True)
        self.form.addRow(intro)
        self.block_phrases = self._lines_edit(
            text.block_phrases,
            self.tr("&Block phrases"),
            self.tr("One per line: a reply containing one is not spoken further."),
        )
        self.block_phrases.editingFinished.connect(
            lambda: tools.saver.save("text.block_phrases", self.block_phrases.lines())
        )
        self.redact_patterns = self._lines_edit(
            text.redact_patterns,
            self.tr("&Redact patterns"),
            self.tr("One regular expression per line: what matches is spoken as 'redacted'."),
        )
        self.redact_patterns.editingFinished.connect(self._save_patterns)
        self.redact_pii = self.check_box(
            "text.redact_pii",
            self.tr("Redact &personal data (e-mail addresses, phone, card and IBAN numbers)"),
        )
        self.phone_region = self._region_combo(text.phone_region)
        self.never_speak = self._lines_edit(
            text.never_speak,
            self.tr("&Never speak"),
            self.tr("One word or phrase per line: each is spoken as 'something'."),
        )
        self.never_speak.editingFinished.connect(
            lambda: tools.saver.save("text.never_speak", self.never_speak.lines())
        )

    def _region_combo(self, current: str) -> QComboBox:
        """The region codes, each with its country's name as a tooltip; empty shows what the locale gives."""
        combo = QComboBox(self)
        combo.setEditable(True)
        combo.addItem("")
        for code in sorted(PHONE_REGIONS):
            combo.addItem(code)
            name = QLocale.territoryToString(QLocale.codeToTerritory(code))
            combo.setItemData(combo.count() - 1, name, Qt.ItemDataRole.ToolTipRole)
        combo.setCurrentText(current)
        line = combo.lineEdit()
        if line is not None:
            line.setPlaceholderText(
                self.tr("From the system locale: {region}").format(region=locale_region())
            )
            line.editingFinished.connect(self._save_region)
        combo.activated.connect(self._save_region)
        self.add_row(
            self.tr("Phone &region"),
            combo,
            self.tr("Whose national phone numbers are redacted; numbers written with + are found anyway."),
        )
        return combo

    def _save_region(self) -> None:
        self.tools.saver.save_text("text.phone_region", self.phone_region.currentText().strip().upper())

    def _lines_edit(self, lines: tuple[str, ...], label: str, help_text: str) -> CommitTextEdit:
        edit = CommitTextEdit("\n".join(lines), self)
        edit.setTabChangesFocus(True)
        edit.setPlaceholderText(help_text)
        self.add_row(label, edit, help_text)
        return edit

    def _save_patterns(self) -> None:
        patterns = self.redact_patterns.lines()
        try:
            for pattern in patterns:
                check_pattern(pattern)
        except ConfigError as exc:
            self.tools.report(exc.line())
            return
        self.tools.saver.save("text.redact_patterns", patterns)


class HistoryPage(SettingsPage):
    """Whether conversations are kept, for how long, and with the images."""

    def __init__(self, tools: PageTools, parent: QWidget | None = None) -> None:
        super().__init__(tools, parent)
        self.enabled = self.check_box(
            "history.enabled",
            self.tr("&Keep conversations (off: nothing new is written)"),
        )
        self.keep_days = self.spin_box(
            "history.keep_days",
            self.tr("Remove &after"),
            self.tr(" days"),
            self.tr("Older conversations are removed when the app starts; 0 keeps them all."),
        )
        self.keep_days.setSpecialValueText(self.tr("Never"))
        self.store_images = self.check_box(
            "history.store_images", self.tr("Keep a copy of the &images asked about")
        )
