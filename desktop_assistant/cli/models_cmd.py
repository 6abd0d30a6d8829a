"""``desktop-assistant models``: list the model library and import local model files."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.store.models import OFFICIAL_KOKORO, ModelLibrary
from desktop_assistant.store.packaged import WHISPER_NAME, locate_packaged


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``models`` command and its subcommands."""
    parser = subparsers.add_parser("models", help="list and import Whisper and Kokoro models")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    verbs.add_parser("list", help="the imported models; * marks the ones in use").set_defaults(func=run_list)
    whisper = verbs.add_parser("import-whisper", help="import a CTranslate2 Whisper model folder")
    whisper.add_argument("source", type=Path, metavar="DIR")
    whisper.add_argument("--name", help="the name to import it as (default: the folder's name)")
    whisper.set_defaults(func=run_import_whisper)
    kokoro = verbs.add_parser("import-kokoro", help="import a Kokoro .onnx model and its voices file")
    kokoro.add_argument("model", type=Path, metavar="MODEL.onnx")
    kokoro.add_argument("voices", type=Path, metavar="VOICES")
    kokoro.set_defaults(func=run_import_kokoro)
    packaged = verbs.add_parser(
        "install-packaged", help="import the models installed from PyPI by the 'test' extra (sha256-checked)"
    )
    packaged.add_argument(
        "--voices",
        type=Path,
        metavar="VOICES",
        help="a Kokoro voices file to use instead of the packaged Japanese voices",
    )
    packaged.set_defaults(func=run_install_packaged)


def run_list(args: argparse.Namespace) -> int:
    """Print the library, one model a line."""
    paths = AppPaths.resolve()
    settings = SettingsStore(paths).load()
    entries = ModelLibrary(paths.models_dir).entries(settings.stt, settings.tts)
    if not entries:
        print(f"No models in {paths.models_dir}. Import some: desktop-assistant models import-whisper DIR")
    for entry in entries:
        mark = "*" if entry.active else " "
        print(f"{mark} {entry.kind:<14} {entry.name:<32} {entry.size_bytes / 1e6:8.1f} MB  {entry.path}")
    return 0


def run_import_whisper(args: argparse.Namespace) -> int:
    """Import a Whisper folder and make it the one in use."""
    paths = AppPaths.resolve()
    target = ModelLibrary(paths.models_dir).import_whisper(args.source, args.name)
    SettingsStore(paths).set("stt.model", target.name)
    print(f"Imported Whisper model '{target.name}' into {target}; stt.model = {target.name}")
    return 0


def run_import_kokoro(args: argparse.Namespace) -> int:
    """Import a Kokoro model and voices and make them the ones in use."""
    paths = AppPaths.resolve()
    _use_kokoro(paths, args.model, args.voices)
    return 0


def run_install_packaged(args: argparse.Namespace) -> int:
    """Import the PyPI-packaged Whisper tiny.en and Kokoro int8 after checking their sha256."""
    paths = AppPaths.resolve()
    with tempfile.TemporaryDirectory(prefix="kokoro-", dir=_existing(paths.models_dir)) as work:
        packaged = locate_packaged(Path(work))
        target = ModelLibrary(paths.models_dir).import_whisper(packaged.whisper_dir, WHISPER_NAME)
        SettingsStore(paths).set("stt.model", target.name)
        print(f"Imported Whisper model '{target.name}' into {target}; stt.model = {target.name}")
        _use_kokoro(paths, packaged.kokoro_model, args.voices or packaged.voices)
    return 0


def _use_kokoro(paths: AppPaths, model: Path, voices: Path) -> None:
    store = SettingsStore(paths)
    library = ModelLibrary(paths.models_dir)
    done = library.import_kokoro(model, voices, store.load().tts.voice)
    # An official model is left to the library's choice, so that fp32 wins wherever it is imported.
    name = "" if done.model.name in OFFICIAL_KOKORO else done.model.name
    store.set_many({"tts.model": name, "tts.voices": done.voices.name, "tts.voice": done.voice})
    in_use, _ = library.kokoro_files(store.load().tts)
    print(
        f"Imported Kokoro '{done.model.name}' with voices '{done.voices.name}' into {done.model.parent}; "
        f"tts.voice = {done.voice}; speaking with {in_use.name}"
    )


def _existing(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder
