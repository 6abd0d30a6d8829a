"""Hearing a turn: eager Whisper passes while the key is held, then the final transcript at release.

While the user speaks, the growing recording is transcribed pass after pass. At release, if the voice
activity detector finds only silence after the end of the last pass, that pass's text is the answer at
once; otherwise one final pass runs. A new pass never starts once the key is up, so an eager pass can
delay the final one by at most the pass already in flight.

Each turn works on its own ``Utterance`` handle, so a late call of an old turn can never touch the
recording of the next one. When the microphone stops mid-recording, what it captured is still
transcribed, and the failure comes back beside the text for the user to hear about.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from desktop_assistant.audio.capture import CaptureInterrupted
from desktop_assistant.audio.vad import speech_bounds
from desktop_assistant.core.turn import Turn
from desktop_assistant.errors import AssistantError, NoSpeechError
from desktop_assistant.stt.base import SAMPLE_RATE, Transcriber

log = logging.getLogger(__name__)

# How long to wait for more audio before checking again whether the key is still down.
IDLE_WAIT_S = 0.05
# A pass heard the last word only if the speech ended at least this long before the pass's audio did.
WORD_MARGIN_S = 0.1


class Utterance(Protocol):
    """One press's recording."""

    def snapshot(self) -> npt.NDArray[np.float32]:
        """The utterance so far."""
        ...

    def end(self) -> npt.NDArray[np.float32]:
        """Finish the utterance (after a short tail) and return it; ``CaptureInterrupted`` carries the
        audio captured before the microphone failed."""
        ...

    def discard(self) -> None:
        """Stop recording at once; the audio is not wanted."""
        ...


class Microphone(Protocol):
    """What the engine needs from live capture."""

    def begin(self) -> Utterance:
        """Start an utterance (with the preroll's audio); other utterances are not touched."""
        ...


@dataclass(frozen=True)
class Heard:
    """A turn's transcript; ``problem`` is the microphone failure that cut the recording short, if any."""

    text: str
    problem: AssistantError | None = None


class VadConfig(Protocol):
    """The voice-activity settings the listener needs."""

    @property
    def vad_aggressiveness(self) -> int: ...

    @property
    def speech_padding_ms(self) -> int: ...


class EagerListener:
    """Runs on the STT worker: turns a held key or a recording into the turn's transcript."""

    def __init__(self, transcriber: Transcriber | None, min_new_s: float) -> None:
        self._transcriber = transcriber
        self._min_new = int(min_new_s * SAMPLE_RATE)

    def transcribe(
        self, turn: Turn, source: Utterance | npt.NDArray[np.float32], vad: VadConfig
    ) -> Heard | None:
        """The transcript of a live utterance or a recording, or None when the turn was cancelled
        meanwhile. Raises ``NoSpeechError`` (or the microphone's failure, when it left no speech)."""
        if isinstance(source, np.ndarray):
            return self._final(turn, source, vad, None)
        try:
            return self._live(turn, source, vad)
        finally:
            source.discard()  # whatever happened, the utterance stops recording (no-op once ended)

    def _live(self, turn: Turn, source: Utterance, vad: VadConfig) -> Heard | None:
        covered, text = self._eager_passes(turn, source, vad)
        if turn.cancel.is_set():
            return None
        problem: AssistantError | None = None
        try:
            audio = source.end()
        except CaptureInterrupted as exc:
            audio, problem = exc.audio, exc
        turn.mark("audio_complete")
        if turn.cancel.is_set():
            return None
        if covered and self._heard_all(audio, covered, vad):
            turn.mark("eager_hit")
            if not text.strip():
                raise problem or _no_speech()
            return Heard(text, problem)
        return self._final(turn, audio, vad, problem)

    def _eager_passes(self, turn: Turn, utterance: Utterance, vad: VadConfig) -> tuple[int, str]:
        covered, checked, text = 0, 0, ""
        while not turn.released.is_set():
            audio = utterance.snapshot()
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
        if self._transcriber is None:
            raise AssistantError(
                "No speech-to-text model is loaded", "Ask with --text, or import a Whisper model."
            )
        return self._transcriber.transcribe(audio).text

    def _heard_all(self, audio: npt.NDArray[np.float32], covered: int, vad: VadConfig) -> bool:
        """Did the pass over ``audio[:covered]`` hear all the speech, its last word whole?"""
        bounds = speech_bounds(audio, vad.vad_aggressiveness, 0)
        return bounds is None or bounds[1] <= covered - int(WORD_MARGIN_S * SAMPLE_RATE)

    def _final(
        self, turn: Turn, audio: npt.NDArray[np.float32], vad: VadConfig, problem: AssistantError | None
    ) -> Heard | None:
        if speech_bounds(audio, vad.vad_aggressiveness, 0) is None:
            raise problem or _no_speech()
        text = self._transcribe(audio)
        if turn.cancel.is_set():
            return None
        if not text.strip():
            raise problem or _no_speech()
        return Heard(text, problem)


def _no_speech() -> NoSpeechError:
    return NoSpeechError("No speech detected", "Speak closer to the microphone, or check the recording.")
