"""The real app under Xvfb with no Ollama at all: the built-in model answers a spoken question aloud.

``llm.backend = auto`` and ``llm.host`` a loopback port nothing listens on: every turn finds no Ollama,
so the packaged SmolLM2 answers through llama.cpp inside the app. The question is spoken into the
microphone (PulseAudio's ``room`` sink), the reply recorded at the speaker and heard back by Whisper.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import soxr

from desktop_assistant.stt.faster_whisper import FasterWhisperTranscriber
from tests.audio.pulse import RATE, PulseServer
from tests.e2e.desktop import RunningApp, make_home, speak_into_room
from tests.models_home import speech_file
from tests.xserver import XServer

pytestmark = [pytest.mark.gui, pytest.mark.model, pytest.mark.cli]

HOTKEY = "ctrl+alt+space"
TURN_TIMEOUT_S = 120.0
ANSWERED = "Answered by SmolLM2-135M-Instruct.Q4_1, built in"


def test_with_no_ollama_the_builtin_model_answers_a_spoken_question_aloud(
    xserver: XServer,
    room: PulseServer,
    tmp_path: Path,
    model_home: Path,
    closed_port_url: str,
    transcriber: FasterWhisperTranscriber,
) -> None:
    home = make_home(tmp_path / "home", model_home, closed_port_url, llm__backend="auto")
    app = RunningApp(home, xserver, room)
    try:
        speaker = room.record()
        try:
            xserver.run("xdotool", "keydown", HOTKEY)
            speak_into_room(room, speech_file())
            time.sleep(0.5)
            xserver.run("xdotool", "keyup", HOTKEY)
            # The footer (and so the copied text) names the model once the reply has played out.
            app.wait_for(lambda: ANSWERED in app.conversation(), TURN_TIMEOUT_S, "the built-in model's reply")
            time.sleep(1.0)
        finally:
            heard = speaker.stop()
        shown = app.conversation()
        assert "ask not what your country can do for you" in shown.lower()
        reply = shown.split("Assistant: ", 1)[1].split(ANSWERED, 1)[0]
        reply_words = set(_words(reply))
        assert len(reply_words) >= 3, shown

        # The reply reached the speaker: Whisper hears its words back from the sink's monitor.
        assert float(np.sqrt(np.mean(heard**2))) > 0.01
        spoken_back = _words(
            transcriber.transcribe(soxr.resample(heard, RATE, 16_000).astype(np.float32)).text
        )
        assert spoken_back, "nothing was heard at the speaker"
        known = sum(word in reply_words for word in spoken_back) / len(spoken_back)
        assert known >= 0.6, f"heard {spoken_back!r} for the reply {reply!r}"
    finally:
        status = app.quit()
    assert status == 0
    assert "Traceback" not in app.stderr.read_text()


def _words(text: str) -> list[str]:
    return [w.strip(".,!?;:'\"()*").lower() for w in text.split() if w.strip(".,!?;:'\"()*")]
