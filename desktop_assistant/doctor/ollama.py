"""The doctor's Ollama checks: the server answers, has the chosen model, and that model sees images.

The three depend on each other, so one probe makes them: where an earlier one fails, the later ones
are ✗ "not checked" (without a fix of their own: the earlier one's fixes them first).
"""

from __future__ import annotations

from dataclasses import replace

from desktop_assistant.config.settings import LlmSettings
from desktop_assistant.doctor.check import Check
from desktop_assistant.errors import LLMError
from desktop_assistant.fetch.catalog import OLLAMA as OLLAMA_KIND
from desktop_assistant.fetch.install import catalog_for_run
from desktop_assistant.llm.ollama_chat import CLIENT_ERRORS, client_error, sees_images
from desktop_assistant.llm.ollama_host import open_client, resolve_host
from desktop_assistant.llm.ollama_models import full_name
from desktop_assistant.setup_needs import OLLAMA_CHECK_S

OLLAMA = "Ollama"
OLLAMA_MODEL = "Ollama model"
IMAGES = "Images"


def ollama_checks(llm: LlmSettings, api_key: str | None) -> list[Check]:
    """Reachable, model present, model sees images: each asked with a short timeout."""
    host = resolve_host(llm.host)
    model = llm.model
    try:
        _, client = open_client(replace(llm, timeout_s=OLLAMA_CHECK_S), api_key)
    except LLMError as exc:  # an address that is not a URL, or plain http to another machine
        return [Check.of_error(OLLAMA, exc), *_not_checked(model, "Ollama cannot be asked")]
    try:
        try:
            names = {entry.model for entry in client.list().models if entry.model}
        except CLIENT_ERRORS as exc:
            error = client_error(exc, host, OLLAMA_CHECK_S)
            return [Check.of_error(OLLAMA, error), *_not_checked(model, "Ollama is not reachable")]
        count = f"{len(names)} model" if len(names) == 1 else f"{len(names)} models"
        reachable = Check.passed(OLLAMA, f"reachable at {host} ({count})")
        if full_name(model) not in names:
            missing = Check.failed(OLLAMA_MODEL, f"{host} does not have '{model}'", f"ollama pull {model}")
            return [reachable, missing, *_not_checked(model, "the model is not there")[1:]]
        present = Check.passed(OLLAMA_MODEL, f"'{model}' is on the server")
        try:
            capabilities = client.show(model).capabilities
        except CLIENT_ERRORS as exc:
            return [
                reachable,
                present,
                Check.of_error(IMAGES, client_error(exc, host, OLLAMA_CHECK_S, model)),
            ]
    finally:
        client.close()  # type: ignore[no-untyped-call]
    return [reachable, present, _sight(model, sees_images(capabilities))]


def _sight(model: str, sees: bool | None) -> Check:
    if sees is None:
        return Check.passed(IMAGES, f"this Ollama is too old to say whether '{model}' sees images")
    if sees:
        return Check.passed(IMAGES, f"'{model}' sees images")
    vision = next(e.name for e in catalog_for_run().of_kind(OLLAMA_KIND))
    fix = f"ollama pull {vision}, then desktop-assistant config set llm.model {vision}"
    return Check.failed(IMAGES, f"'{model}' is text-only: it cannot see images", fix)


def _not_checked(model: str, why: str) -> list[Check]:
    return [
        Check.failed(OLLAMA_MODEL, f"'{model}' not checked: {why}"),
        Check.failed(IMAGES, f"not checked: {why}"),
    ]
