"""Audio files in and out: decode WAV, FLAC, MP3 or OGG to mono float32 at a given rate; write WAV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile
import soxr

from desktop_assistant.errors import AudioInputError, first_line

SUPPORTED = "WAV, FLAC, MP3 or OGG"


def read_audio(path: Path, rate: int) -> npt.NDArray[np.float32]:
    """Decode ``path`` to mono float32 samples at ``rate`` Hz."""
    if not path.is_file():
        raise AudioInputError(f"Audio file not found: {path}", "Check the path and try again.")
    try:
        samples, file_rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise AudioInputError(
            f"Cannot read {path.name} as audio ({first_line(exc)})", f"Give a {SUPPORTED} file."
        ) from None
    except OSError as exc:
        raise AudioInputError(
            f"Cannot open {path}: {exc.strerror or exc}", "Check the file's permissions."
        ) from None
    return to_mono_rate(samples, int(file_rate), rate)


def to_mono_rate(samples: npt.NDArray[np.float32], from_rate: int, to_rate: int) -> npt.NDArray[np.float32]:
    """Mix channels (frames x channels, or 1-D) down to mono and resample to ``to_rate``."""
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    mono = np.ascontiguousarray(mono, dtype=np.float32)
    if from_rate != to_rate and mono.size:
        mono = soxr.resample(mono, from_rate, to_rate, quality="HQ").astype(np.float32, copy=False)
    return mono


def write_wav(path: Path, samples: npt.NDArray[np.float32], rate: int) -> None:
    """Write mono samples as 16-bit PCM WAV, creating the parent folder."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(str(path), np.clip(samples, -1.0, 1.0), rate, subtype="PCM_16", format="WAV")
    except (OSError, soundfile.LibsndfileError) as exc:
        raise AudioInputError(
            f"Cannot write {path}: {first_line(exc)}", "Choose a folder you can write to."
        ) from None
