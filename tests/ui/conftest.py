"""Widgets are tested on Qt's offscreen platform: real widgets, no display needed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desktop_assistant.config.store import AppPaths, SettingsStore

# Set before pytest-qt creates the QApplication; the Xvfb tests run the app as a subprocess instead.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppPaths:
    """A fresh ``DESKTOP_ASSISTANT_HOME`` for the test, in effect for the code under test too."""
    monkeypatch.setenv("DESKTOP_ASSISTANT_HOME", str(tmp_path / "home"))
    return AppPaths.resolve()


@pytest.fixture
def store(paths: AppPaths) -> SettingsStore:
    """The settings of ``paths``."""
    return SettingsStore(paths)


@pytest.fixture
def app_paths(paths: AppPaths, monkeypatch: pytest.MonkeyPatch) -> AppPaths:
    """``paths`` for the whole app: no X display (so no global hotkey), push-to-talk from the CLI."""
    monkeypatch.delenv("DISPLAY", raising=False)
    SettingsStore(paths).set("ui.hotkey_backend", "ptt")
    return paths
