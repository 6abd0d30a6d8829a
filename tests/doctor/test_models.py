"""The model checks on real homes: fresh (every model missing, each with its download), the packaged
models (Whisper and Kokoro load), the packaged Japanese voices (not English), and the free disk."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from desktop_assistant.doctor.checkup import load_context
from desktop_assistant.doctor.models import (
    DISK_MARGIN_BYTES,
    free_disk_check,
    room_needed,
    voices_check,
)
from desktop_assistant.fetch.catalog import load_catalog
from desktop_assistant.fetch.recommend import recommended_entries
from desktop_assistant.tts.voices import english_voices
from tests.doctor.conftest import checks_by_name, environ_for, settings_of
from tests.models_home import packaged_voices

pytestmark = pytest.mark.model


def test_a_fresh_home_lacks_every_model_and_says_what_to_download(tmp_path: Path) -> None:
    checks = checks_by_name(environ_for(tmp_path))
    whisper, kokoro, voices = (entry.name for entry in recommended_entries(load_catalog()))
    speech, voice_model, voice_file = checks["Speech model"], checks["Voice model"], checks["Voices"]
    assert not speech.ok and speech.detail == "The Whisper model 'tiny.en' is not installed"
    assert speech.fix == f"desktop-assistant models download {whisper}"
    assert not voice_model.ok and voice_model.detail.startswith("not installed")
    assert (
        voice_model.fix
        == f"desktop-assistant models download {kokoro}"
        == "desktop-assistant models download kokoro-v1.0"
    )
    assert not voice_file.ok and voice_file.fix == f"desktop-assistant models download {voices}"
    assert checks["Settings"].ok and "the defaults" in checks["Settings"].detail
    assert checks["Free disk"].ok


def test_the_packaged_models_load_on_the_cpu(packaged_home: Path) -> None:
    settings_of(packaged_home).set("stt.device", "cpu")
    checks = checks_by_name(environ_for(packaged_home))
    speech, voice_model = checks["Speech model"], checks["Voice model"]
    assert speech.ok, speech.line()
    assert speech.detail == "tiny.en loaded on the CPU (int8); stt.device = cpu"
    tts = settings_of(packaged_home).load().tts
    assert voice_model.ok, voice_model.line()
    assert voice_model.detail == f"kokoro-v1.0.int8.onnx loaded with the voice {tts.voice}"
    assert checks["Voices"].ok == bool(english_voices([tts.voice])), checks["Voices"].line()


def test_automatic_device_says_why_not_a_gpu(packaged_home: Path) -> None:
    """``stt.device = auto`` (the default) loads on CUDA where it works, else says why the CPU."""
    speech = checks_by_name(environ_for(packaged_home))["Speech model"]
    assert speech.ok, speech.line()
    if "CUDA" not in speech.detail:
        reason = speech.detail.split("; ", 1)[1]
        assert reason == "no NVIDIA GPU found" or "is present but unused" in reason, speech.detail


def test_japanese_voices_only_are_not_english(packaged_home: Path) -> None:
    """The packaged Japanese voices file in use: Kokoro loads with it, but the answers are English."""
    shutil.copy(packaged_voices(), packaged_home / "voices_ja.npz")
    settings_of(packaged_home).set_many(
        {"tts.voices": str(packaged_home / "voices_ja.npz"), "tts.voice": "jf_alpha"}
    )
    checks = checks_by_name(environ_for(packaged_home))
    assert checks["Voice model"].ok, checks["Voice model"].line()
    voices = checks["Voices"]
    assert voices.line() == (
        "✗ Voices: voices_ja.npz speaks only Japanese, and the answers are in English"
        " — fix: desktop-assistant models download kokoro-voices-v1.0"
    )


def test_a_japanese_voice_chosen_from_english_ones_names_an_english_voice(tmp_path: Path) -> None:
    voices = tmp_path / "models" / "kokoro" / "mixed.npz"
    voices.parent.mkdir(parents=True)
    np.savez(voices, jf_alpha=np.zeros((3, 256), np.float32), bf_emma=np.zeros((3, 256), np.float32))
    settings_of(tmp_path).set_many({"tts.voices": "mixed.npz", "tts.voice": "jf_alpha"})
    context, _ = load_context(environ_for(tmp_path))
    check = voices_check(context)
    assert not check.ok
    assert check.detail == "the voice jf_alpha speaks Japanese, and the answers are in English"
    assert check.fix == "desktop-assistant config set tts.voice bf_emma"
    settings_of(tmp_path).set("tts.voice", "bf_emma")
    context, _ = load_context(environ_for(tmp_path))
    assert (
        voices_check(context).line()
        == "✓ Voices: bf_emma speaks British English (1 English voice in mixed.npz)"
    )


def test_free_disk_is_room_for_the_largest_download(tmp_path: Path) -> None:
    largest = max(entry.download_bytes for entry in recommended_entries(load_catalog()))
    assert room_needed(load_catalog()) == largest + DISK_MARGIN_BYTES
    models = tmp_path / "not" / "made" / "yet"
    free = shutil.disk_usage(tmp_path).free
    assert free_disk_check(models, 1).ok
    short = free_disk_check(models, free + 10**15)
    assert not short.ok and str(models) in short.detail
    assert short.fix.startswith("free at least 1000") and short.fix.endswith(" on that disk")


def test_an_unreadable_settings_file_is_a_failure_and_the_rest_runs_on_defaults(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.toml").write_text("[stt\nmodel = 1\n")
    checks = checks_by_name(environ_for(tmp_path))
    settings = checks["Settings"]
    assert not settings.ok and "is not valid TOML" in settings.detail
    assert "move the file aside" in settings.fix
    assert checks["Speech model"].detail == "The Whisper model 'tiny.en' is not installed"
