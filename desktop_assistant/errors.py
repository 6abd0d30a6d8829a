"""One small exception family: every user-facing failure carries a one-line message and a hint."""

from __future__ import annotations


class AssistantError(Exception):
    """A failure the user can act on: ``message`` says what happened, ``hint`` what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def line(self) -> str:
        """The message and hint as the single line shown to the user."""
        text = self.message.rstrip(".")
        return f"{text}. {self.hint}" if self.hint else f"{text}."

    def __str__(self) -> str:
        return self.line()


def first_line(exc: BaseException) -> str:
    """The first line of a third-party exception's text, for the middle of a user-facing message."""
    text = str(exc).strip()
    return text.splitlines()[0].rstrip(".") if text else type(exc).__name__


class ConfigError(AssistantError):
    """A setting is unknown, malformed or out of range, or the settings file cannot be read."""


class AudioInputError(AssistantError):
    """An audio file is missing, unreadable or not audio."""


class AudioDeviceError(AssistantError):
    """No usable microphone or speaker, or the device failed."""


class NoSpeechError(AssistantError):
    """The audio holds no speech; the turn ends before the LLM is called."""


class ModelFileError(AssistantError):
    """A Whisper or Kokoro model is missing, corrupt or cannot be loaded."""


class ImageError(AssistantError):
    """An image is missing, corrupt, of an unsupported type or too large."""


class LLMError(AssistantError):
    """The Ollama server is down, lacks the model, cannot see images or failed."""


class ReplyInterrupted(LLMError):
    """The reply stream was cut mid-way; ``partial`` holds the text that arrived."""

    def __init__(self, message: str, hint: str = "", partial: str = "") -> None:
        super().__init__(message, hint)
        self.partial = partial


class SecretStoreError(AssistantError):
    """No usable keyring backend, or the keyring refused the operation."""


class HotkeyError(AssistantError):
    """A hotkey is malformed, or this desktop cannot deliver global key presses."""


class HistoryError(AssistantError):
    """The history database cannot be opened, read or written, or names no such conversation."""


class DownloadError(AssistantError):
    """A model download failed: the network, the server or mirror, the disk, or a failed sha256 check."""


class DownloadCancelled(DownloadError):
    """The user cancelled a download; its partial file is kept for a later resume."""


class AutostartError(AssistantError):
    """The start-at-login entry (XDG autostart file, LaunchAgent, Run registry value) cannot be changed."""
