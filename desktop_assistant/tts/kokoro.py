"""Kokoro (kokoro-onnx) behind the ``Synthesizer`` protocol."""

from __future__ import annotations

import logging
import threading
import zipfile
from pathlib import Path

import numpy as np
import numpy.typing as npt
from kokoro_onnx import Kokoro

from desktop_assistant.config.settings import TtsSettings
from desktop_assistant.errors import ModelFileError, first_line
from desktop_assistant.tts.kokoro_session import kokoro_session

log = logging.getLogger(__name__)

KOKORO_RATE = 24_000


def load_kokoro(model_path: Path, voices_path: Path, conv_rewrite: str = "off") -> Kokoro:
    """Load the ONNX model (its fast-convolution copy where ``conv_rewrite`` asks for one) and the
    voices, or explain which file is wrong."""
    for path, what in ((model_path, "Kokoro model"), (voices_path, "Kokoro voices file")):
        if not path.is_file():
            raise ModelFileError(
                f"The {what} is missing: {path}",
                "Import the files with 'desktop-assistant models import-kokoro MODEL.onnx VOICES'.",
            )
    try:
        kokoro: Kokoro = Kokoro.from_session(kokoro_session(model_path, conv_rewrite), str(voices_path))
    except Exception as exc:  # onnxruntime and numpy raise many types for a bad file
        raise ModelFileError(
            f"Cannot load Kokoro from {model_path.name} and {voices_path.name} ({first_line(exc)})",
            "The files may be corrupt: import them again with 'desktop-assistant models import-kokoro'.",
        ) from None
    return kokoro


def voice_names(voices_path: Path) -> list[str]:
    """The voices in a Kokoro voices file (an ``.npz`` archive), sorted, without loading the model."""
    try:
        with np.load(voices_path) as voices:
            return sorted(voices.files)
    except (OSError, ValueError, zipfile.BadZipFile, AttributeError) as exc:
        raise ModelFileError(
            f"Cannot read the voices in {voices_path.name} ({first_line(exc)})",
            "Import the voices file again with 'desktop-assistant models import-kokoro'.",
        ) from None


class KokoroSynthesizer:
    """One synthesis per chunk, with the voice, speed and language from settings.

    ``synthesize_with`` speaks with another voice and speed (a preview) without changing them.
    """

    def __init__(self, settings: TtsSettings, model_path: Path, voices_path: Path) -> None:
        self._settings = settings
        self._kokoro = load_kokoro(model_path, voices_path, settings.conv_rewrite)
        voices = self._kokoro.get_voices()
        if settings.voice not in voices:
            raise ModelFileError(
                f"Voice '{settings.voice}' is not in {voices_path.name}",
                f"Set tts.voice to one of: {', '.join(sorted(voices))}.",
            )
        self._voices = frozenset(voices)
        # The phonemizer under Kokoro is not known to be thread-safe; a preview waits for the engine's chunk.
        self._lock = threading.Lock()
        log.info("Kokoro loaded from %s, voice %s", self._kokoro.config.model_path, settings.voice)

    @property
    def sample_rate(self) -> int:
        """Kokoro speaks at 24 kHz."""
        return KOKORO_RATE

    def synthesize(self, text: str) -> npt.NDArray[np.float32]:
        """Speak one chunk of spoken-form text."""
        return self.synthesize_with(text, self._settings.voice, self._settings.speed)

    def synthesize_with(self, text: str, voice: str, speed: float) -> npt.NDArray[np.float32]:
        """Speak ``text`` with ``voice`` at ``speed``; the settings' voice and speed stay as they are."""
        if voice not in self._voices:
            raise ModelFileError(
                f"Voice '{voice}' is not in the voices file",
                f"Choose one of: {', '.join(sorted(self._voices))}.",
            )
        with self._lock:
            samples, rate = self._kokoro.create(text, voice=voice, speed=speed, lang=self._settings.language)
        if rate != KOKORO_RATE:
            raise ModelFileError(
                f"Kokoro returned {rate} Hz audio, not {KOKORO_RATE}", "Use a Kokoro v1.0 model."
            )
        return np.asarray(samples, dtype=np.float32)
