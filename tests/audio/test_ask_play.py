"""``ask --play`` end to end: the reply is spoken through PortAudio into the null sink, and heard there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_assistant.audio.files import to_mono_rate
from desktop_assistant.bench.ollama_api import OllamaTestServer
from desktop_assistant.stt.faster_whisper import FasterWhisperTranscriber
from tests.audio.pulse import RATE, PulseServer
from tests.models_home import word_error_rate

pytestmark = [pytest.mark.model, pytest.mark.cli, pytest.mark.ollama]

REPLY = "The museum opens at ten in the morning. Tickets are sold at the door."


def test_ask_play_speaks_the_reply_on_the_speaker(
    pulse: PulseServer, model_home: Path, transcriber: FasterWhisperTranscriber
) -> None:
    env = {**os.environ, **pulse.env, "DESKTOP_ASSISTANT_HOME": str(model_home)}
    with OllamaTestServer(reply=REPLY) as server:
        env["OLLAMA_HOST"] = server.url
        recording = pulse.record()
        try:
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "desktop_assistant",
                    "ask",
                    "--text",
                    "When does it open?",
                    "--play",
                    "--json",
                ],
                capture_output=True,
                text=True,
                env=env,
                timeout=240,
                stdin=subprocess.DEVNULL,
            )
        finally:
            heard = recording.stop()
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["reply"] == REPLY and report["error"] is None
    assert report["timings_ms"]["first_audio"] > 0
    speech = to_mono_rate(heard, RATE, 16_000)
    assert word_error_rate(REPLY, transcriber.transcribe(speech).text) <= 0.2
