"""A new user's first run, end to end: the real app on a home with no models opens the first-run
dialog; the user downloads everything with the keyboard, closes the dialog, holds the hotkey and asks a
question, and hears the answer, all without restarting the app.

The loopback model server is the mirror (``DESKTOP_ASSISTANT_MODEL_MIRROR``) and a test catalog
(``DESKTOP_ASSISTANT_CATALOG``) names what it holds: Whisper tiny.en through its Hugging Face API, the
int8 Kokoro model and an English voices file as release files. The dialog is driven as a keyboard user
does: its mnemonics (Alt+A for "Download all", Alt+D for "Done"); the window's text is read through
its copy shortcut, the speaker through its PulseAudio monitor.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soxr

from desktop_assistant.bench.ollama_api import OllamaTestServer
from desktop_assistant.config.settings import SttSettings
from desktop_assistant.fetch.catalog import load_catalog
from desktop_assistant.fetch.install import CATALOG_VARIABLE, MIRROR_VARIABLE
from desktop_assistant.store.packaged import locate_packaged
from desktop_assistant.stt.faster_whisper import FasterWhisperTranscriber
from tests.audio.pulse import RATE, PulseServer
from tests.e2e.desktop import RunningApp, make_home
from tests.e2e.first_sound import first_loud_ms, held_turn
from tests.fetch.catalogs import RELEASE, kokoro_table, release_file, whisper_table, write_catalog
from tests.fetch.model_server import ModelServer
from tests.models_home import english_stand_in, word_error_rate
from tests.xserver import XServer

pytestmark = [pytest.mark.gui, pytest.mark.model, pytest.mark.ollama, pytest.mark.cli]

REPLY = "Sure. Kennedy asked what you can do for your country, not what it can do for you."
DIALOG = "^Set up Desktop Assistant$"
TIMEOUT_S = 120.0
VOICES = "kokoro-voices-en"


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[ModelServer, Path]]:
    """The model server holding Whisper tiny.en, the int8 Kokoro and English voices (the packaged
    Japanese ones under English names), and the catalog TOML that lists exactly those."""
    packaged = locate_packaged(tmp_path / "source")
    voices = english_stand_in(tmp_path / "source" / "voices-en.bin")
    catalog = load_catalog()
    whisper, kokoro = catalog.get("whisper-tiny.en"), catalog.get("kokoro-v1.0-int8")
    model = packaged.kokoro_model
    tables = {
        "whisper": [whisper_table(whisper)],
        "kokoro": [
            kokoro_table(kokoro.name, "model", [release_file(model.name, model.read_bytes())], kokoro.title),
            kokoro_table(
                VOICES, "voices", [release_file(voices.name, voices.read_bytes())], "Kokoro English voices: 5"
            ),
        ],
        "ollama": [{"name": "gemma3:4b", "title": "Gemma 3 4B: sees images", "size": 3_300_000_000}],
    }
    with ModelServer() as server:
        server.add_repo(whisper.repo, whisper.revision, packaged.whisper_dir)
        server.add_file(f"{RELEASE}/{model.name}", model)
        server.add_file(f"{RELEASE}/{voices.name}", voices)
        yield server, write_catalog(tmp_path / "catalog.toml", tables)


def test_a_new_user_downloads_the_models_in_the_dialog_and_talks_without_a_restart(
    xserver: XServer,
    room: PulseServer,
    tmp_path: Path,
    ollama_server: OllamaTestServer,
    mirror: tuple[ModelServer, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, catalog = mirror
    monkeypatch.setenv(MIRROR_VARIABLE, server.url)
    monkeypatch.setenv(CATALOG_VARIABLE, str(catalog))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    ollama_server.reply = REPLY
    ollama_server.tokens_per_s = 30
    ollama_server.first_token_delay_s = 0.3
    home = make_home(tmp_path / "home", None, ollama_server.url)
    app = RunningApp(home, xserver, room, wait_loaded=False)
    try:
        dialog = xserver.find_window(DIALOG, TIMEOUT_S)
        time.sleep(1.0)  # a screenshot only: let the dialog paint
        app.screenshot(tmp_path / "first-run-before.png", dialog)
        assert server.requests == []  # nothing is fetched before the user asks

        press(xserver, dialog, "alt+a")  # Download all
        app.wait_for(lambda: "First run: the downloads are over" in app.log(), TIMEOUT_S, "the downloads")
        log = app.log()
        assert "still missing: nothing" in log
        for name in ("whisper-tiny.en", "kokoro-v1.0-int8", VOICES):
            assert f"First run: {name} is installed" in log
        fetched = {r.path for r in server.requests if r.method == "GET"}
        assert {f"{RELEASE}/kokoro-v1.0.int8.onnx", f"{RELEASE}/voices-en.bin"} <= fetched
        assert any(path.endswith("/model.bin") for path in fetched)
        time.sleep(1.0)  # a screenshot only: let the rows repaint as Ready
        app.screenshot(tmp_path / "first-run-after.png", dialog)

        press(xserver, dialog, "alt+d")  # Done
        app.wait_for(lambda: not visible(xserver, DIALOG), TIMEOUT_S, "the dialog to close")
        app.wait_for(lambda: "Models loaded" in app.log(), TIMEOUT_S, "the downloaded models to load")

        heard, released_at = held_turn(app, xserver, room, None)
        first_loud_ms(heard, released_at)  # the reply reached the speaker
        shown = app.conversation()
        assert "ask not what your country can do for you" in shown.lower()
        assert "not what it can do for you" in shown
        asked = [
            r.body["messages"][-1]["content"]
            for r in ollama_server.requests_to("/api/chat")
            if r.body.get("messages")
        ]
        assert asked and "fellow americans" in asked[-1].lower()

        # What was said aloud, heard back with the Whisper model the dialog downloaded.
        whisper = FasterWhisperTranscriber(SttSettings(device="cpu"), home / "models" / "whisper" / "tiny.en")
        spoken_back = whisper.transcribe(soxr.resample(heard, RATE, 16_000).astype(np.float32)).text
        wer = word_error_rate(REPLY, spoken_back)
        assert wer < 0.35, f"WER {wer:.3f}: {spoken_back!r}"
    finally:
        status = app.quit()
    assert status == 0
    assert "Traceback" not in app.stderr.read_text()


def press(x: XServer, window: str, keys: str) -> None:
    """Type ``keys`` into ``window`` as the user would, with the window focused."""
    x.run("xdotool", "windowfocus", "--sync", window)
    x.run("xdotool", "key", "--clearmodifiers", keys)


def visible(x: XServer, title: str) -> bool:
    """Whether a window whose title matches ``title`` is on the screen."""
    return bool(x.run("xdotool", "search", "--onlyvisible", "--name", title, check=False).stdout.split())
