"""Where the app keeps its files, and the TOML settings file: load, validate, update atomically.

The file holds only what the user set, plus ``schema_version``; everything else comes from the
defaults in ``settings.py``. Keys the program does not know are reported and kept, never dropped.
"""

from __future__ import annotations

import logging
import os
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs
import tomli_w

from desktop_assistant.config.settings import SCHEMA_VERSION, Settings, split_key
from desktop_assistant.errors import ConfigError

APP_NAME = "desktop-assistant"
HOME_VARIABLE = "DESKTOP_ASSISTANT_HOME"

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AppPaths:
    """The folders the app reads and writes; none is created until something is written there."""

    config_dir: Path
    data_dir: Path
    models_dir: Path
    log_dir: Path

    @property
    def config_file(self) -> Path:
        """The TOML settings file."""
        return self.config_dir / "settings.toml"

    @classmethod
    def resolve(cls, environ: Mapping[str, str] | None = None) -> AppPaths:
        """The platform's user folders, or all of them under ``$DESKTOP_ASSISTANT_HOME`` when it is set."""
        env = os.environ if environ is None else environ
        home = env.get(HOME_VARIABLE, "")
        if home:
            root = Path(home).expanduser().absolute()
            return cls(root / "config", root / "data", root / "models", root / "logs")
        data_dir = platformdirs.user_data_path(APP_NAME, appauthor=False)
        return cls(
            config_dir=platformdirs.user_config_path(APP_NAME, appauthor=False),
            data_dir=data_dir,
            models_dir=data_dir / "models",
            log_dir=platformdirs.user_log_path(APP_NAME, appauthor=False),
        )


class SettingsStore:
    """Reads and updates the settings file at ``paths.config_file``."""

    def __init__(self, paths: AppPaths) -> None:
        self._path = paths.config_file
        self._unknown: list[str] = []

    @property
    def path(self) -> Path:
        """The settings file this store reads and writes."""
        return self._path

    @property
    def unknown_keys(self) -> list[str]:
        """Keys in the file that are not settings, as of the last load or write (kept, but ignored)."""
        return list(self._unknown)

    def load(self) -> Settings:
        """The validated settings; a missing file means the defaults."""
        return self._validate(self._read())

    def set(self, key: str, value: object) -> Settings:
        """Store one typed value (e.g. from ``parse_value``) and return the new settings."""
        return self.set_many({key: value})

    def set_many(self, values: Mapping[str, object]) -> Settings:
        """Store several typed values at once; nothing is written unless the whole file stays valid."""
        for key, value in values.items():
            area, name = split_key(key)
            # Checked alone first so a bad new value is reported as such, not as a fault of the file.
            Settings.from_mapping({area: {name: value}})
        data = self._read()
        for key, value in values.items():
            area, name = split_key(key)
            table = data.setdefault(area, {})
            if not isinstance(table, dict):
                raise ConfigError(
                    f"'{area}' in {self._path} is not a table of settings",
                    f"Write it as [{area}] in {self._path}.",
                )
            table[name] = list(value) if isinstance(value, tuple) else value
        settings = self._validate(data)
        self._write({"schema_version": SCHEMA_VERSION, **data})
        return settings

    def _read(self) -> dict[str, Any]:
        """The file as a plain mapping with a known schema version; empty when there is no file."""
        try:
            text = self._path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"Cannot read the settings file {self._path}: {exc}",
                "Check that it is a readable UTF-8 text file, or move it aside to start from the defaults.",
            ) from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(
                f"The settings file {self._path} is not valid TOML: {exc}",
                "Fix that line, or move the file aside to start from the defaults.",
            ) from None
        _check_version(data, self._path)
        data.pop("schema_version", None)
        return data

    def _validate(self, data: Mapping[str, Any]) -> Settings:
        try:
            settings, unknown = Settings.from_mapping(data)
        except ConfigError as exc:
            raise ConfigError(
                exc.message,
                f"{exc.hint} Fix it in {self._path} or run 'desktop-assistant config set KEY VALUE'.",
            ) from None
        for key in unknown:
            _log.warning("Unknown setting '%s' in %s is kept but ignored", key, self._path)
        self._unknown = unknown
        return settings

    def _write(self, data: Mapping[str, Any]) -> None:
        """Replace the file in one step, so a crash leaves the old file or the new one, never half of one."""
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp_name = tempfile.mkstemp(prefix=".settings-", suffix=".tmp", dir=self._path.parent)
        except OSError as exc:
            raise ConfigError(
                f"Cannot write the settings file {self._path}: {exc}",
                "Check that its folder is writable, or point DESKTOP_ASSISTANT_HOME elsewhere.",
            ) from None
        try:
            with os.fdopen(fd, "wb") as handle:
                tomli_w.dump(data, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp_name, self._path)
        except OSError as exc:
            Path(temp_name).unlink(missing_ok=True)
            raise ConfigError(
                f"Cannot write the settings file {self._path}: {exc}",
                "Check the free disk space and the folder's permissions.",
            ) from None
        _log.info("Settings written to %s", self._path)


def _check_version(data: Mapping[str, Any], path: Path) -> None:
    """Reject a ``schema_version`` this program cannot read; a file without one is taken as current."""
    if "schema_version" not in data:
        return
    version = data["schema_version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise ConfigError(
            f"'schema_version' in {path} must be a whole number, not {version!r}",
            f"Set it to {SCHEMA_VERSION}, or remove the line.",
        )
    if version > SCHEMA_VERSION:
        raise ConfigError(
            f"The settings file {path} is for a newer desktop-assistant "
            f"(schema version {version}; this one reads {SCHEMA_VERSION})",
            "Upgrade desktop-assistant, or move the file aside to start from the defaults.",
        )
    if version < SCHEMA_VERSION:
        raise ConfigError(
            f"'schema_version' in {path} is {version}, which no desktop-assistant ever wrote",
            f"Set it to {SCHEMA_VERSION}, or remove the line.",
        )
