"""The first-run dialog over a fake service that drives the Progress protocol on the worker thread, and
the controller that opens it and reloads the models once it closes."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from desktop_assistant.app import Context
from desktop_assistant.cancel import CancelToken
from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.errors import AssistantError, ModelFileError
from desktop_assistant.fetch.catalog import OLLAMA, CatalogEntry, load_catalog
from desktop_assistant.fetch.progress import Progress
from desktop_assistant.setup_needs import SetupNeed, SetupNeeds, setup_needs
from desktop_assistant.ui import first_run_pages
from desktop_assistant.ui.controller import AppController, AppServices
from desktop_assistant.ui.first_run import FirstRunDialog
from desktop_assistant.ui.main_window import MainWindow
from tests.ui.test_controller import Loader, loaded, services
from tests.ui.test_settings_dialog import FakeLevel, FakeServices

pytestmark = pytest.mark.gui


@dataclass
class FakeFirstRun:
    """The needs of a fresh home less what was installed; install reports each file in four steps."""

    paths: AppPaths
    installed: set[str] = field(default_factory=set)
    fail_once: set[str] = field(default_factory=set)
    hold: set[str] = field(default_factory=set)  # these wait for their cancel
    started: threading.Event = field(default_factory=threading.Event)
    cancelled: list[str] = field(default_factory=list)

    def needs(self, check_ollama: bool) -> SetupNeeds:
        found = setup_needs(Context(self.paths, SettingsStore(self.paths).load()), check_ollama=False)
        return SetupNeeds(tuple(n for n in found.needs if n.entry.name not in self.installed), check_ollama)

    def install(self, entry: CatalogEntry, progress: Progress, cancel: CancelToken) -> None:
        for file in entry.files:
            progress.begin(file.name, file.size)
            for _ in range(4):
                progress.advance(file.size // 4)
            self.started.set()
            if entry.name in self.hold:
                cancel.wait(10)
                self.cancelled.append(entry.name)
                raise AssistantError("Download cancelled")
            progress.advance(file.size % 4)
            progress.end()
        if entry.name in self.fail_once:
            self.fail_once.discard(entry.name)
            raise ModelFileError("The download of model.bin failed", "Check the connection and try again.")
        self.installed.add(entry.name)

    def pull(self, name: str, progress: Progress, cancel: CancelToken) -> None:
        self.installed.add(name)

    def import_whisper(self, folder: Path) -> None:
        raise ModelFileError(f"{folder} is not a CTranslate2 Whisper model")

    def import_kokoro(self, files: Sequence[Path]) -> None:
        raise ModelFileError("Nothing to import")

    def ollama_hint(self) -> str:
        return "Start the Ollama app, or run 'ollama serve'."


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return AppPaths.resolve({"DESKTOP_ASSISTANT_HOME": str(tmp_path / "home")})


@pytest.fixture
def fake(paths: AppPaths) -> FakeFirstRun:
    return FakeFirstRun(paths)


@pytest.fixture
def sound() -> FakeServices:
    """The settings services behind the microphone section (devices, level, play back)."""
    return FakeServices()


@pytest.fixture
def dialog(
    qtbot: QtBot, paths: AppPaths, fake: FakeFirstRun, sound: FakeServices
) -> Iterator[FirstRunDialog]:
    shown = FirstRunDialog(fake.needs(False), fake, sound, SettingsStore(paths))
    qtbot.addWidget(shown)
    shown.show()
    yield shown
    shown.reject()


def test_download_all_fills_the_bars_and_the_needs_go(qtbot: QtBot, dialog: FirstRunDialog) -> None:
    assert len(dialog.missing()) == 3
    assert dialog.intro.text().startswith("A few things are missing")
    assert dialog.download_all.text().startswith("Download &all (")
    assert dialog.close_button.text() == "&Not now"
    whisper = dialog.rows["whisper"]
    assert whisper.reason.text().startswith("The assistant needs a speech model to hear you")
    assert whisper.download.text().startswith("&Download (")
    dialog.download_all.click()
    qtbot.waitUntil(lambda: not dialog.missing() and dialog.close_button.text() == "&Done", timeout=5000)
    assert dialog.panel.overall_bar.value() == dialog.panel.overall_bar.maximum()
    assert dialog.panel.overall_line.text().startswith("Done: ")
    assert dialog.intro.text() == "Everything is ready: press Done and ask your first question."
    assert not dialog.panel.cancel.isVisibleTo(dialog)
    assert all(row.problem.text() == "Ready." for row in dialog.rows.values())
    assert not any(row.reason.isVisible() for row in dialog.rows.values())
    assert not dialog.download_all.isVisible()


def test_cancel_stops_the_download_and_offers_it_again(
    qtbot: QtBot, dialog: FirstRunDialog, fake: FakeFirstRun
) -> None:
    fake.hold.add("kokoro-v1.0")
    row = dialog.rows["kokoro-model"]
    offer = row.download.text()
    row.download.click()
    assert fake.started.wait(5)
    qtbot.waitUntil(lambda: "of" in dialog.panel.file_line.text(), timeout=5000)
    assert not row.download.isEnabled() and dialog.panel.cancel.isEnabled()
    dialog.panel.cancel.click()
    qtbot.waitUntil(lambda: row.download.isEnabled(), timeout=5000)
    assert fake.cancelled == ["kokoro-v1.0"]
    assert row.download.text() == offer and not row.ready
    assert "kokoro-model" in [need.kind for need in dialog.missing()]


def test_a_failed_download_shows_its_line_and_retries(
    qtbot: QtBot, dialog: FirstRunDialog, fake: FakeFirstRun
) -> None:
    fake.fail_once.add("kokoro-voices-v1.0")
    row = dialog.rows["kokoro-voices"]
    row.download.click()
    qtbot.waitUntil(lambda: row.download.text() == "&Retry" and row.download.isEnabled(), timeout=5000)
    assert row.problem.text() == "The download of model.bin failed. Check the connection and try again."
    row.download.click()
    qtbot.waitUntil(lambda: row.ready, timeout=5000)
    assert row.problem.text() == "Ready."


def test_an_import_that_fails_says_why(
    qtbot: QtBot, dialog: FirstRunDialog, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(
        "desktop_assistant.ui.first_run.QFileDialog.getExistingDirectory", lambda *args: str(tmp_path)
    )
    row = dialog.rows["whisper"]
    row.import_files.click()
    qtbot.waitUntil(lambda: "is not a CTranslate2 Whisper model" in row.problem.text(), timeout=5000)
    assert row.download.text() == "&Retry"


def test_ollama_shows_how_to_start_it(qtbot: QtBot, paths: AppPaths, fake: FakeFirstRun) -> None:
    down = SetupNeeds((*fake.needs(False).needs, _ollama_need(reachable=False)), True)
    shown = FirstRunDialog(down, fake, FakeServices(), SettingsStore(paths))
    qtbot.addWidget(shown)
    row = shown.rows[OLLAMA]
    qtbot.waitUntil(lambda: row.hint.text() == "Start the Ollama app, or run 'ollama serve'.", timeout=5000)
    assert not row.download.isVisibleTo(shown) and row.check_again.isVisibleTo(shown)
    row.set_need(_ollama_need(reachable=True))
    assert row.download.isVisibleTo(shown) and row.download.text() == "&Pull (3.3 GB)"
    shown.reject()


def _ollama_need(reachable: bool) -> SetupNeed:
    return SetupNeed(OLLAMA, load_catalog().get("gemma3:4b"), "Ollama is needed.", "Not there.", reachable)


def test_the_microphone_is_listed_tested_played_back_and_saved(
    qtbot: QtBot,
    dialog: FirstRunDialog,
    paths: AppPaths,
    sound: FakeServices,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    combo = dialog.microphone.page.input_device
    qtbot.waitUntil(lambda: combo.findData("USB Headset") >= 0, timeout=5000)
    combo.setCurrentIndex(combo.findData("USB Headset"))
    combo.activated.emit(combo.currentIndex())
    assert SettingsStore(paths).load().audio.input_device == "USB Headset"
    qtbot.waitUntil(lambda: dialog.microphone.page.meter.value() > 0, timeout=5000)
    monkeypatch.setattr(first_run_pages, "MIC_TEST_S", 0.2)
    dialog.microphone.test.click()
    qtbot.waitUntil(lambda: dialog.microphone.test.isEnabled(), timeout=5000)
    # The fake microphone heard a -20 dBFS burst: 74 % of the meter; it went to the saved speaker.
    assert dialog.microphone.result.text().startswith("Heard you: the level peaked at 74 %, and that was you")
    assert sound.asked[-1] == ("play back", 1600 + 3200, "")


def test_a_silent_microphone_is_not_played_back(
    qtbot: QtBot, dialog: FirstRunDialog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FakeLevel, "record", lambda self, seconds: np.zeros(8000, np.float32))
    qtbot.waitUntil(lambda: dialog.microphone.page.meter.value() > 0, timeout=5000)
    dialog.microphone.test.click()
    qtbot.waitUntil(lambda: dialog.microphone.test.isEnabled(), timeout=5000)
    assert dialog.microphone.result.text().startswith("Hardly anything was heard (peak 0 %)")


def test_the_controller_opens_the_dialog_and_reloads_after_it(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKTOP_ASSISTANT_HOME", str(tmp_path / "home"))
    paths = AppPaths.resolve()
    SettingsStore(paths).set("ui.hotkey_backend", "ptt")
    fake = FakeFirstRun(paths)
    loader = Loader(outcome=ModelFileError("The Whisper model 'tiny.en' is not installed"))
    window = MainWindow(max_image_side=256)
    qtbot.addWidget(window)
    base = services(loader)
    app_services = AppServices(base.open_runtime, base.settings_services, base.hotkeys, lambda context: fake)
    controller = AppController(Context(paths, SettingsStore(paths).load()), window, None, app_services)
    controller.start()
    try:
        gate = controller._first_run
        qtbot.waitUntil(lambda: gate.dialog is not None, timeout=5000)
        loader.go.set()
        qtbot.waitUntil(lambda: "not installed" in window.status_line.message(), timeout=5000)
        assert loader.opened == []
        dialog = gate.dialog
        assert dialog is not None
        dialog.download_all.click()
        qtbot.waitUntil(lambda: not dialog.missing(), timeout=5000)
        loader.outcome = None
        dialog.close_button.click()
        loaded(qtbot, loader, window)
        assert len(loader.opened) == 1 and gate.dialog is None
    finally:
        controller.shutdown()


def test_not_now_is_not_asked_again(qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKTOP_ASSISTANT_HOME", str(tmp_path / "home"))
    paths = AppPaths.resolve()
    SettingsStore(paths).set("ui.hotkey_backend", "ptt")
    fake = FakeFirstRun(paths)
    loader = Loader(outcome=ModelFileError("No Kokoro voice model is set up"))
    window = MainWindow(max_image_side=256)
    qtbot.addWidget(window)
    base = services(loader)
    app_services = AppServices(base.open_runtime, base.settings_services, base.hotkeys, lambda context: fake)
    controller = AppController(Context(paths, SettingsStore(paths).load()), window, None, app_services)
    controller.start()
    try:
        gate = controller._first_run
        qtbot.waitUntil(lambda: gate.dialog is not None, timeout=5000)
        gate.dialog.reject()  # "Not now" while the models still load
        loader.go.set()  # the load fails for a missing model: the gate is asked again, and declines
        qtbot.waitUntil(lambda: "No Kokoro voice model" in window.status_line.message(), timeout=5000)
        assert gate.dialog is None and not controller._loader.busy
    finally:
        controller.shutdown()


def test_closing_mid_download_cancels_it_and_joins_the_worker(
    qtbot: QtBot, dialog: FirstRunDialog, fake: FakeFirstRun
) -> None:
    fake.hold.add("kokoro-v1.0")
    dialog.rows["kokoro-model"].download.click()
    assert fake.started.wait(5)
    dialog.reject()
    assert fake.cancelled == ["kokoro-v1.0"]  # the worker saw its token and ended before reject returned
    assert not dialog.isVisible()


@pytest.mark.parametrize("reachable", [False, True])
def test_ollama_left_missing_is_said_once_the_models_are_ready(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reachable: bool
) -> None:
    monkeypatch.setenv("DESKTOP_ASSISTANT_HOME", str(tmp_path / "home"))
    paths = AppPaths.resolve()
    SettingsStore(paths).set("ui.hotkey_backend", "ptt")

    class OllamaOnly(FakeFirstRun):
        def needs(self, check_ollama: bool) -> SetupNeeds:
            return SetupNeeds((_ollama_need(reachable),), check_ollama)

    loader = Loader()
    window = MainWindow(max_image_side=256)
    qtbot.addWidget(window)
    base = services(loader)
    app_services = AppServices(
        base.open_runtime, base.settings_services, base.hotkeys, lambda context: OllamaOnly(paths)
    )
    controller = AppController(Context(paths, SettingsStore(paths).load()), window, None, app_services)
    controller.start()
    try:
        gate = controller._first_run
        qtbot.waitUntil(lambda: gate.dialog is not None, timeout=5000)
        gate.dialog.reject()  # "Not now", before the models are loaded
        assert window.status_line.message() == "Loading models…"
        loaded(qtbot, loader, window)
        expected = "Not there."
        if reachable:
            expected += " Pull it with 'ollama pull gemma3:4b', or with Pull… in Settings ▸ Assistant."
        qtbot.waitUntil(lambda: window.status_line.message() == expected, timeout=5000)
        assert window.status_line.is_error()
    finally:
        controller.shutdown()
