"""``ReplySpeech``: the text layer for one streamed reply, spoken form → chunker → guard, in one place."""

from __future__ import annotations

from desktop_assistant.text.chunker import ChunkSizing, SpeechChunker
from desktop_assistant.text.guard import GuardAction, SpeechGuard
from desktop_assistant.text.spoken import SpokenForm


class ReplySpeech:
    """Turns a reply's deltas into the chunks that may be spoken, as soon as each is complete.

    ``blocked`` turns True once the guard met a block phrase; nothing of the reply is spoken after it.
    """

    def __init__(self, sizing: ChunkSizing, guard: SpeechGuard) -> None:
        self._spoken = SpokenForm()
        self._chunker = SpeechChunker(sizing)
        self._guard = guard.for_reply()
        self.blocked = False

    @property
    def actions(self) -> list[GuardAction]:
        """What the guard redacted and blocked in this reply so far."""
        return list(self._guard.actions)

    def feed(self, delta: str) -> list[str]:
        """The chunks completed by ``delta``, screened."""
        return self._screen(self._chunker.feed(self._spoken.feed(delta)))

    def finish(self) -> list[str]:
        """The chunks left at the end of the reply, screened."""
        return self._screen(self._chunker.feed(self._spoken.finish()) + self._chunker.finish())

    def _screen(self, chunks: list[str]) -> list[str]:
        allowed: list[str] = []
        for chunk in chunks:
            screened = self._guard.screen(chunk)
            if screened is None:
                self.blocked = True
                break
            allowed.append(screened)
        return allowed
