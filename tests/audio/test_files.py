"""Decoding audio files to 16 kHz mono, and writing WAV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from desktop_assistant.audio.files import read_audio, to_mono_rate, write_wav
from desktop_assistant.errors import AudioInputError


def tone(rate: int, seconds: float = 1.0, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


@pytest.mark.parametrize(
    ("fmt", "subtype", "suffix"),
    [
        ("WAV", "PCM_16", ".wav"),
        ("FLAC", "PCM_16", ".flac"),
        ("MP3", None, ".mp3"),
        ("OGG", "VORBIS", ".ogg"),
    ],
)
def test_every_supported_format_decodes_to_16k_mono(
    tmp_path: Path, fmt: str, subtype: str | None, suffix: str
) -> None:
    stereo = np.stack([tone(44_100), tone(44_100)], axis=1)
    path = tmp_path / f"clip{suffix}"
    soundfile.write(path, stereo, 44_100, format=fmt, subtype=subtype)
    audio = read_audio(path, 16_000)
    assert audio.dtype == np.float32
    assert audio.ndim == 1
    # MP3 adds encoder delay and padding; the others are sample-exact after resampling.
    assert abs(len(audio) - 16_000) <= (1_500 if fmt == "MP3" else 2)
    spectrum = np.abs(np.fft.rfft(audio[2000:14000]))
    peak_hz = np.argmax(spectrum) * 16_000 / 12_000
    assert abs(peak_hz - 440) < 5


def test_channels_are_mixed_down() -> None:
    left, right = tone(16_000), np.zeros(16_000, np.float32)
    mono = to_mono_rate(np.stack([left, right], axis=1), 16_000, 16_000)
    np.testing.assert_allclose(mono, left / 2, atol=1e-7)


def test_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AudioInputError, match=r"Audio file not found: .*nothing\.wav\. Check the path"):
        read_audio(tmp_path / "nothing.wav", 16_000)


def test_a_text_file_is_not_audio(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("this is not a recording\n")
    with pytest.raises(
        AudioInputError, match=r"Cannot read notes\.wav as audio .*Give a WAV, FLAC, MP3 or OGG file"
    ):
        read_audio(path, 16_000)


def test_a_truncated_flac_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "cut.flac"
    soundfile.write(path, tone(16_000), 16_000, format="FLAC")
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(AudioInputError, match=r"Cannot read cut\.flac as audio"):
        read_audio(path, 16_000)


def test_write_wav_is_16_bit_pcm_at_the_given_rate(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "reply.wav"
    write_wav(out, tone(24_000) * 3, 24_000)
    info = soundfile.info(out)
    assert (info.samplerate, info.channels, info.subtype, info.frames) == (24_000, 1, "PCM_16", 24_000)
    data, _ = soundfile.read(out, dtype="float32")
    assert data.max() <= 1.0 and data.max() > 0.99  # clipped, not wrapped


def test_write_wav_into_an_unwritable_place(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(AudioInputError, match="Cannot write"):
        write_wav(blocker / "reply.wav", tone(24_000), 24_000)
