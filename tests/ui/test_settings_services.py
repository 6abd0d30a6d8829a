"""``AppSettingsServices`` over a real model library folder: what the settings dialog is offered."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_assistant.app import Context
from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.errors import ModelFileError
from desktop_assistant.tts.kokoro import voice_names
from desktop_assistant.ui.settings_services import AppSettingsServices, tone_samples
from tests.models_home import voices_file


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppSettingsServices:
    monkeypatch.setenv("DESKTOP_ASSISTANT_HOME", str(tmp_path))
    paths = AppPaths.resolve()
    for name in ("small.en", "tiny.en"):
        (paths.models_dir / "whisper" / name).mkdir(parents=True)
    return AppSettingsServices(Context(paths, SettingsStore(paths).load()))


def test_whisper_models_are_the_imported_ones(services: AppSettingsServices) -> None:
    assert services.whisper_models() == ["small.en", "tiny.en"]


def test_voices_follow_the_voices_file_saved_after_start(
    services: AppSettingsServices, tmp_path: Path
) -> None:
    with pytest.raises(ModelFileError, match="No Kokoro voice model is set up"):
        services.voices()
    store = SettingsStore(AppPaths.resolve())
    store.set_many({"tts.model": "kokoro.onnx", "tts.voices": str(voices_file())})
    offered = services.voices()
    assert offered == voice_names(voices_file()) and len(offered) >= 5


def test_a_preview_before_the_voice_model_loaded_is_one_line(services: AppSettingsServices) -> None:
    with pytest.raises(ModelFileError) as caught:
        services.preview_voice("af_heart", 1.0, "")
    assert caught.value.line() == (
        "The voice model is not loaded yet. Try the preview again once the assistant is ready."
    )


def test_the_test_tone_is_soft_and_starts_and_ends_in_silence() -> None:
    tone = tone_samples(24_000)
    assert len(tone) == int(24_000 * 0.6)
    assert 0.25 < float(abs(tone).max()) < 0.31
    assert abs(tone[0]) < 1e-3 and abs(tone[-1]) < 1e-3
