"""The doctor's built-in model check: llama-cpp-python is installed and the GGUF file is there with a
readable header, named as the app names it (the model is never loaded: that takes seconds and memory).
Where ``llm.backend`` is auto and the built-in model is usable, a failing Ollama check says that the
built-in model answers meanwhile."""

from __future__ import annotations

from dataclasses import replace

from desktop_assistant.app import Context
from desktop_assistant.doctor.check import Check
from desktop_assistant.doctor.ollama import OLLAMA, OLLAMA_MODEL
from desktop_assistant.errors import ModelFileError
from desktop_assistant.fetch.progress import human_bytes
from desktop_assistant.llm.builtin_extra import INSTALL_HINT, has_llama_cpp
from desktop_assistant.llm.llama_cpp_chat import model_name
from desktop_assistant.store.gguf import gguf_name
from desktop_assistant.store.models import ModelLibrary

BUILTIN_MODEL = "Built-in model"


def builtin_model_check(context: Context) -> Check:
    """✓ with the model's name, file and size; ✗ with the fix where the runtime or the file is missing;
    ✓ "not used" where ``llm.backend`` is ollama."""
    llm = context.settings.llm
    if llm.backend == "ollama":
        return Check.passed(BUILTIN_MODEL, "not used (llm.backend = ollama)")
    if not has_llama_cpp():
        return Check.failed(BUILTIN_MODEL, "llama-cpp-python is not installed", INSTALL_HINT.rstrip("."))
    try:
        path = ModelLibrary(context.paths.models_dir).gguf_file(llm)
        title = gguf_name(path)  # a damaged header fails here, as the load would
    except ModelFileError as exc:
        return Check.of_error(BUILTIN_MODEL, exc)
    role = "answers every turn" if llm.backend == "builtin" else "answers whenever Ollama does not"
    about = f"{title}, {human_bytes(path.stat().st_size)}" if title else human_bytes(path.stat().st_size)
    detail = f"{model_name(path)} ({about}); {role} (llm.backend = {llm.backend})"
    return Check.passed(BUILTIN_MODEL, detail)


def usable_builtin(context: Context) -> str:
    """The built-in model's name where ``llm.backend`` is auto and it could answer now; empty otherwise."""
    if context.settings.llm.backend != "auto" or not has_llama_cpp():
        return ""
    try:
        return model_name(ModelLibrary(context.paths.models_dir).gguf_file(context.settings.llm))
    except ModelFileError:
        return ""


def with_builtin_meanwhile(checks: list[Check], builtin: str) -> list[Check]:
    """``checks`` (Ollama's), where the first failing one of the server or its model says that the
    built-in model ``builtin`` answers meanwhile; unchanged where ``builtin`` is empty."""
    if not builtin:
        return checks
    failing = next((c for c in checks if not c.ok and c.name in (OLLAMA, OLLAMA_MODEL)), None)
    if failing is None:
        return checks
    note = f"the built-in model ({builtin}) answers meanwhile"
    told = replace(failing, detail=f"{failing.detail}; {note}")
    return [told if check is failing else check for check in checks]
