"""The messages sent to the model: one persona for typed and spoken turns, then the exchanges so far."""

from __future__ import annotations

from dataclasses import dataclass, field

from desktop_assistant.assets import resource_path
from desktop_assistant.llm.base import ChatMessage, PreparedImage


def default_persona() -> str:
    """The built-in voice-assistant system prompt."""
    return resource_path("persona.md").read_text(encoding="utf-8").strip()


@dataclass
class Conversation:
    """A conversation's persona and past exchanges; the system prompt stays byte-identical across turns."""

    persona: str
    history: list[ChatMessage] = field(default_factory=list)

    @classmethod
    def with_persona(cls, persona: str) -> Conversation:
        """A new conversation; an empty ``persona`` means the built-in one."""
        return cls(persona=persona.strip() or default_persona())

    def request(self, user_text: str, images: tuple[PreparedImage, ...] = ()) -> list[ChatMessage]:
        """The messages for a new user turn: system prompt, history, then the user's message."""
        return [
            ChatMessage("system", self.persona),
            *self.history,
            ChatMessage("user", user_text, images),
        ]

    def record(self, user_text: str, images: tuple[PreparedImage, ...], reply: str) -> None:
        """Keep a finished exchange for the next turn."""
        self.history += [ChatMessage("user", user_text, images), ChatMessage("assistant", reply)]
