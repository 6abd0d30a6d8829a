"""faster-whisper on the real tiny.en model: accuracy on real speech and the latency-tuned options."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from desktop_assistant.audio.files import read_audio
from desktop_assistant.audio.vad import trim_silence
from desktop_assistant.config.settings import SttSettings
from desktop_assistant.errors import ModelFileError
from desktop_assistant.store.models import ModelLibrary
from desktop_assistant.stt.faster_whisper import FasterWhisperTranscriber, pick_device
from tests.models_home import speech_file, speech_text, word_error_rate

pytestmark = pytest.mark.model


def test_jfk_is_transcribed_within_ten_percent_wer(transcriber: FasterWhisperTranscriber) -> None:
    audio = trim_silence(read_audio(speech_file(), 16_000))
    assert audio is not None
    transcript = transcriber.transcribe(audio)
    assert word_error_rate(speech_text(), transcript.text) <= 0.10
    assert transcript.language == "en"
    assert transcript.audio_s == pytest.approx(len(audio) / 16_000)


def test_silence_gives_no_words(transcriber: FasterWhisperTranscriber) -> None:
    assert transcriber.transcribe(np.zeros(16_000, np.float32)).text.split() == []


def test_latency_options_and_vocabulary_reach_whisper(library: ModelLibrary) -> None:
    settings = SttSettings(device="cpu", vocabulary=("Kubernetes", "Ollama"), language="en")
    stt = FasterWhisperTranscriber(settings, library.whisper_dir(settings))
    seen: dict[str, Any] = {}
    real = stt._model.transcribe

    def spy(audio: np.ndarray, **options: Any) -> Any:
        seen.update(options)
        return real(audio, **options)

    stt._model.transcribe = spy  # type: ignore[method-assign]
    stt.transcribe(np.zeros(8_000, np.float32))
    assert seen == {
        "language": "en",
        "beam_size": 1,
        "without_timestamps": True,
        "condition_on_previous_text": False,
        "vad_filter": False,
        "hotwords": "Kubernetes, Ollama",
    }


def test_cpu_is_int8_and_cuda_is_float16_unless_set() -> None:
    assert pick_device(SttSettings(device="cpu")) == ("cpu", "int8")
    assert pick_device(SttSettings(device="cuda")) == ("cuda", "float16")
    assert pick_device(SttSettings(device="cpu", compute_type="float32")) == ("cpu", "float32")


def test_a_corrupt_model_is_one_clear_error(tmp_path: Path, library: ModelLibrary) -> None:
    source = library.whisper_dir(SttSettings())
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (broken / name).write_bytes((source / name).read_bytes())
    (broken / "model.bin").write_bytes((source / "model.bin").read_bytes()[:4096])
    with pytest.raises(ModelFileError, match=r"Cannot load the Whisper model in .*broken on cpu"):
        FasterWhisperTranscriber(SttSettings(device="cpu"), broken)
