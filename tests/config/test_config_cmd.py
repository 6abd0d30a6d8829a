"""``config list | get | set | path`` driven through argparse with the home folder in tmp_path."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_assistant.cli import config_cmd
from desktop_assistant.config.autostart import launch_command
from desktop_assistant.config.settings import all_keys
from desktop_assistant.errors import ConfigError
from tests.desktop_entries import ENTRY_NAME, desktop_file_validate, exec_argv


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DESKTOP_ASSISTANT_HOME", str(tmp_path))
    return tmp_path


def config(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="desktop-assistant")
    config_cmd.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["config", *argv])
    status: int = args.func(args)
    return status


def settings_file(home: Path) -> Path:
    return home / "config" / "settings.toml"


def test_list_shows_every_key_in_order_with_defaults(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert config("list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" = ")[0] for line in lines] == all_keys()
    assert 'audio.input_device = ""' in lines
    assert "audio.vad_aggressiveness = 2" in lines
    assert 'llm.model = "gemma3:4b"' in lines
    assert "llm.temperature = 0.7" in lines
    assert "stt.vocabulary = (none)" in lines
    assert not home.joinpath("config").exists()


def test_set_then_get_and_list(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert config("set", "llm.model", "llava:7b") == 0
    assert capsys.readouterr().out == 'llm.model = "llava:7b"\n'
    assert settings_file(home).read_bytes() == b'schema_version = 1\n\n[llm]\nmodel = "llava:7b"\n'
    config("get", "llm.model")
    assert capsys.readouterr().out == "llava:7b\n"
    config("list")
    assert 'llm.model = "llava:7b"' in capsys.readouterr().out.splitlines()


def test_list_values_are_comma_separated(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config("set", "stt.vocabulary", "Kokoro, Ollama,,PySide6 ")
    assert capsys.readouterr().out == "stt.vocabulary = Kokoro, Ollama, PySide6\n"
    assert settings_file(home).read_bytes() == (
        b'schema_version = 1\n\n[stt]\nvocabulary = [\n    "Kokoro",\n    "Ollama",\n    "PySide6",\n]\n'
    )
    config("get", "stt.vocabulary")
    assert capsys.readouterr().out == "Kokoro, Ollama, PySide6\n"
    config("set", "stt.vocabulary", "")
    assert capsys.readouterr().out == "stt.vocabulary = (none)\n"
    assert b"vocabulary = []\n" in settings_file(home).read_bytes()


def test_numbers_and_negative_text_values(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config("set", "tts.speed", "1.25")
    config("set", "llm.keep_alive", "-1")
    assert capsys.readouterr().out == 'tts.speed = 1.25\nllm.keep_alive = "-1"\n'
    assert settings_file(home).read_text(encoding="utf-8") == (
        'schema_version = 1\n\n[tts]\nspeed = 1.25\n\n[llm]\nkeep_alive = "-1"\n'
    )


def test_multi_line_text_stays_on_one_listed_line(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config("set", "llm.persona", 'Be brief.\nSay "hi".')
    assert capsys.readouterr().out == 'llm.persona = "Be brief.\\nSay \\"hi\\"."\n'
    config("get", "llm.persona")
    assert capsys.readouterr().out == 'Be brief.\nSay "hi".\n'


def test_bad_value_is_rejected_and_file_unchanged(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config("set", "llm.model", "a")
    before = settings_file(home).read_bytes()
    with pytest.raises(ConfigError) as caught:
        config("set", "audio.vad_aggressiveness", "loud")
    assert caught.value.line() == (
        "Setting 'audio.vad_aggressiveness' cannot be 'loud'. It takes a whole number from 0 to 3."
    )
    with pytest.raises(ConfigError, match=r"It takes one of: auto, cpu, cuda\."):
        config("set", "stt.device", "gpu")
    assert settings_file(home).read_bytes() == before


def test_unknown_key(home: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"Unknown setting 'llm\.colour'\. Run 'desktop-assistant config list'"
    ):
        config("get", "llm.colour")
    with pytest.raises(ConfigError, match="Unknown setting 'nope'"):
        config("set", "nope", "1")
    assert not settings_file(home).exists()


def test_unknown_keys_in_the_file_are_listed_and_kept(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings_file(home).parent.mkdir(parents=True)
    settings_file(home).write_text('[llm]\nmodel = "a"\nflavour = "mint"\n', encoding="utf-8")
    config("list")
    lines = capsys.readouterr().out.splitlines()
    assert lines[len(all_keys()) :] == ["llm.flavour  (unknown: kept in the file, ignored)"]
    config("set", "llm.num_ctx", "8192")
    assert settings_file(home).read_text(encoding="utf-8") == (
        'schema_version = 1\n\n[llm]\nmodel = "a"\nflavour = "mint"\nnum_ctx = 8192\n'
    )


def test_hand_edited_bad_value_names_key_and_file(home: Path) -> None:
    settings_file(home).parent.mkdir(parents=True)
    settings_file(home).write_text("[stt]\nbeam_size = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        config("list")
    assert caught.value.line() == (
        "Setting 'stt.beam_size' cannot be 0. It takes a whole number from 1 to 10. "
        f"Fix it in {settings_file(home)} or run 'desktop-assistant config set KEY VALUE'."
    )


def test_path_prints_every_folder(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert config("path") == 0
    assert capsys.readouterr().out == (
        f"settings: {home / 'config' / 'settings.toml'}\n"
        f"data: {home / 'data'}\n"
        f"models: {home / 'models'}\n"
        f"logs: {home / 'logs'}\n"
    )
    assert list(home.iterdir()) == []


def test_an_action_is_required(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        config()
    assert caught.value.code == 2
    assert "the following arguments are required: ACTION" in capsys.readouterr().err


def test_start_at_login_adds_and_removes_the_autostart_entry(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    entry = tmp_path / "xdg" / "autostart" / ENTRY_NAME
    assert config("set", "ui.start_at_login", "true") == 0
    assert capsys.readouterr().out == "ui.start_at_login = True\n"
    assert b"[ui]\nstart_at_login = true\n" in settings_file(home).read_bytes()
    desktop_file_validate(entry)
    assert exec_argv(entry) == launch_command()
    assert config("set", "ui.start_at_login", "off") == 0
    assert not entry.exists()
    assert b"start_at_login = false" in settings_file(home).read_bytes()


def test_an_autostart_folder_that_cannot_be_written_is_one_line_and_the_setting_stays(tmp_path: Path) -> None:
    xdg = tmp_path / "xdg"
    xdg.mkdir()
    (xdg / "autostart").write_text("in the way")
    env = {**os.environ, "DESKTOP_ASSISTANT_HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(xdg)}
    done = subprocess.run(
        [sys.executable, "-m", "desktop_assistant", "config", "set", "ui.start_at_login", "yes"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"error: Cannot write the start-at-login entry {xdg}/autostart/{ENTRY_NAME}: File exists. "
        "Check that its folder is writable, or leave ui.start_at_login off.\n"
    )
    assert not settings_file(tmp_path / "home").exists()
