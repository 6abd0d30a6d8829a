"""Whether the built-in model's runtime (llama-cpp-python, the ``builtin-llm`` extra) is installed, and
how to add it: one place for the line every caller (the adapter, doctor, ``models``) gives."""

from __future__ import annotations

import importlib.util

from desktop_assistant.errors import LLMError

INSTALL_HINT = (
    "Add it with: CMAKE_ARGS=-DGGML_NATIVE=OFF pip install 'desktop-assistant[builtin-llm]' "
    "(or run packaging/install.sh again), or set llm.backend = ollama and start Ollama."
)


def has_llama_cpp() -> bool:
    """Whether llama-cpp-python can be imported (without importing it: that loads libllama)."""
    return importlib.util.find_spec("llama_cpp") is not None


def require_llama_cpp() -> None:
    """``LLMError`` with the install line when llama-cpp-python is missing."""
    if not has_llama_cpp():
        raise LLMError("The built-in model needs llama-cpp-python, which is not installed", INSTALL_HINT)
