"""install_entry and catalog_state: files where the model library looks, settings that use them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desktop_assistant.config.settings import Settings
from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.errors import DownloadError, ModelFileError
from desktop_assistant.fetch.catalog import Catalog, load_catalog, parse_catalog
from desktop_assistant.fetch.install import (
    CATALOG_VARIABLE,
    MIRROR_VARIABLE,
    catalog_for_run,
    catalog_state,
    install_entry,
    models_mirror,
)
from desktop_assistant.store.models import ModelLibrary
from desktop_assistant.store.packaged import join_kokoro_parts
from tests.fetch.catalogs import RELEASE, kokoro_table, release_file, voices_npz
from tests.fetch.conftest import Recorder

MODEL = os.urandom(200_000)


def _catalog(model_name: str, voices: bytes) -> Catalog:
    return parse_catalog(
        {
            "kokoro": [
                kokoro_table("k-model", "model", [release_file(model_name, MODEL)]),
                kokoro_table("k-voices", "voices", [release_file("voices-v1.0.bin", voices)]),
            ],
            "ollama": [{"name": "gemma3:4b", "title": "t", "size": 1}],
        }
    )


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return AppPaths(tmp_path / "config", tmp_path / "data", tmp_path / "models", tmp_path / "logs")


def test_kokoro_comes_through_the_mirror_once_and_the_settings_use_it(server, recorder, paths):
    voices = voices_npz("jf_alpha", "bf_emma", "af_bella")
    catalog = _catalog("kokoro-v1.0.int8.onnx", voices)
    server.add_file(f"{RELEASE}/kokoro-v1.0.int8.onnx", MODEL)
    server.add_file(f"{RELEASE}/voices-v1.0.bin", voices)
    SettingsStore(paths).set("tts.model", "other.onnx")

    model = install_entry(catalog.get("k-model"), paths, recorder, mirror=server.url)
    pair = install_entry(catalog.get("k-voices"), paths, recorder, mirror=server.url)

    kokoro = paths.models_dir / "kokoro"
    assert (kokoro / "kokoro-v1.0.int8.onnx").read_bytes() == MODEL
    assert [r.path for r in server.requests] == [
        f"{RELEASE}/kokoro-v1.0.int8.onnx",
        f"{RELEASE}/voices-v1.0.bin",
    ]
    settings = SettingsStore(paths).load()
    # An official file: the empty tts.model, so a later fp32 download wins.
    assert (settings.tts.model, settings.tts.voices, settings.tts.voice) == (
        "",
        "voices-v1.0.bin",
        "af_bella",
    )
    assert ModelLibrary(paths.models_dir).kokoro_files(settings.tts) == (
        kokoro / "kokoro-v1.0.int8.onnx",
        kokoro / "voices-v1.0.bin",
    )
    assert model.summary() == f'Installed k-model into {kokoro / "kokoro-v1.0.int8.onnx"}; tts.model = ""'
    assert pair.changed == (("tts.voices", "voices-v1.0.bin"), ("tts.voice", "af_bella"))

    server.requests.clear()
    again = Recorder()
    result = install_entry(catalog.get("k-model"), paths, again, mirror=server.url)
    assert server.requests == [] and result.already_installed and result.changed == ()
    assert result.summary() == "k-model is already installed and verified"
    assert again.begins() == [("kokoro-v1.0.int8.onnx", len(MODEL), len(MODEL))]


def test_another_model_is_named_and_a_voices_file_without_preferred_voices_gets_an_english_one(
    server, recorder, paths
):
    voices = voices_npz("jf_alpha", "am_adam", "bm_george")
    catalog = _catalog("my-kokoro.onnx", voices)
    server.add_file(f"{RELEASE}/my-kokoro.onnx", MODEL)
    server.add_file(f"{RELEASE}/voices-v1.0.bin", voices)
    install_entry(catalog.get("k-model"), paths, recorder, mirror=server.url)
    install_entry(catalog.get("k-voices"), paths, recorder, mirror=server.url)
    settings = SettingsStore(paths).load()
    assert (settings.tts.model, settings.tts.voice) == ("my-kokoro.onnx", "am_adam")


def test_the_full_voices_file_replaces_the_packaged_japanese_voice_with_an_english_one(
    server, recorder, paths
):
    """After the packaged fallback (jf_alpha), the downloaded voices file has jf_alpha too: an English
    user must still get an English voice."""
    SettingsStore(paths).set("tts.voice", "jf_alpha")
    voices = voices_npz("jf_alpha", "af_heart", "bm_george")
    catalog = _catalog("kokoro-v1.0.int8.onnx", voices)
    server.add_file(f"{RELEASE}/voices-v1.0.bin", voices)
    result = install_entry(catalog.get("k-voices"), paths, recorder, mirror=server.url)
    assert result.changed == (("tts.voices", "voices-v1.0.bin"), ("tts.voice", "af_heart"))


def test_a_file_that_fails_its_check_is_not_installed_and_the_settings_stay(server, recorder, paths):
    catalog = _catalog("kokoro-v1.0.int8.onnx", voices_npz("af_heart"))
    server.add_file(f"{RELEASE}/kokoro-v1.0.int8.onnx", MODEL[:-1] + bytes([MODEL[-1] ^ 0xFF]))
    with pytest.raises(DownloadError, match="fails its sha256 check"):
        install_entry(catalog.get("k-model"), paths, recorder, mirror=server.url)
    assert not (paths.models_dir / "kokoro" / "kokoro-v1.0.int8.onnx").exists()
    assert not paths.config_file.exists()


def test_ollama_entries_are_pulled_through_ollama(recorder, paths):
    with pytest.raises(DownloadError, match="ollama pull gemma3:4b"):
        install_entry(load_catalog().get("gemma3:4b"), paths, recorder)


def test_catalog_state_says_what_is_installed_and_in_use(server, recorder, paths):
    catalog = _catalog("kokoro-v1.0.int8.onnx", voices_npz("af_heart"))
    server.add_file(f"{RELEASE}/kokoro-v1.0.int8.onnx", MODEL)
    install_entry(catalog.get("k-model"), paths, recorder, mirror=server.url)
    states = {s.entry.name: s for s in catalog_state(paths, SettingsStore(paths).load(), catalog)}
    kokoro = paths.models_dir / "kokoro"
    assert (states["k-model"].installed, states["k-model"].in_use) == (True, True)
    assert states["k-model"].paths == (kokoro / "kokoro-v1.0.int8.onnx",)
    assert (states["k-voices"].installed, states["k-voices"].in_use) == (False, False)
    assert states["k-voices"].paths == (kokoro / "voices-v1.0.bin",)
    ollama = states["gemma3:4b"]
    assert (ollama.installed, ollama.in_use, ollama.paths) == (None, True, ())  # the default llm.model

    whisper = {s.entry.name: s for s in catalog_state(paths, Settings(), load_catalog())}["whisper-base.en"]
    assert whisper.installed is False and whisper.paths[0].parent == paths.models_dir / "whisper" / "base.en"


def test_the_mirror_variable_wins_over_the_setting(monkeypatch):
    settings, _ = Settings.from_mapping({"models": {"mirror": "https://a.example"}})
    monkeypatch.delenv(MIRROR_VARIABLE, raising=False)
    assert models_mirror(settings) == "https://a.example"
    monkeypatch.setenv(MIRROR_VARIABLE, "https://b.example")
    assert models_mirror(settings) == "https://b.example"


def test_the_catalog_variable_names_another_catalog(tmp_path, monkeypatch):
    monkeypatch.delenv(CATALOG_VARIABLE, raising=False)
    assert catalog_for_run() is load_catalog()
    toml = tmp_path / "models.toml"
    toml.write_text('[[ollama]]\nname = "tiny:1b"\ntitle = "t"\nsize = 5\n')
    monkeypatch.setenv(CATALOG_VARIABLE, str(toml))
    assert [e.name for e in catalog_for_run().entries] == ["tiny:1b"]
    toml.write_text("[[ollama]]\nname = ")
    with pytest.raises(ModelFileError, match="Cannot read the model catalog"):
        catalog_for_run()


def test_the_real_kokoro_int8_installs_from_a_mirror(server, recorder, paths, tmp_path):
    """The one test with the 92 MB file: the catalog's real URL, size and sha256."""
    entry = load_catalog().get("kokoro-v1.0-int8")
    source = join_kokoro_parts(tmp_path / "source" / "kokoro-v1.0.int8.onnx")
    server.add_file(f"{RELEASE}/kokoro-v1.0.int8.onnx", source)
    result = install_entry(entry, paths, recorder, mirror=server.url)
    assert result.location == paths.models_dir / "kokoro" / "kokoro-v1.0.int8.onnx"
    assert result.location.stat().st_size == entry.files[0].size
    assert [r.path for r in server.requests] == [f"{RELEASE}/kokoro-v1.0.int8.onnx"]


SHARED_VOICES = (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "models" / "kokoro" / "voices-v1.0.npz"
)


@pytest.mark.skipif(not SHARED_VOICES.is_file(), reason="the shared Kokoro voices file is not here")
def test_the_real_voices_file_installs_and_keeps_af_heart(server, recorder, paths):
    entry = load_catalog().get("kokoro-voices-v1.0")
    server.add_file(f"{RELEASE}/voices-v1.0.bin", SHARED_VOICES)
    result = install_entry(entry, paths, recorder, mirror=server.url)
    assert result.changed == (("tts.voices", "voices-v1.0.bin"),)  # af_heart is in it: the voice stays
    assert SettingsStore(paths).load().tts.voice == "af_heart"
