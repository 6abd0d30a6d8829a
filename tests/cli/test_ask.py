"""``desktop-assistant ask`` end to end: a subprocess, the real models, the real ollama client, our server."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile
from PIL import Image

from desktop_assistant.audio.files import read_audio
from desktop_assistant.bench.ollama_api import OllamaTestServer
from desktop_assistant.config.settings import TtsSettings
from desktop_assistant.core.conversation import default_persona
from desktop_assistant.stt.faster_whisper import FasterWhisperTranscriber
from tests.llm.test_images import png_header_only
from tests.models_home import speech_file, speech_text, word_error_rate

pytestmark = [pytest.mark.cli, pytest.mark.model, pytest.mark.ollama]

REPLY = "The speaker is John F. Kennedy. He asks Americans to serve their country, not the other way round."
JFK = speech_file()


def ask(home: Path, host: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DESKTOP_ASSISTANT_HOME": str(home), "OLLAMA_HOST": host}
    return subprocess.run(
        [sys.executable, "-m", "desktop_assistant", "ask", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]


@pytest.fixture
def server() -> Any:
    with OllamaTestServer(reply=REPLY, models={"gemma3:4b": True, "llama3.2:1b": False}) as running:
        yield running


def test_jfk_question_gets_transcript_reply_speech_and_timings(
    model_home: Path,
    server: OllamaTestServer,
    tmp_path: Path,
    transcriber: FasterWhisperTranscriber,
    tts_settings: TtsSettings,
) -> None:
    out = tmp_path / "reply.wav"
    proc = ask(model_home, server.url, "--audio", JFK, "--out", out, "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert word_error_rate(speech_text(), report["transcript"]) <= 0.10
    assert report["reply"] == REPLY
    assert report["spoken"] == REPLY
    assert report["model"] == "gemma3:4b"
    assert report["audio_out"] == str(out.resolve())
    assert report["incomplete"] is False and report["error"] is None
    timings = report["timings_ms"]
    for key in ("stt", "llm_first_token", "tts_first_chunk", "first_audio", "total"):
        assert isinstance(timings[key], int | float) and timings[key] > 0, key
    assert timings["first_audio"] < timings["total"]

    (chat,) = server.requests_to("/api/chat")
    messages = chat.body["messages"]
    assert messages[0] == {"role": "system", "content": default_persona()}
    assert messages[-1]["role"] == "user" and messages[-1]["content"] == report["transcript"]
    assert chat.body["keep_alive"] == "30m"
    assert chat.body["options"] == {"num_ctx": 4096, "temperature": 0.7}

    info = soundfile.info(out)
    assert (info.samplerate, info.channels) == (24_000, 1)
    heard = transcriber.transcribe(read_audio(out, 16_000))
    wer = word_error_rate(REPLY, heard.text)  # 0.0 with af_heart and with the packaged jf_alpha
    assert wer <= 0.25, f"WER {wer:.3f} with {tts_settings.voice}: {heard.text!r}"


def test_typed_question_with_an_image_and_a_model_override(
    model_home: Path, server: OllamaTestServer, tmp_path: Path
) -> None:
    picture = tmp_path / "shot.png"
    Image.new("RGB", (3000, 1000), (200, 30, 30)).save(picture)
    proc = ask(
        model_home,
        server.url,
        "--text",
        "What colour is this?",
        "--image",
        picture,
        "--model",
        "gemma3:4b",
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["transcript"] == "What colour is this?"
    assert report["timings_ms"]["stt"] is None
    assert report["audio_out"] is None
    (chat,) = server.requests_to("/api/chat")
    (image,) = chat.body["messages"][-1]["images"]
    import base64
    import io

    sent = Image.open(io.BytesIO(base64.b64decode(image)))
    assert sent.size == (1568, 523)


def test_plain_output_names_what_was_heard_and_said(model_home: Path, server: OllamaTestServer) -> None:
    proc = ask(model_home, server.url, "--text", "Who spoke?")
    assert proc.returncode == 0, proc.stderr
    reply, kept = proc.stdout.splitlines()
    assert reply == REPLY
    assert re.fullmatch(r"Kept in conversation (\w+) \(continue with --conversation \1\)", kept), kept


def closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def write_silence(path: Path) -> Path:
    hiss = (np.random.default_rng(3).standard_normal(48_000) * 0.001).astype(np.float32)
    soundfile.write(path, hiss, 16_000)
    return path


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing-audio", "error: Audio file not found"),
        ("not-audio", "error: Cannot read notes.wav as audio"),
        ("silence", "error: No speech detected in quiet.wav"),
        ("corrupt-image", "broken.png"),
        ("missing-image", "missing.png"),
        ("huge-image", "megapixels"),
        ("server-down", "error: Cannot reach Ollama at http://127.0.0.1:"),
        ("missing-model", "ollama pull nope:7b"),
        ("no-vision", "cannot see images"),
        ("http-error", "500"),
    ],
)
def test_bad_input_is_one_line_and_status_2(
    case: str, expected: str, model_home: Path, server: OllamaTestServer, tmp_path: Path
) -> None:
    host = server.url
    notes = tmp_path / "notes.wav"
    notes.write_text("not audio")
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
    huge = tmp_path / "huge.png"
    huge.write_bytes(png_header_only(40_000, 40_000))
    args: dict[str, list[str | Path]] = {
        "missing-audio": ["--audio", tmp_path / "gone.flac"],
        "not-audio": ["--audio", notes],
        "silence": ["--audio", write_silence(tmp_path / "quiet.wav")],
        "corrupt-image": ["--text", "What is this?", "--image", broken],
        "missing-image": ["--text", "What is this?", "--image", tmp_path / "missing.png"],
        "huge-image": ["--text", "What is this?", "--image", huge],
        "server-down": ["--text", "Hello there"],
        "missing-model": ["--text", "Hello there", "--model", "nope:7b"],
        "no-vision": [
            "--text",
            "What is this?",
            "--model",
            "llama3.2:1b",
            "--image",
            JFK.parent / "none.png",
        ],
        "http-error": ["--text", "Hello there"],
    }
    if case == "server-down":
        host = closed_port()
    if case == "http-error":
        server.http_error = (500, "out of memory")
    if case == "no-vision":
        Image.new("RGB", (10, 10)).save(tmp_path / "ok.png")
        args[case][-1] = tmp_path / "ok.png"
    line = one_error_line(ask(model_home, host, *args[case]))
    assert expected in line
    if case in ("silence", "missing-audio", "not-audio", "corrupt-image", "missing-image", "huge-image"):
        assert server.requests_to("/api/chat") == []


def test_server_down_still_shows_what_was_heard(model_home: Path) -> None:
    proc = ask(model_home, closed_port(), "--audio", JFK, "--json")
    one_error_line(proc)
    report = json.loads(proc.stdout)
    assert "ask not what your country can do for you" in report["transcript"].lower().replace(",", "")
    assert report["error"].startswith("Cannot reach Ollama")


def test_a_stream_cut_mid_reply_keeps_what_arrived(
    model_home: Path, server: OllamaTestServer, tmp_path: Path
) -> None:
    server.die_after_tokens = 10
    out = tmp_path / "partial.wav"
    proc = ask(model_home, server.url, "--text", "Who was it?", "--out", out, "--json")
    line = one_error_line(proc)
    assert "cut off" in line
    report = json.loads(proc.stdout)
    assert report["incomplete"] is True
    assert report["reply"] == "The speaker is John F. Kennedy. He asks"
    assert report["spoken"] == report["reply"]
    assert soundfile.info(out).frames > 24_000
