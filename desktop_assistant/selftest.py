"""``desktop-assistant --self-test``: does this install work? One line per check, exit status 0 or 1.
It runs on ``doctor``'s runner and prints doctor's lines (✓, or ✗ with the fix), with doctor's PortAudio
check; the others are its own: doctor loads the user's models, this runs them on a sample, with the
packaged ones where the user has none, and checks what only a bundle can lack (Qt's offscreen window,
webrtcvad's metadata, the Ollama client's and keyring's imports).

Written for the frozen bundle (``packaging/``), where a library or data file PyInstaller left out shows
only when it is used: each check uses the real thing (a window on Qt's offscreen platform, PortAudio,
webrtcvad, Whisper and Kokoro run on a short sample, the Ollama client, keyring), and imports what it
tests, so a module missing from a bundle fails its own check rather than the whole self-test. The models
are the user's where the settings name installed ones, else the packaged copies, read where they are
(the Kokoro parts joined in a temporary folder), so nothing is written beside the bundle or in the
user's folders.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TextIO

import numpy as np

from desktop_assistant.config.settings import Settings, TtsSettings
from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.doctor.audio import PORTAUDIO, portaudio_check
from desktop_assistant.doctor.check import Check, Probe, run_checks
from desktop_assistant.errors import AssistantError, ModelFileError
from desktop_assistant.store.models import ModelLibrary

# A word of the JFK clip every Whisper model reads back: the decode ran on real speech.
EXPECTED_WORD = "country"
SPOKEN_SAMPLE = "Hello."
# Below this RMS Kokoro's output is silence, not speech.
MIN_RMS = 1e-3
WINDOW_CHECK_MODULE = "desktop_assistant.ui.window_check"
WINDOW_TIMEOUT_S = 60


def check_window() -> str:
    """A real window shown on Qt's offscreen platform, in a child process: Qt aborts the process when
    a platform plugin or library is missing, and this one must live to say so."""
    command = [sys.executable, "-m", WINDOW_CHECK_MODULE]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=WINDOW_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise AssistantError(f"The window check did not finish in {WINDOW_TIMEOUT_S} s") from None
    if done.returncode != 0:
        said = [line for line in done.stderr.splitlines() if line.strip()]
        reason = said[-1] if said else f"exit status {done.returncode}"
        if done.returncode < 0 and said:
            reason = said[0]  # Qt's fatal message comes first, its advice after
        raise AssistantError(f"The window check failed: {reason}")
    return done.stdout.strip().splitlines()[-1]


def check_vad() -> str:
    """webrtcvad (and its distribution's metadata, which it reads on import) judges a frame."""
    from desktop_assistant.audio.vad import voiced_frames

    flags = voiced_frames(np.zeros(16_000, dtype=np.float32), 3)
    if flags.any():
        raise AssistantError("webrtcvad heard speech in silence")
    return f"{len(flags)} silent frames"


def check_stt() -> str:
    """Whisper loads and transcribes the JFK clip that ships in ``resources/``."""
    from desktop_assistant.assets import resource_path
    from desktop_assistant.audio.files import read_audio
    from desktop_assistant.store.packaged import WHISPER_NAME, packaged_whisper_dir
    from desktop_assistant.stt.base import SAMPLE_RATE
    from desktop_assistant.stt.faster_whisper import FasterWhisperTranscriber

    settings, library = _user_settings()
    try:
        model_dir, what = library.whisper_dir(settings.stt), f"user's {settings.stt.model}"
    except ModelFileError:
        model_dir, what = packaged_whisper_dir(), f"packaged {WHISPER_NAME}"
    transcriber = FasterWhisperTranscriber(settings.stt, model_dir)
    text = transcriber.transcribe(read_audio(resource_path("speech/jfk.flac"), SAMPLE_RATE)).text
    if EXPECTED_WORD not in text.lower():
        raise AssistantError(f"Whisper misheard the sample: {text!r}")
    return f"{what}: {text[:40]!r}..."


def check_tts() -> str:
    """Kokoro loads (espeak-ng and its data, kokoro-onnx's config) and speaks a short sentence. The
    packaged model comes in parts: they are joined in a temporary folder, deleted after."""
    from desktop_assistant.store.packaged import KOKORO_NAME, join_kokoro_parts, packaged_voices

    settings, library = _user_settings()
    try:
        model, voices = library.kokoro_files(settings.tts)
        return _speak(settings.tts, model, voices, f"user's {model.name}")
    except ModelFileError:
        with tempfile.TemporaryDirectory(prefix="desktop-assistant-self-test-") as work:
            model = join_kokoro_parts(Path(work) / KOKORO_NAME)
            return _speak(settings.tts, model, packaged_voices(), f"packaged {KOKORO_NAME}")


def _speak(tts: TtsSettings, model: Path, voices: Path, what: str) -> str:
    from kokoro_onnx.tokenizer import Tokenizer

    from desktop_assistant.tts.kokoro import KOKORO_RATE, KokoroSynthesizer, voice_names
    from desktop_assistant.tts.voices import speaks_english, voice_to_use

    # espeak-ng without its data says so on stderr and returns the punctuation alone.
    phonemes = Tokenizer().phonemize(SPOKEN_SAMPLE, tts.language)
    if not any(char.isalpha() for char in phonemes):
        raise AssistantError(f"espeak-ng made no phonemes of {SPOKEN_SAMPLE!r} (is espeak-ng-data complete?)")
    voice = voice_to_use(tts.voice, voice_names(voices), speaks_english(tts.language))
    # As the app runs it, less the fast-convolution copy: that is made once, beside the model, by the app.
    settings = TtsSettings(**{**asdict(tts), "voice": voice, "conv_rewrite": "off"})
    samples = KokoroSynthesizer(settings, model, voices).synthesize(SPOKEN_SAMPLE)
    loudness = float(np.sqrt(np.mean(np.square(samples)))) if len(samples) else 0.0
    if loudness < MIN_RMS:
        raise AssistantError(f"Kokoro made no speech ({len(samples)} samples)")
    return f"{what}, voice {voice}: {len(samples) / KOKORO_RATE:.2f} s of speech"


def check_ollama() -> str:
    """The Ollama client and the app's chat adapter import (no server is needed)."""
    import ollama

    from desktop_assistant.llm.ollama_chat import OllamaChat

    return f"{ollama.Client.__module__}.{ollama.Client.__name__} and {OllamaChat.__name__} import"


def check_keyring() -> str:
    """keyring imports and picks a backend (entry points need its metadata in a bundle)."""
    import keyring

    return f"backend {type(keyring.get_keyring()).__name__}"


def _user_settings() -> tuple[Settings, ModelLibrary]:
    """The user's settings and model library (``DESKTOP_ASSISTANT_HOME`` wins, as everywhere)."""
    paths = AppPaths.resolve()
    return SettingsStore(paths).load(), ModelLibrary(paths.models_dir)


def _passed(name: str, check: Callable[[], str]) -> Probe:
    return Probe(name, lambda: Check.passed(name, check()))


PROBES = (
    _passed("Window", check_window),
    Probe(PORTAUDIO, portaudio_check),
    _passed("webrtcvad", check_vad),
    _passed("Whisper", check_stt),
    _passed("Kokoro", check_tts),
    _passed("Ollama client", check_ollama),
    _passed("Keyring", check_keyring),
)


def run_self_test(out: TextIO = sys.stdout, probes: tuple[Probe, ...] = PROBES) -> int:
    """Run every probe, printing doctor's line for each as it finishes; 0 when all pass, else 1 and the
    failed checks named on the last line."""
    checks = run_checks(probes, lambda check: print(check.line(), file=out, flush=True))
    failed = [check.name for check in checks if not check.ok]
    if failed:
        print(f"Self-test failed: {', '.join(failed)}.", file=out, flush=True)
        return 1
    print(f"Self-test passed: all {len(checks)} checks.", file=out, flush=True)
    return 0
