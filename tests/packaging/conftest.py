"""The bundle the packaging tests run: built once per session by ``packaging/build.sh`` into ``dist/``,
or the one in the ``dist/`` folder ``DESKTOP_ASSISTANT_BUNDLE`` names (``.ci/run`` builds it once for
both of its runs). ``DESKTOP_ASSISTANT_SKIP_BUNDLE=1`` skips these tests on a developer's machine;
under ``CI=true`` they always run."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT_S = 1800


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1")


@pytest.fixture(scope="session")
def dist() -> Path:
    """A ``dist/`` folder holding ``desktop-assistant/`` (the bundle), its ``.tar.gz`` and the ``.deb``."""
    if os.environ.get("DESKTOP_ASSISTANT_SKIP_BUNDLE", "0") not in ("", "0") and not _in_ci():
        pytest.skip("DESKTOP_ASSISTANT_SKIP_BUNDLE is set (CI=true never skips the bundle)")
    given = os.environ.get("DESKTOP_ASSISTANT_BUNDLE")
    if given:
        return Path(given)
    subprocess.run(["bash", "packaging/build.sh"], cwd=REPO, check=True, timeout=BUILD_TIMEOUT_S)
    return REPO / "dist"


@pytest.fixture(scope="session")
def bundle(dist: Path) -> Path:
    """The bundle's executable."""
    binary = dist / "desktop-assistant" / "desktop-assistant"
    assert binary.is_file(), f"no bundle at {binary}: run packaging/build.sh"
    return binary


def run_app(binary: Path | str, home: Path, *args: str, host: str = "") -> subprocess.CompletedProcess[str]:
    """``binary ARGS`` with its own ``DESKTOP_ASSISTANT_HOME`` (and Ollama at ``host``)."""
    env = {**os.environ, "DESKTOP_ASSISTANT_HOME": str(home)}
    if host:
        env["OLLAMA_HOST"] = host
    return subprocess.run(
        [str(binary), *args], capture_output=True, text=True, env=env, timeout=600, stdin=subprocess.DEVNULL
    )
