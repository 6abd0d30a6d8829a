"""The PyInstaller bundle (``packaging/build.sh``): its self-test passes on a fresh home, fails naming
the check when a file it carries is gone, and its .tar.gz runs unpacked."""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path

import pytest

from desktop_assistant.selftest import PROBES
from tests.packaging.conftest import run_app

pytestmark = [pytest.mark.bundle, pytest.mark.timeout(2400)]


def test_self_test_passes_on_a_fresh_home_and_writes_no_model(bundle: Path, tmp_path: Path) -> None:
    proc = run_app(bundle, tmp_path / "home", "--self-test")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == [f"✓ {probe.name}" for probe in PROBES]
    assert lines[-1] == f"Self-test passed: all {len(PROBES)} checks."
    assert "Traceback" not in proc.stderr
    # The packaged models, read where they are.
    assert "✓ Whisper: packaged tiny.en" in proc.stdout and "✓ Kokoro: packaged" in proc.stdout
    assert sorted(p.name for p in (tmp_path / "home").iterdir()) == ["logs"]


@pytest.mark.parametrize(
    ("missing", "check"),
    [
        ("espeakng_loader/espeak-ng-data/en_dict", "Kokoro"),
        ("desktop_assistant/resources/speech/jfk.flac", "Whisper"),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", "Window"),
    ],
    ids=["espeak-data", "speech-sample", "qt-offscreen-plugin"],
)
def test_a_file_missing_from_the_bundle_fails_its_check(
    bundle: Path, tmp_path: Path, missing: str, check: str
) -> None:
    # A copy of hard links: removing one name leaves the built bundle whole.
    copy = tmp_path / "bundle"
    shutil.copytree(bundle.parent, copy, symlinks=True, copy_function=os.link)
    target = copy / "_internal" / missing
    assert target.is_file(), f"the bundle no longer carries {missing}"
    target.unlink()
    proc = run_app(copy / bundle.name, tmp_path / "home", "--self-test")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    failed = [line for line in lines if line.startswith("✗ ")]
    assert [line.split(":")[0] for line in failed] == [f"✗ {check}"], proc.stdout
    assert lines[-1] == f"Self-test failed: {check}."
    assert "Traceback" not in proc.stdout + proc.stderr


def test_the_tarball_unpacks_to_a_bundle_that_runs(dist: Path, bundle: Path, tmp_path: Path) -> None:
    (tarball,) = dist.glob("desktop-assistant-*-linux-*.tar.gz")
    with tarfile.open(tarball) as archive:
        archive.extractall(tmp_path, filter="tar")
    unpacked = tmp_path / "desktop-assistant" / "desktop-assistant"
    proc = run_app(unpacked, tmp_path / "home", "--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == run_app(bundle, tmp_path / "home", "--version").stdout.strip()
    assert proc.stdout.startswith("desktop-assistant ")
