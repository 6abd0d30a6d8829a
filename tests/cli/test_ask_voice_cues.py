"""``ask --audio`` with voice cues: a subprocess in a home of its own (the test models shared), the real
Whisper and measures, the loopback Ollama. A hurried, loud recording reaches the model with its note
and the history keeps it; the plain recording after it goes without, and the note stays on the past
question the follow-up sends."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from desktop_assistant.audio.files import read_audio, write_wav
from desktop_assistant.bench.ollama_api import OllamaTestServer, RecordedRequest
from desktop_assistant.core.voice_cues import BASELINE_NAME
from desktop_assistant.store.history import HistoryStore, history_folder
from tests.audio.voice_edits import gain, tempo
from tests.cli.test_history_cmd import cli, ok
from tests.models_home import speech_file

pytestmark = [pytest.mark.cli, pytest.mark.model, pytest.mark.ollama]

REPLY = "He asked them to serve their country."
NOTE = "(spoken quickly and loudly)"


@dataclass(frozen=True)
class Asked:
    """The home, the two asks' reports, the chats the server saw and the history's markdown."""

    home: Path
    hurried: dict[str, Any]
    plain: dict[str, Any]
    chats: list[RecordedRequest]
    shown: str


@pytest.fixture(scope="module")
def asked(model_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Asked]:
    home = tmp_path_factory.mktemp("voice-home")
    shutil.copytree(model_home / "config", home / "config")
    (home / "models").symlink_to(model_home / "models")
    hurried = home / "hurried.wav"
    write_wav(hurried, gain(tempo(read_audio(speech_file(), 16_000), 2.0), 8), 16_000)
    with OllamaTestServer(reply=REPLY) as server:
        first = json.loads(ok(cli(home, "ask", "--audio", hurried, "--json", host=server.url)))
        conversation = first["conversation_id"]
        second = cli(
            home, "ask", "--audio", speech_file(), "--conversation", conversation, "--json", host=server.url
        )
        chats = [chat for chat in server.requests_to("/api/chat") if chat.body.get("messages")]
    shown = ok(cli(home, "history", "show", conversation))
    yield Asked(home, first, json.loads(ok(second)), chats, shown)


def test_the_hurried_recording_reaches_the_model_with_its_note(asked: Asked) -> None:
    first, _ = asked.chats
    question = first.body["messages"][-1]
    assert question == {"role": "user", "content": f"{asked.hurried['transcript']} {NOTE}"}
    assert "fellow americans" in asked.hurried["transcript"].lower()
    assert (asked.hurried["voice_cues"], asked.plain["voice_cues"]) == (NOTE, "")


def test_the_plain_recording_goes_without_and_the_past_note_stays(asked: Asked) -> None:
    _, second = asked.chats
    messages = [(m["role"], m["content"]) for m in second.body["messages"][1:]]
    assert messages == [
        ("user", f"{asked.hurried['transcript']} {NOTE}"),
        ("assistant", REPLY),
        ("user", asked.plain["transcript"]),
    ]


def test_the_history_keeps_the_note_with_the_turn(asked: Asked) -> None:
    store = HistoryStore(history_folder(asked.home / "data"))
    try:
        hurried, plain = store.turns(asked.hurried["conversation_id"])
    finally:
        store.close()
    assert (hurried.question, hurried.voice_cues) == (asked.hurried["transcript"], NOTE)
    assert hurried.voice_measures["words_per_s"] is not None and hurried.voice_measures["words_per_s"] > 5
    assert (plain.voice_cues, plain.source) == ("", "spoken")
    assert f"- Voice: {NOTE}" in asked.shown and asked.shown.count("- Voice:") == 1
    assert json.loads((asked.home / "data" / BASELINE_NAME).read_text())["turns"] == 2
