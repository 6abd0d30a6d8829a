"""The Assistant page's Ollama models through the real settings services and the loopback server: the
vision badge and line, Pull… with its summed progress and Cancel, Delete with its confirmation, and the
start hint where no server runs."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from desktop_assistant.app import Context
from desktop_assistant.bench.ollama_api import OllamaTestServer
from desktop_assistant.bench.ollama_bodies import MODEL_SIZE, pull_lines
from desktop_assistant.config.secrets import SecretStore
from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.fetch.catalog import OLLAMA, load_catalog
from desktop_assistant.fetch.progress import human_bytes
from desktop_assistant.llm.ollama_host import ollama_start_hint
from desktop_assistant.ui.download_progress import BAR_STEPS
from desktop_assistant.ui.settings_assistant import AssistantPage
from desktop_assistant.ui.settings_fields import BackgroundCalls, PageTools, SettingsSaver
from desktop_assistant.ui.settings_services import AppSettingsServices
from tests.config.test_secrets import MemoryKeyring, use_keyring
from tests.ui.test_settings_dialog import choose

pytestmark = [pytest.mark.gui, pytest.mark.ollama]

OpenPage = Callable[[str], AssistantPage]
SEES = "gemma3:4b sees images: it can answer about screenshots and pasted images."
TEXT_ONLY = "llama3.2:1b reads text only: questions with a screenshot or image need a model that sees images."


@pytest.fixture
def open_page(qtbot: QtBot, paths: AppPaths, store: SettingsStore) -> Iterator[OpenPage]:
    """Show the Assistant page for the server at a URL, over the real services, once it has listed.

    Its calls stop delivering once it is gone, as the settings dialog's do."""
    opened: list[BackgroundCalls] = []
    windows: list[QWidget] = []

    def open_(url: str) -> AssistantPage:
        store.set("llm.host", url)
        settings = store.load()
        services = AppSettingsServices(Context(paths, settings))
        calls = BackgroundCalls(lambda line: None)
        opened.append(calls)
        tools = PageTools(SettingsSaver(store, settings), calls, services, lambda line: None)
        # In a window of its own (as in the settings' tabs), so a test may delete the page alone.
        window = QWidget()
        windows.append(window)
        qtbot.addWidget(window)
        page = AssistantPage(tools, SecretStore(), window)
        page.destroyed.connect(calls.close)
        window.show()
        qtbot.waitUntil(
            lambda: page.api_key.isEnabled() and not page.server_message.text().startswith("Asking")
        )
        return page

    with use_keyring(MemoryKeyring()):
        yield open_
    for calls in opened:
        calls.close()


def listed(page: AssistantPage) -> list[str]:
    return [page.model.itemText(i) for i in range(page.model.count())]


def start_pull(qtbot: QtBot, page: AssistantPage, name: str) -> QDialog:
    """Press Pull…, type ``name`` into the name dialog and accept it; the pull's progress dialog."""
    page.model_actions.pull_button.click()
    qtbot.waitUntil(
        lambda: page.model_actions.name_dialog is not None and page.model_actions.name_dialog.isVisible()
    )
    names = page.model_actions.name_dialog
    assert names is not None
    names.setTextValue(name)
    names.accept()
    pulling = page.model_actions.pull_dialog
    assert pulling is not None and pulling.isVisible()
    return pulling


def test_each_model_says_whether_it_sees_images(
    qtbot: QtBot, open_page: OpenPage, ollama_server: OllamaTestServer, store: SettingsStore
) -> None:
    ollama_server.add_model("llama3.2:1b", vision=False)
    page = open_page(ollama_server.url)
    assert listed(page) == ["gemma3:4b — sees images", "llama3.2:1b"]
    assert page.vision.text() == SEES
    choose(page.model, "llama3.2:1b")
    assert page.vision.text() == TEXT_ONLY
    assert store.load().llm.model == "llama3.2:1b"


def test_a_pull_shows_its_layers_summed_then_the_model_is_listed_chosen_and_saved(
    qtbot: QtBot, open_page: OpenPage, ollama_server: OllamaTestServer, store: SettingsStore
) -> None:
    page = open_page(ollama_server.url)
    page.model_actions.pull_button.click()
    qtbot.waitUntil(
        lambda: page.model_actions.name_dialog is not None and page.model_actions.name_dialog.isVisible()
    )
    names = page.model_actions.name_dialog
    assert names is not None
    catalog = load_catalog().of_kind(OLLAMA)
    assert names.comboBoxItems() == [f"{e.name} — {human_bytes(e.size)}" for e in catalog]
    assert names.comboBoxItems()[0] == "gemma3:4b — 3.3 GB"
    names.reject()
    pulling = start_pull(qtbot, page, "llama3.2:1b")
    ended: list[tuple[int, tuple[int, int], int]] = []
    pulling.finished.connect(
        lambda result: ended.append((result, pulling.panel.job_bytes, pulling.panel.file_bar.value()))
    )
    qtbot.waitUntil(lambda: bool(ended))
    layers = {line["digest"]: line["total"] for line in pull_lines("llama3.2:1b")}
    summed = sum(layers.values())
    assert len(layers) == 3 and summed > MODEL_SIZE
    assert ended == [(QDialog.DialogCode.Accepted, (summed, summed), BAR_STEPS)]
    qtbot.waitUntil(lambda: "llama3.2:1b" in listed(page))
    assert listed(page) == ["gemma3:4b — sees images", "llama3.2:1b"]
    assert page.model.currentData() == "llama3.2:1b"
    assert page.vision.text() == TEXT_ONLY
    assert store.load().llm.model == "llama3.2:1b"
    # The warm-up after the pull: an empty chat that loads the model.
    assert [(r.body["model"], r.body["messages"]) for r in ollama_server.requests_to("/api/chat")] == [
        ("llama3.2:1b", [])
    ]


def test_cancel_mid_pull_closes_the_dialog_with_one_line_and_lists_nothing_new(
    qtbot: QtBot, open_page: OpenPage, ollama_server: OllamaTestServer, store: SettingsStore
) -> None:
    # The second layer line would come a minute later: only the hang-up can end this pull.
    ollama_server.pull_line_delay_s = 60.0
    page = open_page(ollama_server.url)
    pulling = start_pull(qtbot, page, "llama3.2:1b")
    qtbot.waitUntil(lambda: pulling.panel.file_line.text().startswith("llama3.2:1b: 0 B of 3.3 GB"))
    ended: list[int] = []
    pulling.finished.connect(ended.append)
    pulling.panel.cancel.click()
    qtbot.waitUntil(lambda: bool(ended))
    assert ended == [QDialog.DialogCode.Rejected]
    assert page.server_message.text() == (
        "The pull of 'llama3.2:1b' was cancelled. Pull it again to go on where it stopped."
    )
    assert ollama_server.wait_for(lambda s: s.requests_to("/api/pull")[0].hung_up_at is not None)
    assert "llama3.2:1b" not in ollama_server.models
    assert listed(page) == ["gemma3:4b — sees images"]
    assert store.load().llm.model == "gemma3:4b"
    assert ollama_server.requests_to("/api/chat") == []


def test_closing_the_progress_or_the_page_mid_pull_hangs_up(
    qtbot: QtBot, open_page: OpenPage, ollama_server: OllamaTestServer
) -> None:
    ollama_server.pull_line_delay_s = 60.0
    page = open_page(ollama_server.url)
    pulling = start_pull(qtbot, page, "llama3.2:1b")
    qtbot.waitUntil(lambda: " of " in pulling.panel.file_line.text())
    QTest.keyClick(pulling, Qt.Key.Key_Escape)
    assert not pulling.isVisible()
    qtbot.waitUntil(lambda: "cancelled" in page.server_message.text())
    assert ollama_server.wait_for(lambda s: s.requests_to("/api/pull")[0].hung_up_at is not None)
    # The settings closing mid-pull takes the progress dialog with it, and that cancels the pull too.
    pulling = start_pull(qtbot, page, "llama3.2:1b")
    qtbot.waitUntil(lambda: " of " in pulling.panel.file_line.text())
    shiboken6.delete(page)
    assert ollama_server.wait_for(lambda s: s.requests_to("/api/pull")[1].hung_up_at is not None)
    assert "llama3.2:1b" not in ollama_server.models


def confirmation(qtbot: QtBot, page: AssistantPage, name: str) -> QMessageBox:
    """Choose ``name`` and press Delete; the confirmation it opens."""
    choose(page.model, name)
    page.model_actions.delete_button.click()
    box = page.model_actions.confirmation
    assert box is not None
    qtbot.waitUntil(box.isVisible)
    return box


def test_delete_asks_first_naming_the_model_and_its_size(
    qtbot: QtBot, open_page: OpenPage, ollama_server: OllamaTestServer
) -> None:
    ollama_server.add_model("llama3.2:1b", vision=False)
    page = open_page(ollama_server.url)
    box = confirmation(qtbot, page, "llama3.2:1b")
    assert box.text() == f"Delete llama3.2:1b (3.3 GB) from Ollama at {ollama_server.url}?"
    (delete,) = [b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole]
    delete.click()
    qtbot.waitUntil(lambda: "llama3.2:1b — not on the server" in listed(page))
    assert listed(page) == ["llama3.2:1b — not on the server", "gemma3:4b — sees images"]
    assert "llama3.2:1b" not in ollama_server.models
    assert not page.model_actions.delete_button.isEnabled()
    assert page.server_message.text() == ""


def test_a_declined_delete_keeps_the_model(
    qtbot: QtBot, open_page: OpenPage, ollama_server: OllamaTestServer
) -> None:
    page = open_page(ollama_server.url)
    box = confirmation(qtbot, page, "gemma3:4b")
    closed: list[int] = []
    box.finished.connect(closed.append)
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert closed
    assert ollama_server.requests_to("/api/delete") == []
    assert "gemma3:4b" in ollama_server.models
    assert listed(page) == ["gemma3:4b — sees images"]
    assert page.model_actions.delete_button.isEnabled() and page.model_actions.pull_button.isEnabled()


def test_a_dead_server_says_how_to_start_ollama_for_the_list_and_a_pull(
    qtbot: QtBot, open_page: OpenPage
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    page = open_page(url)
    hint = f"Cannot reach Ollama at {url}. {ollama_start_hint()}"
    assert page.server_message.text() == hint
    assert not page.model_actions.delete_button.isEnabled()
    page.server_message.clear()
    pulling = start_pull(qtbot, page, "gemma3:4b")
    ended: list[int] = []
    pulling.finished.connect(ended.append)
    qtbot.waitUntil(lambda: bool(ended))
    assert page.server_message.text() == hint
