"""faster-whisper behind the ``Transcriber`` protocol, tuned for latency by default."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import ctranslate2
import numpy as np
import numpy.typing as npt
from faster_whisper import WhisperModel

from desktop_assistant.config.settings import SttSettings
from desktop_assistant.errors import ModelFileError, first_line
from desktop_assistant.stt.base import SAMPLE_RATE, Transcript

log = logging.getLogger(__name__)


def pick_device(settings: SttSettings) -> tuple[str, str]:
    """The device and compute type: int8 on CPU, float16 on CUDA when a GPU is there (unless set)."""
    device = settings.device
    if device == "auto":
        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    compute = settings.compute_type
    if compute == "auto":
        compute = "float16" if device == "cuda" else "int8"
    return device, compute


class FasterWhisperTranscriber:
    """Loads the CTranslate2 Whisper model once; each ``transcribe`` decodes on the calling thread."""

    def __init__(self, settings: SttSettings, model_dir: Path) -> None:
        self._settings = settings
        self.device, self.compute_type = pick_device(settings)
        try:
            self._model = WhisperModel(
                str(model_dir),
                device=self.device,
                compute_type=self.compute_type,
                cpu_threads=settings.cpu_threads,
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelFileError(
                f"Cannot load the Whisper model in {model_dir} on {self.device} ({first_line(exc)})",
                "Import a CTranslate2 Whisper model with 'desktop-assistant models import-whisper DIR', "
                "or set stt.device to cpu.",
            ) from None
        log.info("Whisper model %s loaded on %s (%s)", model_dir, self.device, self.compute_type)

    def transcribe(self, audio: npt.NDArray[np.float32]) -> Transcript:
        """Transcribe 16 kHz mono audio; the lazy segment generator is consumed here, on this thread."""
        language = None if self._settings.language == "auto" else self._settings.language
        options: dict[str, Any] = {
            "language": language,
            "beam_size": self._settings.beam_size,
            "without_timestamps": True,
            "condition_on_previous_text": False,
            "vad_filter": False,
        }
        if self._settings.vocabulary:
            options["hotwords"] = ", ".join(self._settings.vocabulary)
        segments, info = self._model.transcribe(audio, **options)
        text = " ".join(segment.text.strip() for segment in list(segments)).strip()
        return Transcript(text=text, language=info.language, audio_s=len(audio) / SAMPLE_RATE)
