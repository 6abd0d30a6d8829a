"""What the first-run dialog asks of the rest of the app: what is missing, downloads, imports, Ollama.

Every call blocks (files, the network, loading a model to check it), so the dialog makes them on worker
threads. ``AppFirstRunServices`` is the real one; it imports the download and pull functions only when
they are called. Tests give the dialog a fake that drives the ``Progress`` protocol itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from desktop_assistant.app import Context, stored_api_key
from desktop_assistant.cancel import CancelToken
from desktop_assistant.config.settings import Settings
from desktop_assistant.config.store import SettingsStore
from desktop_assistant.errors import ModelFileError
from desktop_assistant.fetch.catalog import CatalogEntry
from desktop_assistant.fetch.progress import Progress
from desktop_assistant.setup_needs import SetupNeeds, setup_needs
from desktop_assistant.store.models import ModelLibrary

KOKORO_MODEL_SUFFIX = ".onnx"


class FirstRunServices(Protocol):
    """The slow work behind the first-run dialog; each method blocks and raises ``AssistantError``."""

    def needs(self, check_ollama: bool) -> SetupNeeds:
        """What is missing now (the settings file and model library read afresh)."""
        ...

    def install(self, entry: CatalogEntry, progress: Progress, cancel: CancelToken) -> None:
        """Download ``entry`` into the model library and make it the one in use."""
        ...

    def pull(self, name: str, progress: Progress, cancel: CancelToken) -> None:
        """Have the Ollama server pull model ``name``."""
        ...

    def import_whisper(self, folder: Path) -> None:
        """Import a Whisper model folder and make it the one in use."""
        ...

    def import_kokoro(self, files: Sequence[Path]) -> None:
        """Import a Kokoro model (``.onnx``) and/or voices file; a part not given stays as it is."""
        ...

    def ollama_hint(self) -> str:
        """How to start Ollama on this system."""
        ...


class AppFirstRunServices:
    """The first-run dialog's services over the app's folders and settings file."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self._store = SettingsStore(context.paths)

    def needs(self, check_ollama: bool) -> SetupNeeds:
        """``setup_needs`` over the settings as saved now."""
        return setup_needs(Context(self._context.paths, self._store.load()), check_ollama)

    def install(self, entry: CatalogEntry, progress: Progress, cancel: CancelToken) -> None:
        """``fetch.install.install_entry``, from the configured mirror."""
        from desktop_assistant.fetch.install import install_entry, models_mirror

        install_entry(entry, self._context.paths, progress, cancel, models_mirror(self._store.load()))

    def pull(self, name: str, progress: Progress, cancel: CancelToken) -> None:
        """``llm.ollama_models.pull_model`` on the configured server, with the stored API key."""
        from desktop_assistant.llm.ollama_models import pull_model

        pull_model(self._store.load().llm, name, progress, cancel, stored_api_key())

    def import_whisper(self, folder: Path) -> None:
        """Check and copy ``folder`` into the library; ``stt.model`` names it."""
        target = self._library().import_whisper(folder)
        self._store.set("stt.model", target.name)

    def import_kokoro(self, files: Sequence[Path]) -> None:
        """Import the ``.onnx`` model and the voices file among ``files`` (the one in use for a part not
        given), and make them the ones in use (``fetch.defaults.use_kokoro``)."""
        settings = self._store.load()
        models = [f for f in files if f.suffix.lower() == KOKORO_MODEL_SUFFIX]
        voices = [f for f in files if f.suffix.lower() != KOKORO_MODEL_SUFFIX]
        if len(models) > 1 or len(voices) > 1 or not files:
            raise ModelFileError(
                "Choose one Kokoro model (.onnx), one voices file, or one of each",
                "The voices file is the .bin or .npz that came with the model.",
            )
        from desktop_assistant.fetch.defaults import use_kokoro

        model, voice_file = self._in_use(settings, models, voices)
        use_kokoro(self._context.paths, model, voice_file)

    def ollama_hint(self) -> str:
        """``llm.ollama_host.ollama_start_hint``."""
        from desktop_assistant.llm.ollama_host import ollama_start_hint

        hint: str = ollama_start_hint()
        return hint

    def _in_use(self, settings: Settings, models: list[Path], voices: list[Path]) -> tuple[Path, Path]:
        """The model and voices to import: those chosen, the installed ones for a part not chosen."""
        if models and voices:
            return models[0], voices[0]
        try:
            model, voice_file = self._library().kokoro_files(settings.tts)
        except ModelFileError:
            model = voice_file = Path()
        chosen = (models or [model])[0], (voices or [voice_file])[0]
        if not all(path.is_file() for path in chosen):
            raise ModelFileError(
                "Choose the Kokoro model (.onnx) and its voices file together",
                "Nothing is installed yet to go with the one file chosen.",
            )
        return chosen

    def _library(self) -> ModelLibrary:
        return ModelLibrary(self._context.paths.models_dir)
