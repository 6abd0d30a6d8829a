"""Kokoro on the real int8 model: it speaks, Whisper hears it back, and bad setup is one clear error."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from desktop_assistant.audio.files import to_mono_rate
from desktop_assistant.config.settings import TtsSettings
from desktop_assistant.errors import ModelFileError
from desktop_assistant.store.models import ModelLibrary
from desktop_assistant.stt.faster_whisper import FasterWhisperTranscriber
from desktop_assistant.tts.kokoro import KokoroSynthesizer, voice_names
from tests.models_home import voices_file, word_error_rate

pytestmark = pytest.mark.model

SENTENCE = "The library opens at nine in the morning and closes at six in the evening."


def test_kokoro_speaks_and_whisper_hears_it_back(
    synthesizer: KokoroSynthesizer, tts_settings: TtsSettings, transcriber: FasterWhisperTranscriber
) -> None:
    samples = synthesizer.synthesize(SENTENCE)
    assert synthesizer.sample_rate == 24_000
    assert samples.dtype == np.float32
    assert 2.0 < len(samples) / 24_000 < 8.0
    assert 0.05 < float(np.abs(samples).max()) <= 1.0
    heard = transcriber.transcribe(to_mono_rate(samples, 24_000, 16_000))
    # 0.133 ("9", "6") with af_heart and with the packaged jf_alpha alike.
    wer = word_error_rate(SENTENCE, heard.text)
    assert wer <= 0.15, f"WER {wer:.3f} with {tts_settings.voice}: {heard.text!r}"


def test_speed_setting_changes_the_duration(
    library: ModelLibrary, tts_settings: TtsSettings, synthesizer: KokoroSynthesizer
) -> None:
    fast_settings = replace(tts_settings, speed=1.5)
    fast = KokoroSynthesizer(fast_settings, *library.kokoro_files(fast_settings))
    normal = synthesizer.synthesize("One two three four five six seven eight.")
    quick = fast.synthesize("One two three four five six seven eight.")
    assert len(quick) < 0.85 * len(normal)


def test_an_unknown_voice_names_the_ones_available(library: ModelLibrary, tts_settings: TtsSettings) -> None:
    settings = replace(tts_settings, voice="zz_nobody")
    model, voices = library.kokoro_files(settings)
    unknown = rf"Voice 'zz_nobody' is not in {re.escape(voices.name)}"
    with pytest.raises(ModelFileError, match=unknown) as caught:
        KokoroSynthesizer(settings, model, voices)
    assert caught.value.hint == f"Set tts.voice to one of: {', '.join(voice_names(voices))}."


def test_missing_and_corrupt_model_files(tmp_path: Path, library: ModelLibrary) -> None:
    settings = TtsSettings()
    voices = voices_file()
    with pytest.raises(ModelFileError, match="The Kokoro model is missing"):
        KokoroSynthesizer(settings, tmp_path / "none.onnx", voices)
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"\x08\x07" + b"not a model" * 100)
    with pytest.raises(ModelFileError, match=r"Cannot load Kokoro from corrupt\.onnx"):
        KokoroSynthesizer(settings, corrupt, voices)
