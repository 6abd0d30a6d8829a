"""The real app's time from letting go of the hotkey to the first sound at the speaker:
``python -m tests.e2e.first_sound [TURNS]``.

The app runs as in the end-to-end test (Xvfb, a private PulseAudio, the loopback Ollama answering as
the benchmark's does: first token after 300 ms, then 30 tokens/s; the test models). Each turn holds the
hotkey with ``xdotool``, speaks the first 3 s or the whole JFK recording into the room, lets go half a
second later, and finds the first loud sample in the recording of the speaker's monitor after that
moment. It prints each turn's figure in ms and their median: a measurement, not a test.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np
import numpy.typing as npt

from desktop_assistant.bench.ollama_api import OllamaTestServer
from desktop_assistant.bench.turn import FIRST_TOKEN_DELAY_S, REPLY, TOKENS_PER_S
from tests.audio.pulse import RATE, PulseServer
from tests.e2e.desktop import RunningApp, app_session, speak_into_room
from tests.models_home import speech_file
from tests.xserver import XServer

HOTKEY = "ctrl+alt+space"
# A sample this loud is heard (-40 dBFS); Kokoro's first syllable is far above it.
LOUD = 0.01
CLIPS_S = (3.0, None)


def held_turn(
    app: RunningApp, x: XServer, room: PulseServer, seconds: float | None
) -> tuple[npt.NDArray[np.float32], int]:
    """One held-key turn: the hotkey held while the question (its first ``seconds``) is spoken, let go
    half a second later; returns what the speaker's monitor recorded and the sample the key went up at."""
    speaker = room.record()
    try:
        x.run("xdotool", "keydown", HOTKEY)
        speak_into_room(room, speech_file(), seconds)
        time.sleep(0.5)
        released_at = speaker.samples_so_far()
        x.run("xdotool", "keyup", HOTKEY)
        ended = app.turns_ended() + 1
        app.wait_for(lambda: app.turns_ended() >= ended, 120, "the reply")
    finally:
        heard = speaker.stop()
    return heard, released_at


def first_loud_ms(heard: npt.NDArray[np.float32], released_at: int) -> float:
    """ms from ``released_at`` to the first loud sample of ``heard``; an AssertionError if none is."""
    loud = np.flatnonzero(np.abs(heard[released_at:]) >= LOUD)
    if not len(loud):
        raise AssertionError("nothing was heard at the speaker")
    return round(float(loud[0]) / RATE * 1000, 1)


def first_sound_ms(app: RunningApp, x: XServer, room: PulseServer, seconds: float | None) -> float:
    """One held-key turn; ms from the key going up to the first loud sample at the speaker."""
    return first_loud_ms(*held_turn(app, x, room, seconds))


def measure(turns: int) -> list[float]:
    """Start the app and time ``turns`` turns per clip."""
    with (
        OllamaTestServer(
            reply=REPLY, first_token_delay_s=FIRST_TOKEN_DELAY_S, tokens_per_s=TOKENS_PER_S
        ) as server,
        app_session(server, "da-first-sound-") as (app, x, room, _),
    ):
        return [first_sound_ms(app, x, room, clip) for _ in range(turns) for clip in CLIPS_S]


if __name__ == "__main__":
    figures = measure(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
    print("release to first sound, ms:", figures)
    print("median:", statistics.median(figures))
