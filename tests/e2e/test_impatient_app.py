"""The real app under Xvfb, used by an impatient user: press again 50 ms after letting go, barge in
before the model's first token, and quit while the warm-up waits on a server that never answers.

Same setting as ``test_desktop_app.py``: ``desktop-assistant run`` on a private X server and PulseAudio,
the question spoken into the ``room`` sink in real time while ``xdotool`` holds the hotkey.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from desktop_assistant.bench.ollama_api import OllamaTestServer
from tests.audio.pulse import PulseServer
from tests.e2e.desktop import RunningApp, make_home, speak_into_room
from tests.models_home import speech_file
from tests.xserver import XServer

pytestmark = [pytest.mark.gui, pytest.mark.model, pytest.mark.ollama, pytest.mark.cli]

JFK = speech_file()
REPLY = "Kennedy said that in January 1961."
HOTKEY = "ctrl+alt+space"
TURN_TIMEOUT_S = 90.0
# Barge-in: the abandoned question's first token would come this late.
SLOW_FIRST_TOKEN_S = 10.0


def questions(server: OllamaTestServer) -> list[str]:
    """The last user message of every chat that asked something (the warm-up's load asks nothing)."""
    return [
        r.body["messages"][-1]["content"] for r in server.requests_to("/api/chat") if r.body.get("messages")
    ]


def test_press_again_at_once_and_barge_in_before_the_first_token(
    xserver: XServer, room: PulseServer, tmp_path: Path, model_home: Path, ollama_server: OllamaTestServer
) -> None:
    ollama_server.reply = REPLY
    ollama_server.tokens_per_s = 30
    # Every request is counted here: no early replies (their own tests are in tests/core).
    home = make_home(tmp_path / "home", model_home, ollama_server.url, audio__early_reply="false")
    app = RunningApp(home, xserver, room)
    try:
        # 1. Let go after "And so my fellow", and press again 50 ms later; then the whole question.
        xserver.run("xdotool", "keydown", HOTKEY)
        speak_into_room(room, JFK, seconds=1.8)
        xserver.run("xdotool", "keyup", HOTKEY, "sleep", "0.05", "keydown", HOTKEY)
        speak_into_room(room, JFK)
        time.sleep(0.5)
        xserver.run("xdotool", "keyup", HOTKEY)
        app.wait_for(lambda: REPLY in app.conversation(), TURN_TIMEOUT_S, "the reply to the second press")
        assert len(questions(ollama_server)) == 1  # the first press was dropped before the model
        assert "ask not what your country can do for you" in questions(ollama_server)[0].lower()

        # 2. The next question meets a model that would take 10 s to start: barge in at once, ask again.
        ollama_server.first_token_delays = [SLOW_FIRST_TOKEN_S]
        xserver.run("xdotool", "keydown", HOTKEY)
        speak_into_room(room, JFK, seconds=2.4)
        xserver.run("xdotool", "keyup", HOTKEY)
        assert ollama_server.wait_for(lambda s: len(questions(s)) == 2, TURN_TIMEOUT_S)
        xserver.run("xdotool", "keydown", HOTKEY)  # the barge-in, while the model has said nothing
        speak_into_room(room, JFK)
        time.sleep(0.5)
        xserver.run("xdotool", "keyup", HOTKEY)
        released = time.monotonic()
        app.wait_for(
            lambda: app.conversation().count(REPLY) == 2, TURN_TIMEOUT_S, "the reply after the barge-in"
        )
        answered_s = time.monotonic() - released

        streams = ollama_server.chat_streams
        slow, fast = streams[-2], streams[-1]
        assert slow.outcome == "abandoned" and slow.tokens_sent == 0
        assert slow.request.hung_up_at is not None and slow.request.hung_up_at <= fast.request.received_at
        assert fast.outcome == "completed"
        # Promptly: transcription and the reply at 30 tokens/s, nowhere near the abandoned 10 s.
        assert answered_s < SLOW_FIRST_TOKEN_S - 2, answered_s
        assert "ask not what your country can do for you" in questions(ollama_server)[-1].lower()
    finally:
        status = app.quit()
    assert status == 0
    assert "Traceback" not in app.stderr.read_text()


def test_sigterm_while_the_warm_up_waits_on_a_silent_server_exits_at_once(
    xserver: XServer, room: PulseServer, tmp_path: Path, model_home: Path
) -> None:
    with OllamaTestServer(silent_chats=True) as silent:
        home = make_home(tmp_path / "home", model_home, silent.url)
        app = RunningApp(home, xserver, room, wait_loaded=False)
        try:
            # The warm-up's load request has arrived and will never be answered.
            assert silent.wait_for(lambda s: bool(s.requests_to("/api/chat")), TURN_TIMEOUT_S)
            time.sleep(0.5)
            sent = time.monotonic()
            app.process.send_signal(signal.SIGTERM)
            status = app.process.wait(timeout=30)
            took = time.monotonic() - sent
        finally:
            if app.process.poll() is None:
                app.process.kill()
        assert status == 0
        assert took < 3.0, f"quitting took {took:.1f} s"
        assert silent.wait_for(lambda s: s.chat_streams[0].outcome == "abandoned", 5.0)
    assert "Traceback" not in app.stderr.read_text()
