"""Hearing a turn: eager Whisper passes while the key is held, then the final transcript at release.

While the user speaks, the growing recording is transcribed pass after pass. At release, if the voice
activity detector finds only silence after the end of the last pass, that pass's text is the answer at
once; otherwise one final pass runs. A new pass never starts once the key is up, so an eager pass can
delay the final one by at most the pass already in flight.
"""

from __future__ import annotations

import logging
from typing import Protocol

import numpy as np
import numpy.typing as npt

from desktop_assistant.audio.vad import speech_bounds
from desktop_assistant.core.turn import Turn
from desktop_assistant.errors import AssistantError, NoSpeechError
from desktop_assistant.stt.base import SAMPLE_RATE, Transcriber

log = logging.getLogger(__name__)

# How long to wait for more audio before checking again whether the key is still down.
IDLE_WAIT_S = 0.05
# A pass heard the last word only if the speech ended at least this long before the pass's audio did.
WORD_MARGIN_S = 0.1


class Microphone(Protocol):
    """What the engine needs from live capture."""

    def begin(self) -> None:
        """Start an utterance (with the preroll's audio)."""
        ...

    def snapshot(self) -> npt.NDArray[np.float32]:
        """The utterance so far."""
        ...

    def end(self) -> npt.NDArray[np.float32]:
        """Finish the utterance (after a short tail) and return it."""
        ...


class VadConfig(Protocol):
    """The voice-activity settings the listener needs."""

    @property
    def vad_aggressiveness(self) -> int: ...

    @property
    def speech_padding_ms(self) -> int: ...


class EagerListener:
    """Runs on the STT worker: turns a held key or a recording into the turn's transcript."""

    def __init__(
        self, transcriber: Transcriber | None, microphone: Microphone | None, min_new_s: float
    ) -> None:
        self._transcriber = transcriber
        self._microphone = microphone
        self._min_new = int(min_new_s * SAMPLE_RATE)

    def transcribe(self, turn: Turn, audio: npt.NDArray[np.float32] | None, vad: VadConfig) -> str | None:
        """The transcript, or None when the turn was cancelled meanwhile. Raises ``NoSpeechError``."""
        if self._transcriber is None:
            raise AssistantError(
                "No speech-to-text model is loaded", "Ask with --text, or import a Whisper model."
            )
        if audio is not None:
            return self._final(turn, audio, vad)
        if self._microphone is None:
            raise AssistantError("No microphone is set up", "Ask from a file or text instead.")
        covered, text = self._eager_passes(turn, self._microphone, vad)
        audio = self._microphone.end()
        turn.mark("audio_complete")
        if turn.cancel.is_set():
            return None
        if covered and self._heard_all(audio, covered, vad):
            turn.mark("eager_hit")
            if not text.strip():
                raise _no_speech()
            return text
        return self._final(turn, audio, vad)

    def _eager_passes(self, turn: Turn, microphone: Microphone, vad: VadConfig) -> tuple[int, str]:
        covered, checked, text = 0, 0, ""
        while not turn.released.is_set():
            audio = microphone.snapshot()
            if len(audio) - checked < self._min_new:
                turn.released.wait(IDLE_WAIT_S)
                continue
            checked = len(audio)
            # Silence since the last pass changes nothing: no pass, so none is in flight at release.
            if covered and self._heard_all(audio, covered, vad):
                continue
            text = self._transcribe(audio)
            covered = len(audio)
            log.debug("eager pass over %.2f s: %r", covered / SAMPLE_RATE, text)
        return covered, text

    def _transcribe(self, audio: npt.NDArray[np.float32]) -> str:
        assert self._transcriber is not None  # checked in transcribe()
        return self._transcriber.transcribe(audio).text

    def _heard_all(self, audio: npt.NDArray[np.float32], covered: int, vad: VadConfig) -> bool:
        """Did the pass over ``audio[:covered]`` hear all the speech, its last word whole?"""
        bounds = speech_bounds(audio, vad.vad_aggressiveness, 0)
        return bounds is None or bounds[1] <= covered - int(WORD_MARGIN_S * SAMPLE_RATE)

    def _final(self, turn: Turn, audio: npt.NDArray[np.float32], vad: VadConfig) -> str | None:
        if speech_bounds(audio, vad.vad_aggressiveness, 0) is None:
            raise _no_speech()
        text = self._transcribe(audio)
        if turn.cancel.is_set():
            return None
        if not text.strip():
            raise _no_speech()
        return text


def _no_speech() -> NoSpeechError:
    return NoSpeechError("No speech detected", "Speak closer to the microphone, or check the recording.")
