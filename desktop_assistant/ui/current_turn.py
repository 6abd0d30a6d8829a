"""``CurrentTurn``: which turn the window and the tray show, so a late event of an older turn cannot
change what they show for the turn under way (an old turn's IDLE greying out Stop while the next one
records)."""

from __future__ import annotations

from collections import deque

from desktop_assistant.core.events import Event

# Turn ids remembered as past; a turn older than this many turns cannot still be sending events.
REMEMBERED = 64


class CurrentTurn:
    """A turn becomes current with its first event; events of a turn that was current before are stale."""

    def __init__(self) -> None:
        self._current: str | None = None
        self._past: deque[str] = deque(maxlen=REMEMBERED)

    @property
    def turn_id(self) -> str | None:
        """The current turn, once any event came."""
        return self._current

    def admit(self, event: Event) -> bool:
        """True when ``event`` belongs to the current turn (a new turn's first event makes it current)."""
        if event.turn_id == self._current:
            return True
        if event.turn_id in self._past:
            return False
        if self._current is not None:
            self._past.append(self._current)
        self._current = event.turn_id
        return True
