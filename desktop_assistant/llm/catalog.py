"""The models an Ollama server offers, and which of them see images (for choosing one in the settings)."""

from __future__ import annotations

from dataclasses import dataclass

from desktop_assistant.config.settings import LlmSettings
from desktop_assistant.llm.ollama_chat import CLIENT_ERRORS, client_error, sees_images
from desktop_assistant.llm.ollama_host import open_client


@dataclass(frozen=True)
class ModelInfo:
    """One model on the server; ``sees_images`` is False also where the server cannot tell, and
    ``size_bytes`` is 0 where it gave no size."""

    name: str
    sees_images: bool
    size_bytes: int = 0


def list_models(settings: LlmSettings, api_key: str | None = None) -> list[ModelInfo]:
    """The server's models by name, each asked for its capabilities; ``LLMError`` when that fails."""
    host, client = open_client(settings, api_key)
    current = ""
    try:
        sizes = {entry.model: int(entry.size or 0) for entry in client.list().models if entry.model}
        models: list[ModelInfo] = []
        for current in sorted(sizes):
            vision = sees_images(client.show(current).capabilities) is True
            models.append(ModelInfo(current, vision, sizes[current]))
        return models
    except CLIENT_ERRORS as exc:
        raise client_error(exc, host, settings.timeout_s, current) from exc
    finally:
        client.close()  # type: ignore[no-untyped-call]
