"""The ``Transcriber`` protocol: 16 kHz mono float32 audio in, text out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class Transcript:
    """What was heard: the text, the language it was heard in and how long the audio was."""

    text: str
    language: str
    audio_s: float


class Transcriber(Protocol):
    """Speech to text. ``transcribe`` blocks the calling thread (the STT worker) until done."""

    def transcribe(self, audio: npt.NDArray[np.float32]) -> Transcript:
        """Transcribe 16 kHz mono float32 samples in [-1, 1]."""
        ...
