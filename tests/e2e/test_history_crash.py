"""The real app killed with SIGKILL mid-reply, then started again: the history keeps the question and
the reply as far as it streamed, the file stays sound, and the restarted app continues that conversation.

Same setting as ``test_desktop_app.py``: ``desktop-assistant run`` on a private X server and PulseAudio;
the questions are typed into the window with ``xdotool`` and the history is read from the test through
its own ``HistoryStore``, as another process would.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from desktop_assistant.bench.ollama_api import OllamaTestServer
from desktop_assistant.core.conversation import CUT_OFF
from desktop_assistant.store.history import DATABASE_NAME, HistoryStore, history_folder
from desktop_assistant.store.history_records import TurnRecord
from tests.audio.pulse import PulseServer
from tests.e2e.desktop import START_TIMEOUT_S, RunningApp, make_home
from tests.xserver import XServer

pytestmark = [pytest.mark.gui, pytest.mark.model, pytest.mark.ollama, pytest.mark.cli]

FIRST_QUESTION = "Tell me a long story about the sea."
LONG_REPLY = (
    "The sea was calm that morning. A small boat left the harbour at dawn. Its sailor sang an old song."
    " The wind rose by noon and the waves grew tall. By evening the boat came home safe."
)
NEXT_QUESTION = "How did it end?"
SHORT_REPLY = "It ended well, back in the harbour."
WAIT_S = 60.0


def type_question(app: RunningApp, text: str) -> None:
    """Type ``text`` into the window's question box and send it with Return."""
    app.x.run("xdotool", "windowfocus", "--sync", app.window)
    app.x.run("xdotool", "type", "--delay", "10", text)
    app.x.run("xdotool", "key", "Return")


def poll(ready: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def stored_turns(folder: Path) -> list[TurnRecord]:
    """Every turn of the latest conversation, read through a store of the test's own."""
    if not (folder / DATABASE_NAME).exists():
        return []
    store = HistoryStore(folder)
    try:
        latest = store.latest()
        return [] if latest is None else store.turns(latest.id)
    finally:
        store.close()


def test_a_kill_mid_reply_keeps_the_partial_turn_and_the_restarted_app_continues_it(
    xserver: XServer, room: PulseServer, tmp_path: Path, model_home: Path, ollama_server: OllamaTestServer
) -> None:
    ollama_server.reply = LONG_REPLY
    ollama_server.tokens_per_s = 4  # the long reply would take about 15 s
    home = make_home(tmp_path / "home", model_home, ollama_server.url)
    folder = history_folder(home / "data")

    # 1. A typed question; kill the app once part of its reply is on disk.
    app = RunningApp(home, xserver, room)
    try:
        type_question(app, FIRST_QUESTION)
        # Kept at each sentence end: once some of it went to speech, the restart has something heard.
        poll(lambda: any(t.spoken for t in stored_turns(folder)), WAIT_S, "part of the reply in the history")
    finally:
        app.process.send_signal(signal.SIGKILL)
        app.process.wait(timeout=10)
    assert ollama_server.wait_for(lambda s: s.chat_streams[-1].outcome != "streaming", 10.0)
    assert ollama_server.chat_streams[-1].outcome == "abandoned"  # it died before the reply was over

    store = HistoryStore(folder)
    try:
        assert store.integrity() == "ok"
        (summary,) = store.conversations()
        (killed,) = store.turns(summary.id)
    finally:
        store.close()
    assert killed.question == FIRST_QUESTION and killed.source == "typed"
    assert killed.reply and LONG_REPLY.startswith(killed.reply) and killed.reply != LONG_REPLY
    assert killed.ended_at is None and killed.cut_short
    assert killed.error is None and killed.models.get("llm") == "gemma3:4b"

    # 2. Started again: the window is up, and a new typed question continues the same conversation.
    ollama_server.reply = SHORT_REPLY
    ollama_server.tokens_per_s = 0
    loads_before = app.log().count("Models loaded")
    again = RunningApp(home, xserver, room, wait_loaded=False)
    try:
        again.wait_for(
            lambda: again.log().count("Models loaded") > loads_before, START_TIMEOUT_S, "the models to load"
        )
        # The app reopens the latest conversation at start and shows its turns.
        again.wait_for(lambda: FIRST_QUESTION in again.conversation(), WAIT_S, "the old turn in the window")
        assert killed.reply in again.conversation()
        type_question(again, NEXT_QUESTION)
        poll(
            lambda: [t.ended_at is not None for t in stored_turns(folder)] == [False, True],
            WAIT_S,
            "the new turn's end in the history",
        )
        again.wait_for(lambda: SHORT_REPLY in again.conversation(), WAIT_S, "the new reply in the window")
    finally:
        status = again.quit()
    assert status == 0
    assert "Traceback" not in again.stderr.read_text()

    store = HistoryStore(folder)
    try:
        assert store.integrity() == "ok"
        (summary_after,) = store.conversations()
        old, new = store.turns(summary.id)
    finally:
        store.close()
    assert summary_after.id == summary.id
    assert old == killed  # the killed turn stays as it was left
    assert new.question == NEXT_QUESTION and new.reply == SHORT_REPLY
    assert not new.cut_short and new.error is None
    # The model was asked with the killed turn in context, cut off where its reply stopped.
    messages = ollama_server.requests_to("/api/chat")[-1].body["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[1]["content"] == FIRST_QUESTION
    assert messages[2]["content"] == f"{killed.spoken} {CUT_OFF}"
    assert messages[3]["content"] == NEXT_QUESTION
