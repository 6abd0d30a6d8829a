"""The ``Synthesizer`` protocol: text in, mono float32 samples out."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt


class Synthesizer(Protocol):
    """Text to speech. ``synthesize`` blocks the calling thread (the TTS worker) until done."""

    @property
    def sample_rate(self) -> int:
        """The rate of the samples ``synthesize`` returns."""
        ...

    def synthesize(self, text: str) -> npt.NDArray[np.float32]:
        """Speak ``text`` (already in spoken form) and return mono samples in [-1, 1]."""
        ...
