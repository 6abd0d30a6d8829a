"""What the settings dialog asks of the rest of the app.

Every call may be slow (PortAudio, the Ollama server and its pulls, the keyring, Kokoro, playing a sound),
so the dialog makes them on worker threads and never on the GUI thread. ``AppSettingsServices`` is the
real one; tests give the dialog an instant fake.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Protocol

import numpy as np
import numpy.typing as npt

from desktop_assistant.app import SPEAKER_START_S, Context
from desktop_assistant.audio.capture import Microphone
from desktop_assistant.audio.devices import device_names
from desktop_assistant.audio.playback import Player
from desktop_assistant.cancel import CancelToken
from desktop_assistant.config.settings import LlmSettings, Settings
from desktop_assistant.config.store import SettingsStore
from desktop_assistant.errors import AudioDeviceError, ModelFileError
from desktop_assistant.fetch.catalog import OLLAMA, CatalogEntry
from desktop_assistant.fetch.install import catalog_for_run
from desktop_assistant.fetch.progress import Progress
from desktop_assistant.llm.builtin_extra import require_llama_cpp
from desktop_assistant.llm.catalog import ModelInfo, list_models
from desktop_assistant.llm.ollama_models import delete_model, pull_model
from desktop_assistant.store.models import ModelLibrary
from desktop_assistant.tts.kokoro import KOKORO_RATE, KokoroSynthesizer, voice_names

__all__ = ["AppSettingsServices", "LiveMicrophoneLevel", "MicrophoneLevel", "ModelInfo", "SettingsServices"]

PREVIEW_SENTENCE = "Hello! This is how I will sound when I answer you."
TONE_HZ = 440.0
TONE_S = 0.6
# A short fade keeps the tone from clicking at its ends.
TONE_FADE_S = 0.02
# Slack past a sound's own length before its playback counts as stuck.
DRAIN_SLACK_S = 5.0
# Listing models is interactive: a server that does not answer in this time is reported, not waited for.
CATALOG_TIMEOUT_S = 15.0
SOUND_TAG = "settings-preview"
# The rate of a microphone opened for its level, and of what it records for a test.
MIC_RATE = 16_000


class MicrophoneLevel(Protocol):
    """A microphone opened only to show its level."""

    def level(self) -> float:
        """RMS of the latest block, 0..1 (cheap: read by a GUI timer)."""
        ...

    def record(self, seconds: float) -> npt.NDArray[np.float32]:
        """What the microphone hears over the next ``seconds`` at ``MIC_RATE`` (blocks that long)."""
        ...

    def close(self) -> None:
        """Release the device (may block briefly: called off the GUI thread)."""
        ...


class SettingsServices(Protocol):
    """The slow work behind the settings dialog; each method blocks and raises ``AssistantError``."""

    def input_devices(self) -> list[str]:
        """Names of the microphones."""
        ...

    def output_devices(self) -> list[str]:
        """Names of the speakers."""
        ...

    def whisper_models(self) -> list[str]:
        """Names of the Whisper models in the model library."""
        ...

    def voices(self) -> list[str]:
        """Voice names in the configured Kokoro voices file."""
        ...

    def ollama_models(self, host: str, api_key: str | None) -> list[ModelInfo]:
        """The models on the Ollama server at ``host`` (empty: the default), and which see images."""
        ...

    def builtin_models(self) -> list[str]:
        """Names of the imported GGUF files; ``LLMError`` with the install line when llama-cpp-python is
        missing."""
        ...

    def ollama_catalog(self) -> list[CatalogEntry]:
        """The catalog's recommended Ollama models (all see images), with their download sizes."""
        ...

    def pull_ollama_model(
        self, host: str, api_key: str | None, name: str, progress: Progress, cancel: CancelToken
    ) -> None:
        """Pull ``name`` onto the server at ``host``, then load it; ``LLMError`` as soon as ``cancel``
        is set."""
        ...

    def delete_ollama_model(self, host: str, api_key: str | None, name: str) -> None:
        """Delete ``name`` from the server at ``host``."""
        ...

    def open_level_meter(self, device: str) -> MicrophoneLevel:
        """Open microphone ``device`` (empty: the default) for its level."""
        ...

    def play_tone(self, output_device: str) -> None:
        """Play a short test tone on ``output_device`` and return once it was played."""
        ...

    def preview_voice(self, voice: str, speed: float, output_device: str) -> None:
        """Speak a sample sentence with ``voice`` at ``speed`` and return once it was played."""
        ...

    def play_recording(self, samples: npt.NDArray[np.float32], output_device: str) -> None:
        """Play a microphone test's recording (``MIC_RATE``) on ``output_device`` and return once played."""
        ...


class LiveMicrophoneLevel:
    """The level of a live ``Microphone`` that records nothing."""

    def __init__(self, microphone: Microphone) -> None:
        self._microphone = microphone

    @classmethod
    def open(cls, device: str) -> LiveMicrophoneLevel:
        """Start a microphone on ``device``; ``AudioDeviceError`` when it does not open."""
        microphone = Microphone(device=device, rate=MIC_RATE)
        microphone.start()
        return cls(microphone)

    def level(self) -> float:
        """RMS of the latest block."""
        return self._microphone.level

    def record(self, seconds: float) -> npt.NDArray[np.float32]:
        """An utterance of ``seconds`` (after the microphone's short preroll); ``AudioDeviceError``
        when the device fails meanwhile."""
        utterance = self._microphone.begin()
        threading.Event().wait(seconds)
        return utterance.end()

    def close(self) -> None:
        """Stop the stream and its reader thread."""
        self._microphone.close()


class AppSettingsServices:
    """The settings dialog's services over the app's folders, devices and (once loaded) its Kokoro voice.

    Settings are read afresh on each call, so a change just saved in the dialog counts at once.
    """

    def __init__(self, context: Context, synthesizer: KokoroSynthesizer | None = None) -> None:
        self._context = context
        self._synthesizer = synthesizer

    def input_devices(self) -> list[str]:
        """Names of the microphones PortAudio lists."""
        return device_names("input")

    def output_devices(self) -> list[str]:
        """Names of the speakers PortAudio lists."""
        return device_names("output")

    def whisper_models(self) -> list[str]:
        """Names of the imported Whisper models."""
        settings = self._settings()
        entries = self._library().entries(settings.stt, settings.tts)
        return [entry.name for entry in entries if entry.kind == "whisper"]

    def voices(self) -> list[str]:
        """Voice names in the configured voices file."""
        _model, voices = self._library().kokoro_files(self._settings().tts)
        return voice_names(voices)

    def ollama_models(self, host: str, api_key: str | None) -> list[ModelInfo]:
        """The server's models; ``LLMError`` with one line when it cannot be asked."""
        return list_models(self._llm(host), api_key)

    def builtin_models(self) -> list[str]:
        """The imported GGUF files, by name (``llm.builtin_model`` takes one)."""
        require_llama_cpp()
        settings = self._settings()
        entries = self._library().entries(settings.stt, settings.tts, settings.llm)
        return [entry.name for entry in entries if entry.kind == "llm"]

    def ollama_catalog(self) -> list[CatalogEntry]:
        """The Ollama entries of the catalog in use (``DESKTOP_ASSISTANT_CATALOG`` counts)."""
        return catalog_for_run().of_kind(OLLAMA)

    def pull_ollama_model(
        self, host: str, api_key: str | None, name: str, progress: Progress, cancel: CancelToken
    ) -> None:
        """``llm.ollama_models.pull_model`` with the saved timeout: the warm-up after may load for long."""
        pull_model(replace(self._settings().llm, host=host), name, progress, cancel, api_key)

    def delete_ollama_model(self, host: str, api_key: str | None, name: str) -> None:
        """``llm.ollama_models.delete_model``; ``LLMError`` with one line when that fails."""
        delete_model(self._llm(host), name, api_key)

    def open_level_meter(self, device: str) -> MicrophoneLevel:
        """A live microphone on ``device`` for its level."""
        return LiveMicrophoneLevel.open(device)

    def play_tone(self, output_device: str) -> None:
        """A 440 Hz tone on ``output_device``."""
        play_sound(tone_samples(KOKORO_RATE), KOKORO_RATE, output_device)

    def preview_voice(self, voice: str, speed: float, output_device: str) -> None:
        """Synthesize the sample sentence with ``voice`` and ``speed`` and play it."""
        if self._synthesizer is None:
            raise ModelFileError(
                "The voice model is not loaded yet", "Try the preview again once the assistant is ready."
            )
        samples = self._synthesizer.synthesize_with(PREVIEW_SENTENCE, voice, speed)
        play_sound(samples, self._synthesizer.sample_rate, output_device)

    def play_recording(self, samples: npt.NDArray[np.float32], output_device: str) -> None:
        """``play_sound`` at the microphone's rate."""
        play_sound(samples, MIC_RATE, output_device)

    def _llm(self, host: str) -> LlmSettings:
        """The saved Ollama settings (``llm.allow_insecure`` counts) with ``host`` and a short timeout."""
        return replace(self._settings().llm, host=host, timeout_s=CATALOG_TIMEOUT_S)

    def _settings(self) -> Settings:
        return SettingsStore(self._context.paths).load()

    def _library(self) -> ModelLibrary:
        return ModelLibrary(self._context.paths.models_dir)


def tone_samples(rate: int) -> npt.NDArray[np.float32]:
    """A soft sine at ``TONE_HZ`` lasting ``TONE_S``, faded in and out."""
    t = np.arange(int(rate * TONE_S)) / rate
    tone = 0.3 * np.sin(2 * np.pi * TONE_HZ * t)
    fade = min(int(rate * TONE_FADE_S), len(tone) // 2)
    ramp = np.linspace(0.0, 1.0, fade)
    tone[:fade] *= ramp
    tone[len(tone) - fade :] *= ramp[::-1]
    return tone.astype(np.float32)


def play_sound(samples: npt.NDArray[np.float32], rate: int, device: str) -> None:
    """Play ``samples`` on ``device`` through a player of its own, closed once they were played."""
    player = Player(device, rate)
    player.start()
    try:
        player.wait_live(SPEAKER_START_S)
        player.enqueue(samples, SOUND_TAG)
        if not player.wait_drained(SOUND_TAG, len(samples) / rate + DRAIN_SLACK_S):
            raise AudioDeviceError("The speaker did not play the sound", "Check the output device.")
    finally:
        player.close()
