"""Where the speech guard changed what was read aloud, marked in a reply as the window shows it.

The words it redacted or replaced get a tinted background and a tooltip that says why; from a blocked
phrase on, the rest of the reply does. The guard reports its actions in order, so each action's words are
looked for after the words marked before, with any spaces or line breaks between them (its words come
from the reply's spoken form, which joins lines). Words the window shows some other way stay unmarked;
the turn's notes still say what the guard did. The live turn marks each action as it comes, and a
finished or kept turn all of them in its rendered reply, through the same ``GuardMarks``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QBrush, QColor, QTextCharFormat, QTextCursor, QTextDocument

from desktop_assistant.text.guard import GuardAction

BLOCKED = "blocked"


def guard_tooltip(action: GuardAction) -> str:
    """What a mark's tooltip says about ``action``."""
    tr = QCoreApplication.translate
    if action.kind == "redacted":
        return tr("GuardMarks", "Not read aloud: {rule}").format(rule=action.rule)
    if action.kind == "replaced":
        return tr("GuardMarks", "Said as a neutral word: {rule}").format(rule=action.rule)
    if action.kind == BLOCKED:
        return tr("GuardMarks", "Not read aloud from here on: a blocked phrase (Settings, Guard)")
    return tr("GuardMarks", "Changed when read aloud: {rule}").format(rule=action.rule)


class GuardMarks:
    """The guard's marks in one reply's document; ``tint`` is their background."""

    def __init__(self, document: QTextDocument, tint: QColor) -> None:
        self.tint = tint
        self._document = document
        self._next = 0  # where the next action's words are looked for
        self._rest: QTextCharFormat | None = None  # the blocked phrase's mark, for text streamed in after it

    def tail_format(self) -> QTextCharFormat:
        """The format of text streamed in at the end: marked once a phrase blocked the rest."""
        return QTextCharFormat(self._rest) if self._rest is not None else QTextCharFormat()

    def mark(self, action: GuardAction) -> bool:
        """Mark ``action``'s words where they first appear after the words marked before (for a blocked
        phrase, up to the end); False when the shown reply does not hold them."""
        words = action.text.split()
        if not words:
            return False
        pattern = re.compile(r"\s+".join(map(re.escape, words)))
        found = pattern.search(self._document.toPlainText(), self._next)
        if found is None:
            return False
        mark = QTextCharFormat()
        mark.setBackground(QBrush(self.tint))
        mark.setToolTip(guard_tooltip(action))
        end = self._document.characterCount() - 1 if action.kind == BLOCKED else found.end()
        cursor = QTextCursor(self._document)
        cursor.setPosition(found.start())
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        cursor.mergeCharFormat(mark)
        self._next = end
        if action.kind == BLOCKED:
            self._rest = mark
        return True

    def mark_all(self, actions: Iterable[GuardAction]) -> None:
        """Mark ``actions`` in the document filled anew (the rendered reply), from its start."""
        self._next, self._rest = 0, None
        for action in actions:
            self.mark(action)
