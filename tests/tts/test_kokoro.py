"""Kokoro on the real int8 model: it speaks, Whisper hears it back, and bad setup is one clear error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from desktop_assistant.audio.files import to_mono_rate
from desktop_assistant.config.settings import TtsSettings
from desktop_assistant.errors import ModelFileError
from desktop_assistant.store.models import ModelLibrary
from desktop_assistant.stt.faster_whisper import FasterWhisperTranscriber
from desktop_assistant.tts.kokoro import KokoroSynthesizer
from tests.models_home import english_voices, word_error_rate

pytestmark = pytest.mark.model

SENTENCE = "The library opens at nine in the morning and closes at six in the evening."


def test_kokoro_speaks_and_whisper_hears_it_back(
    synthesizer: KokoroSynthesizer, transcriber: FasterWhisperTranscriber
) -> None:
    samples = synthesizer.synthesize(SENTENCE)
    assert synthesizer.sample_rate == 24_000
    assert samples.dtype == np.float32
    assert 2.0 < len(samples) / 24_000 < 8.0
    assert 0.05 < float(np.abs(samples).max()) <= 1.0
    heard = transcriber.transcribe(to_mono_rate(samples, 24_000, 16_000))
    assert word_error_rate(SENTENCE, heard.text) <= 0.15


def test_speed_setting_changes_the_duration(library: ModelLibrary, synthesizer: KokoroSynthesizer) -> None:
    fast_settings = TtsSettings(model="kokoro-v1.0.int8.onnx", voices=english_voices().name, speed=1.5)
    fast = KokoroSynthesizer(fast_settings, *library.kokoro_files(fast_settings))
    normal = synthesizer.synthesize("One two three four five six seven eight.")
    quick = fast.synthesize("One two three four five six seven eight.")
    assert len(quick) < 0.85 * len(normal)


def test_an_unknown_voice_names_the_ones_available(library: ModelLibrary) -> None:
    settings = TtsSettings(model="kokoro-v1.0.int8.onnx", voices=english_voices().name, voice="zz_nobody")
    with pytest.raises(ModelFileError, match=r"Voice 'zz_nobody' is not in voices-v1.0.npz.*af_heart"):
        KokoroSynthesizer(settings, *library.kokoro_files(settings))


def test_missing_and_corrupt_model_files(tmp_path: Path, library: ModelLibrary) -> None:
    settings = TtsSettings()
    voices = english_voices()
    with pytest.raises(ModelFileError, match="The Kokoro model is missing"):
        KokoroSynthesizer(settings, tmp_path / "none.onnx", voices)
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"\x08\x07" + b"not a model" * 100)
    with pytest.raises(ModelFileError, match=r"Cannot load Kokoro from corrupt\.onnx"):
        KokoroSynthesizer(settings, corrupt, voices)
