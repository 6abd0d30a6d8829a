"""The history from end to end, as a user builds it in the real app: a spoken question whose reply the
guard redacts, a typed one with a pasted screenshot, one stopped mid-reply, one cut by a SIGKILL; then
the restarted app shows the conversation, the command line finds and exports it, and the next question
continues it with its context.

Same setting as ``test_desktop_app.py`` (``desktop-assistant run`` on a private X server and
PulseAudio, the loopback Ollama); the history is read through a store of the test's own.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
from PIL import Image

from desktop_assistant.bench.ollama_api import OllamaTestServer
from desktop_assistant.core.conversation import CUT_OFF, IMAGE_NOTE, NOTHING_HEARD
from desktop_assistant.store.history import HistoryStore, history_folder
from desktop_assistant.store.history_records import TurnRecord, title_for
from tests.audio.pulse import PulseServer
from tests.e2e.desktop import START_TIMEOUT_S, RunningApp, make_home, speak_into_room
from tests.e2e.test_history_crash import poll, stored_turns, type_question
from tests.models_home import speech_file
from tests.xserver import XServer

pytestmark = [pytest.mark.gui, pytest.mark.model, pytest.mark.ollama, pytest.mark.cli]

HOTKEY = "ctrl+alt+space"
WAIT_S = 90.0
PHONE = "+1 212-555-0123"
SPOKEN_REPLY = f"Sure. Call the speech office at {PHONE} for a copy of it."
CHART_QUESTION = "What does this chart show?"
CHART_REPLY = "The chart shows sales rising every month."
STORY = (
    "Once upon a time a lighthouse keeper lived on a rock. Every night he lit the lamp for the ships."
    " One winter the lamp went out and he climbed the stairs in the dark. The ships came home safe."
)
NEXT_QUESTION = "Thanks. What did we talk about?"
NEXT_REPLY = "We talked about a speech, a chart and a lighthouse."


def chart(path: Path) -> Path:
    """A small picture to paste, standing in for a screenshot."""
    Image.new("RGB", (320, 200), (37, 99, 235)).save(path)
    return path


def turns_when(folder: Path, ready: int) -> list[TurnRecord]:
    """The latest conversation's turns once ``ready`` of them have ended."""
    poll(
        lambda: sum(t.ended_at is not None for t in stored_turns(folder)) >= ready,
        WAIT_S,
        f"{ready} ended turn(s) in the history",
    )
    return stored_turns(folder)


def speaking(folder: Path, turn: int) -> None:
    """Wait until the ``turn``-th turn's reply has begun to go to speech (kept at each sentence)."""
    poll(
        lambda: len(turns := stored_turns(folder)) >= turn and bool(turns[turn - 1].spoken),
        WAIT_S,
        f"turn {turn}'s reply going to speech",
    )


def test_a_conversation_survives_a_kill_is_found_exported_and_continued(
    xserver: XServer, room: PulseServer, tmp_path: Path, model_home: Path, ollama_server: OllamaTestServer
) -> None:
    home = make_home(tmp_path / "home", model_home, ollama_server.url)
    folder = history_folder(home / "data")
    ollama_server.tokens_per_s = 40

    app = RunningApp(home, xserver, room)
    try:
        # 1. Spoken, with the hotkey held; the reply holds a phone number the guard keeps from speech.
        ollama_server.reply = SPOKEN_REPLY
        xserver.run("xdotool", "keydown", HOTKEY)
        speak_into_room(room, speech_file())
        time.sleep(0.5)
        xserver.run("xdotool", "keyup", HOTKEY)
        turns_when(folder, 1)

        # 2. Typed, with a pasted screenshot.
        ollama_server.reply = CHART_REPLY
        xserver.copy_image(chart(tmp_path / "chart.png"))
        xserver.run("xdotool", "windowfocus", "--sync", app.window)
        xserver.run("xdotool", "key", "--clearmodifiers", "ctrl+v")
        time.sleep(1.0)  # the image is prepared on the window's worker
        type_question(app, CHART_QUESTION)
        turns_when(folder, 2)

        # 3. Stopped (Esc) once part of the reply went to speech.
        ollama_server.reply, ollama_server.tokens_per_s = STORY, 5
        type_question(app, "Tell me a story about a lighthouse.")
        speaking(folder, 3)
        xserver.run("xdotool", "key", "Escape")
        turns_when(folder, 3)

        # 4. Killed mid-reply.
        type_question(app, "Tell it again, slower.")
        speaking(folder, 4)
    finally:
        app.process.send_signal(signal.SIGKILL)
        app.process.wait(timeout=10)

    store = HistoryStore(folder)
    try:
        assert store.integrity() == "ok"
        (conversation,) = store.conversations()
        spoken, typed, stopped, killed = store.turns(conversation.id)
    finally:
        store.close()
    assert [t.source for t in (spoken, typed, stopped, killed)] == ["spoken", "typed", "typed", "typed"]
    assert "ask not what your country can do for you" in spoken.question.lower()
    assert conversation.title == title_for(spoken.question)
    assert spoken.reply == SPOKEN_REPLY and PHONE not in spoken.spoken and "redacted" in spoken.spoken
    assert [(a.kind, a.rule, a.text) for a in spoken.guard_actions] == [("redacted", "phone number", PHONE)]
    assert spoken.models.get("stt") and spoken.timings_ms.get("stt") is not None
    (image,) = typed.images
    assert typed.question == CHART_QUESTION and typed.reply == CHART_REPLY
    assert image.file is not None and image.file.is_file() and image.thumbnail is not None
    assert stopped.interrupted and stopped.ended_at is not None
    assert STORY.startswith(stopped.heard) and len(stopped.heard) < len(STORY)
    assert killed.ended_at is None and killed.cut_short and STORY.startswith(killed.reply)

    # 5. Found and exported from the command line, as another process.
    found = app.cli("history", "search", "lighthouse")
    assert found.returncode == 0 and conversation.id in found.stdout and "[lighthouse]" in found.stdout
    assert app.cli("history", "export", "--format", "json", "--out", str(tmp_path / "h.json")).returncode == 0
    exported = json.loads((tmp_path / "h.json").read_text())["conversations"][0]
    assert [t["id"] for t in exported["turns"]] == [spoken.id, typed.id, stopped.id, killed.id]
    at = SPOKEN_REPLY.index(PHONE)  # the reply's spoken text is the same up to the number
    redaction = {"kind": "redacted", "rule": "phone number", "text": PHONE, "span": [at, at + len(PHONE)]}
    assert exported["turns"][0]["guard_actions"] == [redaction]
    assert exported["turns"][2]["interrupted"] and exported["turns"][3]["incomplete"]
    markdown = app.cli("history", "export", conversation.id, "--format", "md").stdout
    for text in (CHART_QUESTION, CHART_REPLY, image.name, PHONE, "phone number", stopped.heard):
        assert text in markdown

    # 6. Started again: the conversation is on screen, and the next question continues it.
    ollama_server.reply, ollama_server.tokens_per_s = NEXT_REPLY, 0
    loads = app.log().count("Models loaded")
    again = RunningApp(home, xserver, room, wait_loaded=False)
    try:
        again.wait_for(lambda: again.log().count("Models loaded") > loads, START_TIMEOUT_S, "the models")
        again.wait_for(lambda: CHART_QUESTION in again.conversation(), WAIT_S, "the old turns in the window")
        shown = again.conversation()
        assert spoken.question in shown and CHART_REPLY in shown and killed.reply in shown
        type_question(again, NEXT_QUESTION)
        again.wait_for(lambda: NEXT_REPLY in again.conversation(), WAIT_S, "the new reply")
        turns_when(folder, 4)  # the killed one never ends: 4 ended = the 3 before it and the new one
    finally:
        status = again.quit()
    assert status == 0 and "Traceback" not in again.stderr.read_text()

    messages = ollama_server.requests_to("/api/chat")[-1].body["messages"]
    users = [m for m in messages if m["role"] == "user"]
    answers = [m["content"] for m in messages if m["role"] == "assistant"]
    assert [m["content"] for m in users] == [
        f"{spoken.question} {spoken.voice_cues}".strip(),  # as the model got it, with any voice note
        f"{CHART_QUESTION}\n{IMAGE_NOTE}",  # older than llm.images_in_context: only a note is sent
        stopped.question,
        killed.question,
        NEXT_QUESTION,
    ]
    assert answers == [
        SPOKEN_REPLY,
        CHART_REPLY,
        f"{stopped.heard} {CUT_OFF}" if stopped.heard.strip() else NOTHING_HEARD,
        f"{killed.spoken} {CUT_OFF}",
    ]
