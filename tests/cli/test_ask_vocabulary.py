"""``stt.corrections`` set with ``config set`` and applied by ``ask``: the model gets the name meant."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest

from desktop_assistant.audio.files import write_wav
from desktop_assistant.bench.ollama_api import OllamaTestServer
from desktop_assistant.stt.base import SAMPLE_RATE
from desktop_assistant.tts.kokoro import KokoroSynthesizer
from tests.cli.test_ask import ask, one_error_line
from tests.cli.test_history_cmd import cli, ok
from tests.models_home import word_error_rate
from tests.stt.test_vocabulary import MISHEARD, NAME, SENTENCE, spoken

pytestmark = [pytest.mark.cli, pytest.mark.model, pytest.mark.ollama]

REPLY = "Opening it now."


@pytest.fixture
def home(model_home: Path, tmp_path: Path) -> Path:
    """A settings home of its own, with the test models of ``model_home``."""
    home = tmp_path / "home"
    shutil.copytree(model_home / "config", home / "config")
    (home / "models").symlink_to(model_home / "models")
    return home


def stt_section(home: Path) -> object:
    return tomllib.loads((home / "config" / "settings.toml").read_text(encoding="utf-8")).get("stt")


def test_config_set_takes_comma_separated_pairs_and_names_a_bad_one(tmp_path: Path) -> None:
    home = tmp_path
    out = ok(cli(home, "config", "set", "stt.corrections", "comfy eye=ComfyUI, met for men=Metformin"))
    assert out == "stt.corrections = comfy eye=ComfyUI, met for men=Metformin\n"
    assert ok(cli(home, "config", "get", "stt.corrections")) == "comfy eye=ComfyUI, met for men=Metformin\n"
    out = ok(cli(home, "config", "set", "stt.correction_threshold", "90"))
    assert out == "stt.correction_threshold = 90\n"
    before = stt_section(home)
    pairs = ["comfy eye=ComfyUI", "met for men=Metformin"]
    assert before == {"corrections": pairs, "correction_threshold": 90}

    line = one_error_line(cli(home, "config", "set", "stt.corrections", "comfy eye=ComfyUI, met for men"))
    assert line == (
        "error: The correction 'met for men' has no '='. "
        "Write each as heard=meant, e.g. 'comfy eye=ComfyUI', in stt.corrections."
    )
    line = one_error_line(cli(home, "config", "set", "stt.corrections", "=ComfyUI"))
    assert line.startswith("error: The correction '=ComfyUI' has no words before '='. ")
    line = one_error_line(cli(home, "config", "set", "stt.correction_threshold", "101"))
    assert line == (
        "error: Setting 'stt.correction_threshold' cannot be '101'. It takes a whole number from 0 to 100."
    )
    assert stt_section(home) == before
    # Any list item's own check names it on the command line.
    line = one_error_line(cli(home, "config", "set", "text.redact_patterns", "ok, ([a"))
    assert line.startswith("error: The redact pattern '([a' is not a valid regular expression: ")

    settings = home / "config" / "settings.toml"
    settings.write_text('[stt]\ncorrections = ["comfy eye"]\n', encoding="utf-8")
    line = one_error_line(cli(home, "config", "list"))
    assert line == (
        "error: The correction 'comfy eye' has no '='. Write each as heard=meant, e.g. 'comfy eye=ComfyUI', "
        f"in stt.corrections. Fix it in {settings} or run 'desktop-assistant config set KEY VALUE'."
    )


def test_ask_hears_the_corrected_name_and_asks_the_model_with_it(
    home: Path, tmp_path: Path, synthesizer: KokoroSynthesizer
) -> None:
    recording = tmp_path / "question.wav"
    write_wav(recording, spoken(synthesizer, SENTENCE), SAMPLE_RATE)
    with OllamaTestServer(reply=REPLY) as server:
        plain = json.loads(ok(ask(home, server.url, "--audio", recording, "--json", "--no-history")))
        assert MISHEARD in plain["transcript"]
        ok(cli(home, "config", "set", "stt.corrections", f"zorblettics={NAME}, comfy eye=ComfyUI"))
        report = json.loads(ok(ask(home, server.url, "--audio", recording, "--json", "--no-history")))
        chats = server.requests_to("/api/chat")
    assert NAME in report["transcript"]
    assert word_error_rate(SENTENCE, report["transcript"]) == 0
    assert report["reply"] == REPLY
    assert [chat.body["messages"][-1] for chat in chats] == [
        {"role": "user", "content": plain["transcript"]},
        {"role": "user", "content": report["transcript"]},
    ]
