"""Hearing a turn: eager Whisper passes while the key is held, then the final transcript at release.

Whenever the voice activity detector hears the speech stop (for ``WORD_MARGIN_S``) with the key held,
one pass transcribes all of the recording so far. Passes while the speech goes on would only delay that
one: each pass hears the whole recording again, so only a pass that covers all the speech is ever used.
When the user has then been quiet for ``QUIET_S`` with the key still held, the listener says so
(``on_quiet(question)``): the engine may start the reply early, to be played only after the release.
Speech that resumes takes that back (``on_quiet(None)``).

With ``VoiceCues``, each question carries the note on how it sounded, measured on the speech alone: the
early question's note, taken on the audio so far, is the one the final question gets when only silence
followed. The user's voice baseline learns each final question once it is heard.

At release, if the detector finds only silence after the end of the last pass, that pass's text is the
answer: at once when the user had been quiet for ``QUIET_S`` already (the capture's tail could only
add silence), else after the tail. Otherwise one final pass runs. A new pass never starts once the key
is up, so an eager pass can delay the final one by at most the pass already in flight.

Each turn works on its own ``Utterance`` handle, so a late call of an old turn can never touch the
recording of the next one. When the microphone stops mid-recording, what it captured is still
transcribed, and the failure comes back beside the text for the user to hear about.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from desktop_assistant.audio.capture import CaptureInterrupted
from desktop_assistant.audio.vad import SpeechTracker, speech_bounds
from desktop_assistant.core.turn import Turn
from desktop_assistant.core.voice_cues import Question, VoiceCues
from desktop_assistant.errors import AssistantError, NoSpeechError
from desktop_assistant.stt.base import SAMPLE_RATE, Transcriber

log = logging.getLogger(__name__)

# How long to wait for more audio before checking again whether the key is still down.
IDLE_WAIT_S = 0.05
# A pass heard the last word only if the speech ended at least this long before the pass's audio did.
WORD_MARGIN_S = 0.1
# This much silence after the speech with the key still held: the user has finished, for now.
QUIET_S = 0.3
# Told the question once the user has been quiet with the key held; None when the speech resumes.
OnQuiet = Callable[[Question | None], None]


class Utterance(Protocol):
    """One press's recording."""

    def snapshot(self) -> npt.NDArray[np.float32]:
        """The utterance so far."""
        ...

    def end(self) -> npt.NDArray[np.float32]:
        """Finish the utterance (after a short tail; at once after ``discard()``) and return it;
        ``CaptureInterrupted`` carries the audio captured before the microphone failed."""
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
    """A turn's question; ``problem`` is the microphone failure that cut the recording short, if any."""

    question: Question
    problem: AssistantError | None = None


class VadConfig(Protocol):
    """The voice-activity settings the listener needs."""

    @property
    def vad_aggressiveness(self) -> int: ...

    @property
    def speech_padding_ms(self) -> int: ...


class EagerListener:
    """Runs on the STT worker: turns a held key or a recording into the turn's transcript."""

    def __init__(self, transcriber: Transcriber | None, cues: VoiceCues | None = None) -> None:
        self._transcriber = transcriber
        self._cues = cues

    def transcribe(
        self,
        turn: Turn,
        source: Utterance | npt.NDArray[np.float32],
        vad: VadConfig,
        on_quiet: OnQuiet | None = None,
    ) -> Heard | None:
        """The transcript of a live utterance or a recording, or None when the turn was cancelled
        meanwhile. Raises ``NoSpeechError`` (or the microphone's failure, when it left no speech)."""
        if isinstance(source, np.ndarray):
            heard = self._final(turn, source, vad, None)
        else:
            try:
                heard = self._live(turn, source, vad, on_quiet)
            finally:
                source.discard()  # whatever happened, the utterance stops recording (no-op once ended)
        if heard is not None and self._cues is not None:
            self._cues.learn(heard.question)
        return heard

    def _live(self, turn: Turn, source: Utterance, vad: VadConfig, on_quiet: OnQuiet | None) -> Heard | None:
        passes = _Passes(SpeechTracker(vad.vad_aggressiveness))
        self._eager_passes(turn, source, passes, on_quiet)
        if turn.cancel.is_set():
            return None
        problem: AssistantError | None = None
        if passes.quiet(source.snapshot()):
            source.discard()  # the tail could only add silence: the audio is complete as it is
        try:
            audio = source.end()
        except CaptureInterrupted as exc:
            audio, problem = exc.audio, exc
        turn.mark("audio_complete")
        if turn.cancel.is_set():
            return None
        if passes.covered and passes.heard_all(audio):
            turn.mark("eager_hit")
            if not passes.text.strip():
                raise problem or _no_speech()
            return Heard(self._passes_question(passes, audio), problem)
        return self._final(turn, audio, vad, problem)

    def _eager_passes(
        self, turn: Turn, utterance: Utterance, passes: _Passes, on_quiet: OnQuiet | None
    ) -> None:
        told = False
        while not turn.released.is_set():
            audio = utterance.snapshot()
            if passes.heard_all(audio):
                # Silence since the last pass changes nothing: no pass, so none is in flight at release.
                if on_quiet is not None and not told and passes.quiet(audio):
                    told = True
                    on_quiet(self._passes_question(passes, audio))
                turn.released.wait(IDLE_WAIT_S)
                continue
            if told and on_quiet is not None:
                told = False
                on_quiet(None)
            if not passes.stopped(audio):  # still speaking: the pass waits for a pause
                turn.released.wait(IDLE_WAIT_S)
                continue
            passes.text = self._transcribe(audio)
            passes.covered = len(audio)
            log.debug("eager pass over %.2f s: %r", passes.covered / SAMPLE_RATE, passes.text)

    def _transcribe(self, audio: npt.NDArray[np.float32]) -> str:
        if self._transcriber is None:
            raise AssistantError(
                "No speech-to-text model is loaded", "Ask with --text, or import a Whisper model."
            )
        return self._transcriber.transcribe(audio).text

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
        return Heard(self._question(text, audio), problem)

    def _passes_question(self, passes: _Passes, audio: npt.NDArray[np.float32]) -> Question:
        """The last pass's question; its note is measured once per speech (only silence since then
        changes nothing), so the release reuses what the early reply asked."""
        key = (passes.text, passes.tracker.update(audio))
        if passes.question is None or passes.question_key != key:
            passes.question, passes.question_key = self._question(passes.text, audio), key
        return passes.question

    def _question(self, text: str, audio: npt.NDArray[np.float32]) -> Question:
        """``text`` as the question, with the note on how ``audio`` sounded when cues are on."""
        if self._cues is None or not text.strip():
            return Question(text)
        return self._cues.question(text, audio)


@dataclass
class _Passes:
    """The eager passes of one utterance: how much of it the last pass heard, and what it heard."""

    tracker: SpeechTracker
    covered: int = 0
    text: str = ""
    # The question of ``text`` with its note, and the (text, speech end) it was measured for.
    question: Question | None = None
    question_key: tuple[str, int | None] = ("", None)

    def heard_all(self, audio: npt.NDArray[np.float32]) -> bool:
        """Did the last pass hear all the speech in ``audio`` so far, its last word whole? (Nothing to
        hear yet counts as heard.)"""
        end = self.tracker.update(audio)
        return end is None or (self.covered > 0 and end <= self.covered - int(WORD_MARGIN_S * SAMPLE_RATE))

    def stopped(self, audio: npt.NDArray[np.float32]) -> bool:
        """Has the speech stopped long enough before the end of ``audio`` for a pass to hear it whole?"""
        end = self.tracker.update(audio)
        return end is not None and len(audio) - end > int(WORD_MARGIN_S * SAMPLE_RATE)

    def quiet(self, audio: npt.NDArray[np.float32]) -> bool:
        """Has the last pass heard all the speech, followed by ``QUIET_S`` of silence?"""
        end = self.tracker.update(audio)
        return end is not None and self.heard_all(audio) and len(audio) - end >= int(QUIET_S * SAMPLE_RATE)


def _no_speech() -> NoSpeechError:
    return NoSpeechError("No speech detected", "Speak closer to the microphone, or check the recording.")
