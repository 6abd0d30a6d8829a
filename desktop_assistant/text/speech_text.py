"""``ReplySpeech``: the text layer for one streamed reply, spoken form → chunker → guard, in one place."""

from __future__ import annotations

from desktop_assistant.text.chunker import ChunkSizing, SpeechChunker
from desktop_assistant.text.guard import GuardAction, SpeechGuard
from desktop_assistant.text.spoken import SpokenForm


class ReplySpeech:
    """Turns a reply's deltas into the chunks that may be spoken, as soon as each is complete.

    ``blocked`` turns True once the guard met a block phrase; nothing of the reply is spoken after it.
    A chunk that ends with the first words of a guarded phrase waits for the next one and goes with it,
    so that a phrase cut between two chunks is caught before any of it is spoken.
    """

    def __init__(self, sizing: ChunkSizing, guard: SpeechGuard) -> None:
        self._spoken = SpokenForm()
        self._chunker = SpeechChunker(sizing)
        self._rules = guard
        self._guard = guard.for_reply()
        self._held = ""
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
        return self._screen(self._chunker.feed(self._spoken.finish()) + self._chunker.finish(), last=True)

    def _screen(self, chunks: list[str], last: bool = False) -> list[str]:
        """The screened ``chunks``; a held chunk goes with the next one, or alone once the reply is over
        (``last``)."""
        allowed: list[str] = []
        for chunk in chunks:
            if self._held:
                chunk, self._held = f"{self._held} {chunk}", ""
            if self._rules.ends_inside_phrase(chunk):
                self._held = chunk
            elif not self._speak(chunk, allowed):
                return allowed
        if last and self._held:
            chunk, self._held = self._held, ""
            self._speak(chunk, allowed)
        return allowed

    def _speak(self, chunk: str, allowed: list[str]) -> bool:
        """Screen ``chunk`` into ``allowed``; False once the reply reached a block phrase."""
        screened = self._guard.screen(chunk)
        if screened is None:
            self.blocked = True
            return False
        allowed.append(screened)
        return True
