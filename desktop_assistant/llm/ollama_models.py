"""Pulling and deleting Ollama models, with the pull's progress summed over its layers.

A pull streams one progress line after another per layer (``digest``, ``total``, ``completed``);
layers appear one by one, so the total grows as the pull goes on. The request runs where a cancel
abandons it at once (``llm/abortable.py``): the server sees the hang-up and stops downloading, keeping
what it has so that the next pull resumes.
"""

from __future__ import annotations

from collections.abc import Iterable

import ollama

from desktop_assistant.cancel import CancelToken
from desktop_assistant.config.settings import LlmSettings
from desktop_assistant.errors import LLMError
from desktop_assistant.fetch.progress import Progress
from desktop_assistant.llm.abortable import AbortableRequests, RequestAbandoned
from desktop_assistant.llm.ollama_chat import CLIENT_ERRORS, OllamaChat, client_error
from desktop_assistant.llm.ollama_host import open_client

LIBRARY_URL = "https://ollama.com/library"


def full_name(name: str) -> str:
    """The name Ollama lists a model by: a name without a tag means its ``latest`` tag."""
    return name if ":" in name else f"{name}:latest"


def pull_model(
    settings: LlmSettings,
    name: str,
    progress: Progress,
    cancel: CancelToken | None = None,
    api_key: str | None = None,
) -> None:
    """Pull ``name`` onto the server, reporting the bytes of all its layers together, then load it.

    ``progress.begin`` is called again, with the same label, each time a new layer grows the total.
    Raises ``LLMError`` with one line when the pull fails, and once ``cancel`` is set (at once).
    """
    name = name.strip()
    if not name:
        raise LLMError("No model name was given to pull", f"Choose one from {LIBRARY_URL}, e.g. gemma3:4b.")
    requests = AbortableRequests("ollama-pull")
    host, client = open_client(settings, api_key, **requests.client_options())
    try:
        parts = requests.stream(lambda: client.pull(name, stream=True), cancel)
        try:
            _follow(parts, name, progress)
        finally:
            parts.close()
    except RequestAbandoned:
        raise LLMError(
            f"The pull of '{name}' was cancelled", "Pull it again to go on where it stopped."
        ) from None
    except CLIENT_ERRORS as exc:
        raise _pull_error(exc, host, name, settings.timeout_s) from exc
    finally:
        requests.close()
        client.close()  # type: ignore[no-untyped-call]
    warm_up(settings, name, api_key)


def warm_up(settings: LlmSettings, name: str, api_key: str | None = None) -> None:
    """Have the server load ``name`` now, so that the first question is answered sooner."""
    chat = OllamaChat(settings, model=name, api_key=api_key)
    try:
        chat.load()
    finally:
        chat.close()


def delete_model(settings: LlmSettings, name: str, api_key: str | None = None) -> None:
    """Delete ``name`` from the server; ``LLMError`` with one line when it is not there or that fails."""
    host, client = open_client(settings, api_key)
    try:
        client.delete(name)
    except ollama.ResponseError as exc:
        if exc.status_code == 404:
            raise LLMError(
                f"Model '{name}' is not on {host}", "Refresh the model list: it may be gone already."
            ) from exc
        raise client_error(exc, host, settings.timeout_s) from exc
    except CLIENT_ERRORS as exc:
        raise client_error(exc, host, settings.timeout_s) from exc
    finally:
        client.close()  # type: ignore[no-untyped-call]


def _follow(parts: Iterable[ollama.ProgressResponse], name: str, progress: Progress) -> None:
    """Turn the pull's lines into ``progress`` calls; ``LLMError`` unless it ends in ``success``."""
    totals: dict[str, int] = {}
    completed: dict[str, int] = {}
    begun_total: int | None = None
    reported = 0
    for part in parts:
        if part.status == "success":
            if begun_total is None:
                progress.begin(label=name, total_bytes=0)
            progress.end()
            return
        if not part.digest or not part.total:
            continue
        totals[part.digest] = part.total
        completed[part.digest] = max(completed.get(part.digest, 0), part.completed or 0)
        total, done = sum(totals.values()), sum(completed.values())
        if total != begun_total:
            progress.begin(label=name, total_bytes=total, done_bytes=done)
            begun_total, reported = total, done
        elif done > reported:
            progress.advance(done - reported)
            reported = done
    raise LLMError(f"The pull of '{name}' ended before it was complete", "Pull it again to go on.")


def _pull_error(exc: Exception, host: str, name: str, timeout_s: float) -> LLMError:
    """The one-line ``LLMError`` for a failed pull; the server's own reason where it gave one."""
    if isinstance(exc, ollama.ResponseError) and exc.status_code not in (401, 403):
        return LLMError(
            f"Ollama at {host} could not pull '{name}': {exc.error}",
            f"Check the name at {LIBRARY_URL} (e.g. gemma3:4b) and the server's disk space.",
        )
    return client_error(exc, host, timeout_s)
