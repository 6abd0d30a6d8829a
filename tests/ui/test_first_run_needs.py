"""What the first run finds missing, on real homes: fresh, the packaged models with Japanese voices only,
and complete; the Ollama check against the loopback server."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from desktop_assistant.app import Context
from desktop_assistant.bench.ollama_api import OllamaTestServer
from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.errors import ModelFileError
from desktop_assistant.fetch.catalog import KOKORO_MODEL, KOKORO_VOICES, OLLAMA, WHISPER, load_catalog
from desktop_assistant.fetch.recommend import recommended_entries
from desktop_assistant.setup_needs import setup_needs
from desktop_assistant.store.models import ModelLibrary
from desktop_assistant.tts.voices import english_voices


def context_of(home: Path) -> Context:
    paths = AppPaths.resolve({"DESKTOP_ASSISTANT_HOME": str(home)})
    return Context(paths, SettingsStore(paths).load())


def test_a_fresh_home_needs_every_model(tmp_path: Path) -> None:
    needs = setup_needs(context_of(tmp_path), check_ollama=False)
    assert [need.kind for need in needs.needs] == [WHISPER, KOKORO_MODEL, KOKORO_VOICES]
    whisper = needs.needs[0]
    assert whisper.entry == recommended_entries(load_catalog())[0]
    assert whisper.reason.startswith("The assistant needs a speech model to hear you (Whisper ")
    assert [need.entry.name for need in needs.needs[1:]] == ["kokoro-v1.0", "kokoro-voices-v1.0"]
    assert needs.download_bytes == sum(need.entry.download_bytes for need in needs.needs)
    assert not needs.ollama_checked and needs.ollama is None


def test_japanese_voices_only_need_the_english_ones(tmp_path: Path, model_home: Path) -> None:
    """The model home's models, with a voices file of Japanese voices put in use."""
    home = tmp_path / "home"
    context = context_of(home)
    models = Path(model_home) / "models"
    store = SettingsStore(context.paths)
    library_voices = context.paths.models_dir / "kokoro" / "voices_ja.npz"
    library_voices.parent.mkdir(parents=True)
    np.savez(library_voices, jf_alpha=np.zeros((3, 256), np.float32), jm_kumo=np.zeros((3, 256), np.float32))
    kokoro = next((models / "kokoro").glob("*.onnx"))
    store.set_many(
        {
            "stt.model": str(next((models / "whisper").iterdir())),
            "tts.model": str(kokoro),
            "tts.voices": library_voices.name,
            "tts.voice": "jf_alpha",
        }
    )
    needs = setup_needs(context_of(home), check_ollama=False)
    assert [need.kind for need in needs.needs] == [KOKORO_VOICES]
    assert needs.needs[0].reason.startswith("The installed voices speak only Japanese;")
    assert needs.needs[0].entry.name == "kokoro-voices-v1.0"


def test_a_complete_home_needs_nothing_but_a_running_ollama(
    model_home: Path, ollama_server: OllamaTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = context_of(model_home)
    models_only = setup_needs(context, check_ollama=False)
    voices = SettingsStore(context.paths).load().tts.voice
    if not voices.startswith(("a", "b")):  # the packaged Japanese voices: no shared/ here
        assert [need.kind for need in models_only.needs] == [KOKORO_VOICES]
    else:
        assert not models_only
    monkeypatch.setenv("OLLAMA_HOST", ollama_server.url)
    with_server = setup_needs(context, check_ollama=True)
    assert with_server.ollama is None and with_server.ollama_checked


def test_ollama_unreachable_or_without_the_model(tmp_path: Path, ollama_server: OllamaTestServer) -> None:
    context = context_of(tmp_path)
    store = SettingsStore(context.paths)
    store.set("llm.host", "http://127.0.0.1:9")
    down = setup_needs(context_of(tmp_path)).ollama
    assert down is not None and not down.reachable
    assert down.problem.startswith("Cannot reach Ollama at http://127.0.0.1:9")
    store.set_many({"llm.host": ollama_server.url, "llm.model": "qwen2.5vl:3b"})
    lacking = setup_needs(context_of(tmp_path)).ollama
    assert lacking is not None and lacking.reachable and lacking.kind == OLLAMA
    assert lacking.entry.download_bytes == 3_200_000_000
    assert "does not have 'qwen2.5vl:3b'" in lacking.problem


def test_imported_files_meet_the_needs(tmp_path: Path, model_home: Path) -> None:
    """The real services import a Whisper folder, then a Kokoro model and voices, into a fresh home."""
    from desktop_assistant.ui.first_run_services import AppFirstRunServices

    source = context_of(model_home)
    installed = SettingsStore(source.paths).load()
    library = ModelLibrary(source.paths.models_dir)
    model, voices = library.kokoro_files(installed.tts)
    services = AppFirstRunServices(context_of(tmp_path))
    services.import_whisper(library.whisper_dir(installed.stt))
    assert [need.kind for need in services.needs(check_ollama=False).needs] == [KOKORO_MODEL, KOKORO_VOICES]
    with pytest.raises(ModelFileError, match="together"):
        services.import_kokoro([voices])
    services.import_kokoro([model, voices])
    settings = SettingsStore(context_of(tmp_path).paths).load()
    assert settings.tts.voices == voices.name and settings.tts.voice == installed.tts.voice
    left = services.needs(check_ollama=False).needs
    assert [need.kind for need in left] == ([] if english_voices([installed.tts.voice]) else [KOKORO_VOICES])
