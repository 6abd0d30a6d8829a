"""What the doctor tests share: homes (fresh, or with the packaged models), the session's PulseAudio,
and running the checks the command runs."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest

from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.doctor.check import Check, run_checks
from desktop_assistant.doctor.checkup import doctor_probes
from tests.audio.conftest import pulse  # noqa: F401  (the session's PulseAudio, for the sound checks)


def environ_for(home: Path, **extra: str) -> dict[str, str]:
    """This process's environment with ``home`` as DESKTOP_ASSISTANT_HOME, and ``extra`` on top."""
    return {**os.environ, "DESKTOP_ASSISTANT_HOME": str(home), **extra}


def checks_by_name(environ: Mapping[str, str]) -> dict[str, Check]:
    """Every check the command makes on ``environ``, by name."""
    return {check.name: check for check in run_checks(doctor_probes(environ))}


def settings_of(home: Path) -> SettingsStore:
    """The settings file of ``home``."""
    return SettingsStore(AppPaths.resolve({"DESKTOP_ASSISTANT_HOME": str(home)}))


@pytest.fixture
def packaged_home(model_home: Path, tmp_path: Path) -> Path:
    """A home of the test's own with the packaged models' settings, their models folder linked."""
    home = tmp_path / "home"
    shutil.copytree(model_home / "config", home / "config")
    home.joinpath("models").symlink_to(model_home / "models", target_is_directory=True)
    return home
