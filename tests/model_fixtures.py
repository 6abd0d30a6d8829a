"""Fixtures for tests that load the real Whisper and Kokoro test models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_assistant.__main__ import main
from desktop_assistant.config.settings import SttSettings, TtsSettings
from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.store.models import ModelLibrary
from desktop_assistant.store.packaged import packaged_gguf
from desktop_assistant.stt.faster_whisper import FasterWhisperTranscriber
from desktop_assistant.tts.kokoro import KokoroSynthesizer
from tests.models_home import english_voices


@pytest.fixture(scope="session")
def model_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A DESKTOP_ASSISTANT_HOME where ``models install-packaged`` has imported the test models.

    With the English voices from shared/ where they exist, else with the packaged Japanese voices. The
    built-in model is imported too, but ``llm.backend`` is ``ollama``: a test meets the built-in model
    only where it asks for it (its replies are real model output, not a script to compare with).
    """
    home = tmp_path_factory.mktemp("home")
    english = english_voices()
    voices = ["--voices", str(english)] if english else []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DESKTOP_ASSISTANT_HOME", str(home))
        assert main(["models", "install-packaged", *voices]) == 0
        assert main(["config", "set", "llm.backend", "ollama"]) == 0
    yield home


@pytest.fixture(scope="session")
def library(model_home: Path) -> ModelLibrary:
    """The model library inside ``model_home``."""
    return ModelLibrary(model_home / "models")


@pytest.fixture(scope="session")
def tts_settings(model_home: Path) -> TtsSettings:
    """The Kokoro model, voices file and voice that ``install-packaged`` chose in ``model_home``."""
    return SettingsStore(AppPaths.resolve({"DESKTOP_ASSISTANT_HOME": str(model_home)})).load().tts


@pytest.fixture(scope="session")
def transcriber(library: ModelLibrary) -> FasterWhisperTranscriber:
    """Whisper tiny.en, int8 on the CPU, loaded once."""
    settings = SttSettings(device="cpu")
    return FasterWhisperTranscriber(settings, library.whisper_dir(settings))


@pytest.fixture(scope="session")
def synthesizer(library: ModelLibrary, tts_settings: TtsSettings) -> KokoroSynthesizer:
    """Kokoro v1.0 int8 with the voice ``install-packaged`` chose (af_heart, or jf_alpha), loaded once."""
    return KokoroSynthesizer(tts_settings, *library.kokoro_files(tts_settings))


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """The packaged SmolLM2-135M-Instruct Q4_1 GGUF file (the ``builtin-llm`` extra), its sha256 checked."""
    return packaged_gguf()
