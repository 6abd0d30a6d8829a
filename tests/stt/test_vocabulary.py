"""A made-up product name said by Kokoro: misheard by Whisper alone, right with the vocabulary."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from desktop_assistant.audio.files import to_mono_rate
from desktop_assistant.config.settings import SttSettings
from desktop_assistant.store.models import ModelLibrary
from desktop_assistant.stt.base import SAMPLE_RATE
from desktop_assistant.stt.corrections import CorrectedTranscriber, CorrectionTable
from desktop_assistant.stt.faster_whisper import FasterWhisperTranscriber
from desktop_assistant.tts.kokoro import KokoroSynthesizer
from tests.models_home import word_error_rate

pytestmark = pytest.mark.model

NAME = "Zorblatix"
SENTENCE = f"Please open {NAME} and start a new project."
# What tiny.en writes for it, said by af_heart and by the packaged jf_alpha alike.
MISHEARD = "Zorbletics"


def spoken(synthesizer: KokoroSynthesizer, text: str) -> npt.NDArray[np.float32]:
    """``text`` said by Kokoro, at Whisper's 16 kHz."""
    return to_mono_rate(synthesizer.synthesize(text), synthesizer.sample_rate, SAMPLE_RATE)


@pytest.fixture(scope="module")
def sentence(synthesizer: KokoroSynthesizer) -> npt.NDArray[np.float32]:
    return spoken(synthesizer, SENTENCE)


def test_without_vocabulary_the_name_is_misheard(
    transcriber: FasterWhisperTranscriber, sentence: npt.NDArray[np.float32]
) -> None:
    text = transcriber.transcribe(sentence).text
    assert NAME.casefold() not in text.casefold()
    assert MISHEARD in text
    assert word_error_rate(SENTENCE, text) == pytest.approx(1 / 8)


def test_the_vocabulary_as_hotwords_gets_it_right(
    library: ModelLibrary, sentence: npt.NDArray[np.float32]
) -> None:
    settings = SttSettings(device="cpu", vocabulary=(NAME,))
    text = FasterWhisperTranscriber(settings, library.whisper_dir(settings)).transcribe(sentence).text
    assert NAME in text
    assert word_error_rate(SENTENCE, text) == 0


def test_a_correction_for_what_it_mishears_gets_it_right(
    transcriber: FasterWhisperTranscriber, sentence: npt.NDArray[np.float32]
) -> None:
    # The entry is the user's spelling of what they saw, not the exact mishearing (it scores 95 against it).
    settings = SttSettings(corrections=(f"zorblettics={NAME}",))
    corrected = CorrectedTranscriber(transcriber, CorrectionTable.from_settings(settings))
    heard = corrected.transcribe(sentence)
    assert heard.text.replace(".", "") == SENTENCE.replace(".", "")
    assert heard.audio_s == pytest.approx(len(sentence) / SAMPLE_RATE)
