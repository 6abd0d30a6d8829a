"""How the window and the tray name the model that answered (``ModelChosen``, ``TurnEnded.model``)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def answered_by(model: str, backend: str) -> str:
    """E.g. "gemma3:4b on Ollama" or "SmolLM2-135M-Instruct.Q4_1, built in"; "" for no model."""
    if not model:
        return ""
    if backend == "builtin":
        return QCoreApplication.translate("AnsweredBy", "{model}, built in").format(model=model)
    return QCoreApplication.translate("AnsweredBy", "{model} on Ollama").format(model=model)
