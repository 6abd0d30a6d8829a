"""The settings file (paths, load, validated atomic writes) and the log file set-up."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from logging.handlers import RotatingFileHandler
from pathlib import Path

import pytest

from desktop_assistant.config.logfile import configure_logging
from desktop_assistant.config.settings import Settings
from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.errors import ConfigError


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return AppPaths.resolve({"DESKTOP_ASSISTANT_HOME": str(tmp_path)})


def write(paths: AppPaths, text: str) -> None:
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text(text, encoding="utf-8")


def test_home_variable_moves_every_folder_and_creates_none(tmp_path: Path) -> None:
    paths = AppPaths.resolve({"DESKTOP_ASSISTANT_HOME": str(tmp_path / "home")})
    root = tmp_path / "home"
    assert paths == AppPaths(root / "config", root / "data", root / "models", root / "logs")
    assert paths.config_file == root / "config" / "settings.toml"
    assert not root.exists()


def test_without_home_variable_platform_folders_are_used() -> None:
    paths = AppPaths.resolve({})
    assert paths.config_dir.name == "desktop-assistant"
    assert paths.models_dir == paths.data_dir / "models"
    assert "DESKTOP_ASSISTANT_HOME" not in str(paths)


def test_missing_file_means_defaults(paths: AppPaths) -> None:
    store = SettingsStore(paths)
    assert store.load() == Settings()
    assert store.unknown_keys == []
    assert not paths.config_dir.exists()


def test_set_writes_only_what_the_user_set(paths: AppPaths) -> None:
    settings = SettingsStore(paths).set("llm.model", "llava:7b")
    assert settings.llm.model == "llava:7b"
    assert paths.config_file.read_bytes() == b'schema_version = 1\n\n[llm]\nmodel = "llava:7b"\n'
    assert SettingsStore(paths).load() == settings


def test_set_many_adds_to_existing_tables_and_writes_lists(paths: AppPaths) -> None:
    store = SettingsStore(paths)
    store.set("llm.model", "llava:7b")
    settings = store.set_many({"stt.vocabulary": ("Kokoro", "Ollama"), "llm.temperature": 0.2})
    assert settings.stt.vocabulary == ("Kokoro", "Ollama")
    assert paths.config_file.read_bytes() == (
        b"schema_version = 1\n\n"
        b'[llm]\nmodel = "llava:7b"\ntemperature = 0.2\n\n'
        b'[stt]\nvocabulary = [\n    "Kokoro",\n    "Ollama",\n]\n'
    )
    assert SettingsStore(paths).load().stt.vocabulary == ("Kokoro", "Ollama")


def test_unknown_keys_are_reported_and_kept(paths: AppPaths, caplog: pytest.LogCaptureFixture) -> None:
    write(paths, 'colour = "red"\n[stt]\nmodel = "base"\nwhisper_size = 3\n[plugins]\nx = 1\n')
    store = SettingsStore(paths)
    with caplog.at_level(logging.WARNING):
        settings = store.load()
    assert settings.stt.model == "base"
    assert store.unknown_keys == ["colour", "stt.whisper_size", "plugins"]
    assert [r.getMessage() for r in caplog.records] == [
        f"Unknown setting '{key}' in {paths.config_file} is kept but ignored"
        for key in ("colour", "stt.whisper_size", "plugins")
    ]

    store.set("stt.beam_size", 2)
    assert paths.config_file.read_text(encoding="utf-8") == (
        'schema_version = 1\ncolour = "red"\n\n'
        '[stt]\nmodel = "base"\nwhisper_size = 3\nbeam_size = 2\n\n'
        "[plugins]\nx = 1\n"
    )
    assert store.unknown_keys == ["colour", "stt.whisper_size", "plugins"]


def test_bad_new_value_is_rejected_and_file_unchanged(paths: AppPaths) -> None:
    write(paths, 'schema_version = 1\n[llm]\nmodel = "x"\n')
    before = paths.config_file.read_bytes()
    with pytest.raises(ConfigError) as caught:
        SettingsStore(paths).set("audio.vad_aggressiveness", 7)
    assert caught.value.line() == (
        "Setting 'audio.vad_aggressiveness' cannot be 7. It takes a whole number from 0 to 3."
    )
    assert paths.config_file.read_bytes() == before


def test_unknown_key_cannot_be_set(paths: AppPaths) -> None:
    with pytest.raises(ConfigError, match=r"Unknown setting 'llm\.colour'"):
        SettingsStore(paths).set("llm.colour", "red")
    assert not paths.config_file.exists()


def test_hand_edited_bad_value_names_key_form_and_file(paths: AppPaths) -> None:
    write(paths, "[tts]\nspeed = 9.5\n")
    with pytest.raises(ConfigError) as caught:
        SettingsStore(paths).load()
    assert caught.value.line() == (
        "Setting 'tts.speed' cannot be 9.5. It takes a number from 0.5 to 2. "
        f"Fix it in {paths.config_file} or run 'desktop-assistant config set KEY VALUE'."
    )


def test_setting_another_key_does_not_hide_a_bad_value(paths: AppPaths) -> None:
    write(paths, "[tts]\nvoice = 3\n")
    with pytest.raises(ConfigError, match=r"Setting 'tts.voice' cannot be 3\. It takes text\. Fix it in "):
        SettingsStore(paths).set("llm.model", "llava:7b")
    assert paths.config_file.read_text(encoding="utf-8") == "[tts]\nvoice = 3\n"


def test_set_repairs_a_bad_value(paths: AppPaths) -> None:
    write(paths, '[stt]\ndevice = "gpu"\n')
    settings = SettingsStore(paths).set("stt.device", "cuda")
    assert settings.stt.device == "cuda"
    assert paths.config_file.read_bytes() == b'schema_version = 1\n\n[stt]\ndevice = "cuda"\n'


def test_syntax_error_names_file_and_line(paths: AppPaths) -> None:
    write(paths, '[llm]\nmodel = "a"\ntemperature = \n')
    with pytest.raises(ConfigError) as caught:
        SettingsStore(paths).load()
    assert caught.value.line() == (
        f"The settings file {paths.config_file} is not valid TOML: Invalid value (at line 3, column 15). "
        "Fix that line, or move the file aside to start from the defaults."
    )


def test_area_that_is_not_a_table(paths: AppPaths) -> None:
    write(paths, 'llm = "x"\n')
    with pytest.raises(ConfigError, match=r"'llm' in .* is not a table of settings"):
        SettingsStore(paths).set("llm.model", "y")
    with pytest.raises(
        ConfigError, match=r"'llm' must be a table of settings\. Write it as \[llm\]\. Fix it"
    ):
        SettingsStore(paths).load()


def test_newer_schema_asks_for_an_upgrade(paths: AppPaths) -> None:
    write(paths, "schema_version = 2\n")
    with pytest.raises(ConfigError) as caught:
        SettingsStore(paths).load()
    assert caught.value.line() == (
        f"The settings file {paths.config_file} is for a newer desktop-assistant "
        "(schema version 2; this one reads 1). "
        "Upgrade desktop-assistant, or move the file aside to start from the defaults."
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("schema_version = 0\n", "is 0, which no desktop-assistant ever wrote"),
        ('schema_version = "1"\n', "must be a whole number, not '1'"),
    ],
)
def test_unknown_schema_versions_are_rejected(paths: AppPaths, text: str, message: str) -> None:
    write(paths, text)
    with pytest.raises(ConfigError, match=message):
        SettingsStore(paths).load()


def test_file_without_schema_version_is_read_as_current(paths: AppPaths) -> None:
    write(paths, "[text]\nfirst_chunk_min_words = 5\n")
    assert SettingsStore(paths).load().text.first_chunk_min_words == 5


def test_write_leaves_no_temporary_file(paths: AppPaths) -> None:
    store = SettingsStore(paths)
    store.set("llm.model", "a")
    store.set("llm.model", "b")
    assert sorted(p.name for p in paths.config_dir.iterdir()) == ["settings.toml"]


def test_failed_replace_keeps_the_old_file_and_removes_the_temporary(
    paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SettingsStore(paths)
    store.set("llm.model", "a")
    before = paths.config_file.read_bytes()

    def refuse(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(ConfigError, match=r"Cannot write the settings file .*No space left on device"):
        store.set("llm.model", "b")
    assert paths.config_file.read_bytes() == before
    assert sorted(p.name for p in paths.config_dir.iterdir()) == ["settings.toml"]


def test_unreadable_bytes_are_a_config_error(paths: AppPaths) -> None:
    paths.config_dir.mkdir(parents=True)
    paths.config_file.write_bytes(b'[llm]\nmodel = "\xff"\n')
    with pytest.raises(ConfigError, match="Cannot read the settings file"):
        SettingsStore(paths).load()


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def test_logging_writes_a_formatted_file(
    tmp_path: Path, root_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    log_path = configure_logging(tmp_path / "logs")
    assert log_path == tmp_path / "logs" / "desktop-assistant.log"
    logging.getLogger("desktop_assistant.test").info("hello %s", "file")
    logging.getLogger("desktop_assistant.test").debug("not at INFO")
    lines = log_path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert lines[0].endswith(" INFO    [MainThread] desktop_assistant.test: hello file")
    assert capsys.readouterr().err == ""


def test_our_warnings_also_go_to_stderr_as_one_plain_line(
    tmp_path: Path, root_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    log_path = configure_logging(tmp_path)
    logging.getLogger("desktop_assistant.x").warning("disk %s", "full")
    logging.getLogger("phonemizer").warning("words count mismatch")
    assert capsys.readouterr().err == "warning: disk full\n"
    lines = log_path.read_text(encoding="utf-8").splitlines()
    assert lines[0].endswith("WARNING [MainThread] desktop_assistant.x: disk full")
    assert lines[1].endswith("WARNING [MainThread] phonemizer: words count mismatch")


def test_logging_twice_adds_no_handlers_and_verbose_adds_debug(
    tmp_path: Path, root_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(tmp_path)
    log_path = configure_logging(tmp_path, verbose=True)
    assert [type(h) for h in root_logger.handlers if isinstance(h, RotatingFileHandler)] == [
        RotatingFileHandler
    ]
    logging.getLogger("desktop_assistant.y").debug("detail")
    logging.getLogger("desktop_assistant.y").warning("once")
    assert capsys.readouterr().err == "warning: once\n"
    text = log_path.read_text(encoding="utf-8")
    assert text.count("y: once") == 1
    assert "DEBUG   [MainThread] desktop_assistant.y: detail" in text


def test_log_file_rotates(tmp_path: Path, root_logger: logging.Logger) -> None:
    log_path = configure_logging(tmp_path, max_bytes=500, backup_count=2)
    for i in range(40):
        logging.getLogger("z").info("line %02d %s", i, "x" * 40)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "desktop-assistant.log",
        "desktop-assistant.log.1",
        "desktop-assistant.log.2",
    ]
    assert log_path.read_text(encoding="utf-8").rstrip().endswith("line 39 " + "x" * 40)
    assert all(p.stat().st_size <= 500 for p in tmp_path.iterdir())
