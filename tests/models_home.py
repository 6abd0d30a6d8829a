"""A DESKTOP_ASSISTANT_HOME with the packaged test models imported, built once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import jiwer

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """The project's shared/ folder (beside the clone), or DESKTOP_ASSISTANT_SHARED."""
    path = Path(os.environ.get("DESKTOP_ASSISTANT_SHARED", REPO.parent / "shared"))
    if not (path / "data" / "speech" / "jfk.flac").is_file():
        raise RuntimeError(f"shared/ test data not found at {path}; set DESKTOP_ASSISTANT_SHARED")
    return path


def english_voices() -> Path:
    """The 54-voice Kokoro v1.0 voices file (English voices included)."""
    return shared_dir() / "models" / "kokoro" / "voices-v1.0.npz"


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
