"""``desktop-assistant models`` as a user runs it: real subprocesses against the loopback model server as
the mirror and a small test catalog; what they print (stdout, and the progress lines on a stderr that
is not a terminal), their exit codes, and the files they leave.

``tests/fetch/`` covers the download machinery itself (every server fault, the hub, the settings an
install changes); these tests are about the command line around it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from desktop_assistant.bench.ollama_api import OllamaTestServer
from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.fetch.catalog import load_catalog
from desktop_assistant.fetch.install import CATALOG_VARIABLE, MIRROR_VARIABLE
from desktop_assistant.fetch.progress import human_bytes
from desktop_assistant.store.models import ModelLibrary
from desktop_assistant.store.packaged import GGUF_NAME, has_packaged_gguf
from tests.cli.test_ask import closed_port, one_error_line
from tests.fetch.catalogs import (
    RELEASE,
    gguf_table,
    hub_file,
    kokoro_table,
    packaged_gguf_table,
    release_file,
    voices_npz,
    write_catalog,
)
from tests.fetch.model_server import ModelServer
from tests.gguf_files import gguf_bytes

pytestmark = [pytest.mark.cli, pytest.mark.ollama]

MODEL = os.urandom(300_000)
VOICES = voices_npz("af_heart", "jf_alpha")
WHISPER_FILES = (("config.json", b'{"a": 1}'), ("model.bin", bytes(range(256)) * 400))
REVISION = "0123456789abcdef0123456789abcdef01234567"
MODEL_PATH = f"{RELEASE}/kokoro-test.onnx"
VOICES_PATH = f"{RELEASE}/voices-test.bin"
GGUF = gguf_bytes("Test GGUF", padding=200_000)
GGUF_PATH = f"/huggingface.co/test/gguf/resolve/{REVISION}/test-q4.gguf"
PACKAGED = load_catalog().get("smollm2-135m-instruct")
needs_smollm2 = pytest.mark.skipif(not has_packaged_gguf(), reason="the builtin-llm extra is not installed")
PACKAGED_LINE = f"Imported the built-in model '{GGUF_NAME}' into {{}}; llm.builtin_model = {GGUF_NAME}"


@dataclass(frozen=True)
class Mirror:
    """The model server as the mirror, the home the commands use, and the environment that says so."""

    server: ModelServer
    home: Path
    env: dict[str, str]

    def models(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``desktop-assistant models ARGS`` in a subprocess; its stderr is a pipe, not a terminal."""
        return subprocess.run(
            [sys.executable, "-m", "desktop_assistant", "models", *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def gets(self) -> list[str]:
        """The paths the server was asked for with GET so far."""
        return [r.path for r in self.server.requests if r.method == "GET"]

    @property
    def kokoro(self) -> Path:
        return self.home / "models" / "kokoro"


@pytest.fixture
def mirror(tmp_path: Path, ollama_server: OllamaTestServer) -> Iterator[Mirror]:
    """A fresh home; a catalog of a two-file Whisper repository, a 300 kB Kokoro model, a voices file and
    a GGUF, all on the model server, and the packaged SmolLM2; the loopback Ollama (with gemma3:4b, the
    default model)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    files = []
    for name, data in WHISPER_FILES:
        (repo / name).write_bytes(data)
        files.append({"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    whisper = {
        "name": "whisper-test",
        "title": "Whisper test: two small files",
        "install_as": "test",
        "repo": "test/whisper",
        "revision": REVISION,
        "files": files,
    }
    catalog = write_catalog(
        tmp_path / "catalog.toml",
        {
            "whisper": [whisper],
            "kokoro": [
                kokoro_table("kokoro-test", "model", [release_file("kokoro-test.onnx", MODEL)]),
                kokoro_table("kokoro-voices-test", "voices", [release_file("voices-test.bin", VOICES)]),
            ],
            "ollama": [
                {"name": "moondream:1.8b", "title": "Moondream 2: sees images", "size": 1_700_000_000}
            ],
            "gguf": [
                packaged_gguf_table(PACKAGED),
                gguf_table("gguf-test", "test/gguf", REVISION, [hub_file("test-q4.gguf", GGUF)]),
            ],
        },
    )
    with ModelServer() as server:
        server.add_repo("test/whisper", REVISION, repo)
        server.add_file(MODEL_PATH, MODEL)
        server.add_file(VOICES_PATH, VOICES)
        server.add_file(GGUF_PATH, GGUF)
        env = {
            **os.environ,
            "DESKTOP_ASSISTANT_HOME": str(tmp_path / "home"),
            MIRROR_VARIABLE: server.url,
            CATALOG_VARIABLE: str(catalog),
            "OLLAMA_HOST": ollama_server.url,
            "HF_HOME": str(tmp_path / "hf-home"),
        }
        yield Mirror(server, tmp_path / "home", env)


def rows(listing: str) -> dict[str, tuple[str, str, str]]:
    """``models list``'s catalog rows by name: (the in-use mark, the size, the state)."""
    found = {}
    for line in listing.splitlines():
        if line[:2] in ("  ", "* ") and not line.startswith("  ("):
            name, *rest = line[2:].split()
            size = " ".join(rest[:2]) if rest[0] != "installed" else ""
            state = rest[2] if size else rest[0]
            found[name] = (line[0], size, state)
    return found


def test_list_on_an_empty_home_shows_the_catalog_available_with_sizes_and_no_file_in_use(mirror):
    listed = mirror.models("list")
    assert (listed.returncode, listed.stderr) == (0, "")
    headings = [line for line in listed.stdout.splitlines() if not line.startswith((" ", "*"))]
    assert headings == [
        "Speech to text (Whisper)",
        "Voice model (Kokoro)",
        "Voices (Kokoro)",
        "Built-in model (llama.cpp in this process, text only)",
        f"Ollama models (at {mirror.env['OLLAMA_HOST']})",
    ]  # and no "Imported files"
    whisper_bytes = sum(len(data) for _, data in WHISPER_FILES)
    assert rows(listed.stdout) == {
        "whisper-test": (" ", human_bytes(whisper_bytes), "available"),
        "kokoro-test": (" ", "300.0 kB", "available"),
        "kokoro-voices-test": (" ", human_bytes(len(VOICES)), "available"),
        "smollm2-135m-instruct": (" ", "98.4 MB", "available"),
        "gguf-test": (" ", human_bytes(len(GGUF)), "available"),
        "moondream:1.8b": (" ", "1.7 GB", "available"),
        # The default llm.model, which the Ollama server has: the only thing in use.
        "gemma3:4b": ("*", "", "installed"),
    }
    assert mirror.gets() == [] and not mirror.home.joinpath("models").exists()


def test_download_fetches_checks_the_sha256_and_list_then_shows_it_installed(mirror):
    done = mirror.models("download", "kokoro-voices-test")
    target = mirror.kokoro / "voices-test.bin"
    assert done.returncode == 0, done.stderr
    # af_heart, the default voice, is in the file: only tts.voices changes.
    assert done.stdout == f"Installed kokoro-voices-test into {target}; tts.voices = voices-test.bin\n"
    assert (
        done.stderr == f"Downloading voices-test.bin ({human_bytes(len(VOICES))})…\nvoices-test.bin: done\n"
    )
    assert hashlib.sha256(target.read_bytes()).hexdigest() == hashlib.sha256(VOICES).hexdigest()
    assert mirror.gets() == [VOICES_PATH]
    assert rows(mirror.models("list").stdout)["kokoro-voices-test"] == (
        "*",
        human_bytes(len(VOICES)),
        "installed",
    )

    again = mirror.models("download", "kokoro-voices-test")
    assert (again.returncode, again.stdout, again.stderr) == (
        0,
        "kokoro-voices-test is already installed and verified\n",
        "",
    )
    assert mirror.gets() == [VOICES_PATH]


def test_an_interrupted_download_fails_in_one_line_then_resumes_with_a_range(mirror):
    mirror.server.fail_next(MODEL_PATH, "truncate")  # half the body, then the connection closes
    cut = mirror.models("download", "kokoro-test")
    assert cut.returncode == 2 and cut.stdout == ""
    started, error = cut.stderr.splitlines()
    assert started == "Downloading kokoro-test.onnx (300.0 kB)…"
    host = mirror.server.url.removeprefix("http://")
    assert error.startswith(f"error: {host} closed the connection during kokoro-test.onnx (")
    assert error.endswith("Run the same command again to resume it.")
    partial = mirror.kokoro / "kokoro-test.onnx.partial"
    half = len(MODEL) // 2
    assert partial.stat().st_size == half and not (mirror.kokoro / "kokoro-test.onnx").exists()

    resumed = mirror.models("download", "kokoro-test")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stderr == (
        f"Downloading kokoro-test.onnx (300.0 kB, resuming at {human_bytes(half)})…\nkokoro-test.onnx: done\n"
    )
    assert [r.range for r in mirror.server.seen(MODEL_PATH)] == [None, f"bytes={half}-"]
    assert (mirror.kokoro / "kokoro-test.onnx").read_bytes() == MODEL and not partial.exists()
    assert resumed.stdout.startswith("Installed kokoro-test into ")


def test_bytes_that_fail_the_sha256_are_one_line_status_2_and_leave_nothing(mirror):
    mirror.server.fail_next(MODEL_PATH, "flip")
    failed = mirror.models("download", "kokoro-test")
    assert failed.returncode == 2 and failed.stdout == "" and "Traceback" not in failed.stderr
    started, error = failed.stderr.splitlines()
    assert started == "Downloading kokoro-test.onnx (300.0 kB)…"
    host = mirror.server.url.removeprefix("http://")
    assert error == (
        f"error: kokoro-test.onnx from {host} fails its sha256 check: it was damaged in transit, or the "
        "server or mirror serves other bytes. Run the same command again to download it afresh."
    )
    assert list(mirror.kokoro.iterdir()) == []  # neither the file nor a .partial
    assert SettingsStore(AppPaths.resolve(mirror.env)).load().tts.model == ""


def test_a_gguf_download_is_checked_becomes_the_builtin_model_and_is_listed_in_use(mirror):
    done = mirror.models("download", "gguf-test")
    target = mirror.home / "models" / "llm" / "test-q4.gguf"
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"Installed gguf-test into {target}; llm.builtin_model = test-q4.gguf\n"
    assert target.read_bytes() == GGUF and mirror.gets() == [GGUF_PATH]
    listed = rows(mirror.models("list").stdout)
    assert listed["gguf-test"] == ("*", human_bytes(len(GGUF)), "installed")
    assert listed["smollm2-135m-instruct"][0] == " "

    mirror.server.fail_next(GGUF_PATH, "flip")
    target.unlink()
    failed = mirror.models("download", "gguf-test")
    assert failed.returncode == 2 and "Traceback" not in failed.stderr
    assert failed.stderr.splitlines()[-1].startswith("error: test-q4.gguf from ")
    assert "fails its sha256 check" in failed.stderr and not target.exists()


def test_an_imported_gguf_outside_the_catalog_is_listed_as_the_one_in_use(mirror, tmp_path):
    source = tmp_path / "mine.gguf"
    source.write_bytes(GGUF)
    assert mirror.models("import-gguf", str(source)).returncode == 0
    listing = mirror.models("list").stdout.splitlines()
    imported = listing[listing.index("Imported files") + 1 :]
    assert [line.split()[:2] for line in imported] == [["*", "mine.gguf"]]


def test_an_unknown_name_is_one_line_with_the_close_matches(mirror):
    line = one_error_line(mirror.models("download", "kokoro-voice-test"))
    assert line == (
        "error: No model called 'kokoro-voice-test' in the catalog. Did you mean kokoro-voices-test, "
        "kokoro-test? Run 'desktop-assistant models list' to see them all."
    )
    assert mirror.server.requests == []


@needs_smollm2
def test_install_default_downloads_the_set_once_and_nothing_the_second_time(mirror):
    first = mirror.models("install-default")
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        f"Installed whisper-test into {mirror.home / 'models' / 'whisper' / 'test'}; stt.model = test",
        f"Installed kokoro-test into {mirror.kokoro / 'kokoro-test.onnx'}; tts.model = kokoro-test.onnx",
        f"Installed kokoro-voices-test into {mirror.kokoro / 'voices-test.bin'}; "
        "tts.voices = voices-test.bin",
        PACKAGED_LINE.format(mirror.home / "models" / "llm"),
    ]
    assert [line for line in first.stderr.splitlines() if not line.startswith("Downloading")] == [
        "whisper-test: done",
        "kokoro-test.onnx: done",
        "voices-test.bin: done",
    ]
    fetched = len(mirror.server.requests)

    second = mirror.models("install-default")
    assert (second.returncode, second.stderr) == (0, "")
    assert second.stdout.splitlines() == [
        *(
            f"{name} is already installed and verified"
            for name in ("whisper-test", "kokoro-test", "kokoro-voices-test")
        ),
        PACKAGED_LINE.format(mirror.home / "models" / "llm"),  # a local copy, no download
    ]
    assert len(mirror.server.requests) == fetched  # not even a HEAD
    listing = mirror.models("list").stdout
    assert "Imported files" not in listing  # the downloaded Whisper folder is its catalog row
    listed = rows(listing)
    installed = ("whisper-test", "kokoro-test", "kokoro-voices-test", PACKAGED.name)
    assert [listed[name][::2] for name in installed] == [("*", "installed")] * 4


@pytest.mark.model
def test_install_default_where_the_hosts_cannot_be_reached_uses_the_packaged_copies(mirror):
    down = closed_port()
    offline = Mirror(mirror.server, mirror.home, {**mirror.env, MIRROR_VARIABLE: down})
    done = offline.models("install-default")
    assert done.returncode == 0, done.stderr
    host = down.removeprefix("http://")
    refused = f"Cannot reach {host} ([Errno 111] Connection refused)"
    later = "'desktop-assistant models download {}' fetches it later"
    assert done.stdout.splitlines() == [
        f"Could not download whisper-test (Cannot reach {host} for test/whisper): using the packaged Whisper "
        f"tiny.en instead; {later.format('whisper-test')}",
        f"Could not download kokoro-test ({refused}): using the packaged Kokoro v1.0 int8 instead; "
        f"{later.format('kokoro-test')}",
        f"Could not download kokoro-voices-test ({refused}): using the packaged voices (five Japanese "
        f"voices, which read English with an accent) instead; {later.format('kokoro-voices-test')}",
        PACKAGED_LINE.format(mirror.home / "models" / "llm"),
    ]
    # The hub's retries of the unreachable host go to the log file, not the terminal.
    assert done.stderr == "Downloading whisper-test (102.4 kB)…\n"
    assert "Retrying in" in (mirror.home / "logs" / "desktop-assistant.log").read_text()
    settings = SettingsStore(AppPaths.resolve(mirror.env)).load()
    library = ModelLibrary(mirror.home / "models")
    assert library.whisper_dir(settings.stt) == mirror.home / "models" / "whisper" / "tiny.en"
    model, voices = library.kokoro_files(settings.tts)
    assert (model.name, voices.name, settings.tts.voice) == (
        "kokoro-v1.0.int8.onnx",
        "voices_ja.npz",
        "jf_alpha",
    )
    assert mirror.server.requests == []
