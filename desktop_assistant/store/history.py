"""The conversation history: SQLite in WAL mode in the data folder, readable by the owner only.

Every turn is kept as the user got it: the question (spoken or typed) and its images, the reply as
generated, the text sent to speech, the text heard, whether it was interrupted or cut short, what the
guard redacted or blocked, the models, the stage timings and the error line. The question is written
before the model is called (``begin_turn``), the reply while it streams (``update_reply``) and the rest
when the turn ends (``end_turn``); a turn never ended (the process was killed) reads as incomplete.

Writes are short ``BEGIN IMMEDIATE`` transactions with a busy timeout, so the app and any number of
``ask`` processes may write at once. Each ``HistoryStore`` holds one connection, usable from any thread
(one at a time, under its lock).
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from desktop_assistant.errors import HistoryError, first_line
from desktop_assistant.llm.base import PreparedImage
from desktop_assistant.store.history_files import ImageFiles, owner_only_file
from desktop_assistant.store.history_records import (
    MATCH_END,
    MATCH_START,
    ConversationSummary,
    SearchHit,
    StoredImage,
    TurnEnd,
    TurnRecord,
    title_for,
)
from desktop_assistant.store.history_schema import SCHEMA_VERSION, migrate
from desktop_assistant.text.guard import GuardAction

log = logging.getLogger(__name__)

DATABASE_NAME = "history.sqlite3"
BUSY_TIMEOUT_MS = 10_000
_SNIPPET_TOKENS = 16
_MARKUP = re.compile(r"[*`#~]+|(?<!\w)_+|_+(?!\w)")
_LIST_BULLET = re.compile(r"(?:^|\n)\s*(?:[-+]|\d+[.)])\s+")
_DAY_S = 86_400.0


class HistoryStore:
    """The history database in ``folder`` (created owner-only on first use), migrated on open."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / DATABASE_NAME
        self._images = ImageFiles(folder / "images")
        self._lock = threading.Lock()
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            owner_only_file(self.path)
            self._db = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._db.execute("PRAGMA journal_mode = WAL")
            # In WAL mode NORMAL survives a killed process; only a power cut may lose the last commits.
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            found = migrate(self._db)
        except (OSError, sqlite3.Error) as exc:
            raise _unusable(self.path, exc) from exc
        if found > SCHEMA_VERSION:
            self._db.close()
            raise HistoryError(
                f"The history at {self.path} was written by a newer version of the app",
                "Update the app, or move that file away to start a new history.",
            )

    def close(self) -> None:
        """Close the connection (the WAL is folded back into the database by the last one out)."""
        with self._lock:
            self._db.close()

    # ----- writing -------------------------------------------------------------------------------

    def begin_turn(
        self,
        conversation_id: str,
        turn_id: str,
        source: str,
        question: str,
        images: Sequence[PreparedImage] = (),
        models: dict[str, str] | None = None,
        store_images: bool = True,
        voice: tuple[str, dict[str, float | None]] = ("", {}),
    ) -> None:
        """Keep a question before the model is asked (the conversation is created with it), with the note
        on how it sounded and its measures (``voice``). Writing the same turn again changes nothing."""
        now = time.time()
        stored = [self._images.save(turn_id, n, image, store_images) for n, image in enumerate(images)]
        voice_row = (voice[0], json.dumps(voice[1]))
        with self._write() as db:
            db.execute(
                "INSERT INTO conversations (id, title, created_at, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at",
                (conversation_id, title_for(question), now, now),
            )
            inserted = db.execute(
                "INSERT INTO turns (id, conversation_id, created_at, source, question, models, voice_cues,"
                " voice_measures) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                (turn_id, conversation_id, now, source, question, json.dumps(models or {}), *voice_row),
            ).rowcount
            if inserted:
                db.executemany(
                    "INSERT INTO images (turn_id, position, name, mime, width, height, file, thumbnail)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(turn_id, *self._images.row(image)) for image in stored],
                )

    def update_reply(self, turn_id: str, reply: str, spoken: str) -> None:
        """The reply so far (while it streams); a turn that has ended is not changed."""
        with self._write() as db:
            db.execute(
                "UPDATE turns SET reply = ?, spoken = ? WHERE id = ? AND ended_at IS NULL",
                (reply, spoken, turn_id),
            )

    def end_turn(self, turn_id: str, end: TurnEnd) -> None:
        """Complete a begun turn with what it came to."""
        now = time.time()
        actions = json.dumps([vars(action) for action in end.guard_actions])
        with self._write() as db:
            row = db.execute(
                "UPDATE turns SET ended_at = ?, reply = ?, spoken = ?, heard = ?, interrupted = ?,"
                " incomplete = ?, blocked = ?, error = ?, timings = ?, guard_actions = ?,"
                " models = COALESCE(?, models) WHERE id = ?"
                " RETURNING conversation_id",
                (
                    now,
                    end.reply,
                    end.spoken,
                    end.heard,
                    end.interrupted,
                    end.incomplete,
                    end.blocked,
                    end.error,
                    json.dumps(end.timings_ms),
                    actions,
                    None if end.models is None else json.dumps(end.models),
                    turn_id,
                ),
            ).fetchone()
            if row is None:
                log.warning("The end of turn %s has no question in the history", turn_id)
                return
            db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, row[0]))

    def rename(self, conversation_id: str, title: str) -> None:
        """Give a conversation a new title (an empty one is refused)."""
        title = " ".join(title.split())
        if not title:
            raise HistoryError("A conversation's title cannot be empty", "Type a title.")
        with self._write() as db:
            changed = db.execute(
                "UPDATE conversations SET title = ? WHERE id = ?", (title, conversation_id)
            ).rowcount
        if not changed:
            raise _no_such(conversation_id)

    def delete(self, conversation_id: str) -> None:
        """Remove a conversation, its turns and their image files."""
        with self._write() as db:
            files = self._image_paths(db, "WHERE t.conversation_id = ?", (conversation_id,))
            if not db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,)).rowcount:
                raise _no_such(conversation_id)
        self._images.remove(files)

    def delete_all(self) -> int:
        """Remove every conversation and image file; returns how many conversations there were."""
        with self._write() as db:
            files = self._image_paths(db, "", ())
            count = db.execute("DELETE FROM conversations").rowcount
        self._images.remove(files)
        self._images.remove_strays()
        return count

    def prune(self, keep_days: int) -> int:
        """Remove conversations not updated for ``keep_days`` days (0 keeps all); returns how many."""
        if keep_days <= 0:
            return 0
        cutoff = time.time() - keep_days * _DAY_S
        with self._write() as db:
            files = self._image_paths(
                db, "JOIN conversations c ON c.id = t.conversation_id WHERE c.updated_at < ?", (cutoff,)
            )
            count = db.execute("DELETE FROM conversations WHERE updated_at < ?", (cutoff,)).rowcount
        self._images.remove(files)
        return count

    # ----- reading -------------------------------------------------------------------------------

    def conversations(self, limit: int | None = None) -> list[ConversationSummary]:
        """Conversations, the most recently updated first."""
        return self._summaries("", (), -1 if limit is None else limit)

    def conversation(self, conversation_id: str) -> ConversationSummary:
        """One conversation's summary; ``HistoryError`` when there is none with that id."""
        found = self._summaries("WHERE c.id = ?", (conversation_id,), 1)
        if not found:
            raise _no_such(conversation_id)
        return found[0]

    def latest(self) -> ConversationSummary | None:
        """The most recently updated conversation, if any."""
        found = self.conversations(limit=1)
        return found[0] if found else None

    def turns(self, conversation_id: str) -> list[TurnRecord]:
        """A conversation's turns, oldest first."""
        rows = self._read(
            "SELECT id, conversation_id, created_at, ended_at, source, question, reply, spoken, heard,"
            " interrupted, incomplete, blocked, guard_actions, models, timings, error, voice_cues,"
            " voice_measures FROM turns"
            " WHERE conversation_id = ? ORDER BY seq",
            (conversation_id,),
        )
        images = self._stored_images(conversation_id)
        return [_turn(row, images.get(row[0], ())) for row in rows]

    def search(self, text: str, limit: int = 50) -> list[SearchHit]:
        """Turns whose question or reply holds every word of ``text`` (the last may be a prefix), best
        match first."""
        query = fts_query(text)
        if not query:
            return []
        rows = self._read(
            "SELECT t.conversation_id, c.title, t.id, t.created_at,"
            f" snippet(turns_fts, -1, ?, ?, '…', {_SNIPPET_TOKENS}) FROM turns_fts"
            " JOIN turns t ON t.seq = turns_fts.rowid JOIN conversations c ON c.id = t.conversation_id"
            " WHERE turns_fts MATCH ? ORDER BY rank LIMIT ?",
            (MATCH_START, MATCH_END, query, limit),
        )
        return [
            SearchHit(conversation_id, title, turn_id, created_at, plain_snippet(snippet))
            for conversation_id, title, turn_id, created_at, snippet in rows
        ]

    def integrity(self) -> str:
        """``PRAGMA integrity_check``'s first line: "ok" for a sound file."""
        return str(self._read("PRAGMA integrity_check", ())[0][0])

    # ----- inside --------------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction, taken at once (``BEGIN IMMEDIATE``) so it cannot deadlock."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise _unusable(self.path, exc) from exc

    def _read(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise _unusable(self.path, exc) from exc

    def _summaries(self, where: str, params: tuple[Any, ...], limit: int) -> list[ConversationSummary]:
        rows = self._read(
            "SELECT c.id, c.title, c.created_at, c.updated_at, COUNT(t.seq) FROM conversations c"
            f" LEFT JOIN turns t ON t.conversation_id = c.id {where} GROUP BY c.id"
            " ORDER BY c.updated_at DESC, c.rowid DESC LIMIT ?",
            (*params, limit),
        )
        return [ConversationSummary(*row) for row in rows]

    def _stored_images(self, conversation_id: str) -> dict[str, tuple[StoredImage, ...]]:
        rows = self._read(
            "SELECT i.turn_id, i.position, i.name, i.mime, i.width, i.height, i.file, i.thumbnail"
            " FROM images i JOIN turns t ON t.id = i.turn_id WHERE t.conversation_id = ?"
            " ORDER BY i.turn_id, i.position",
            (conversation_id,),
        )
        found: dict[str, list[StoredImage]] = {}
        for turn_id, position, name, mime, width, height, file, thumbnail in rows:
            image = StoredImage(
                position, name, mime, width, height, self._images.path(file), self._images.path(thumbnail)
            )
            found.setdefault(turn_id, []).append(image)
        return {turn_id: tuple(images) for turn_id, images in found.items()}

    @staticmethod
    def _image_paths(db: sqlite3.Connection, where: str, params: tuple[Any, ...]) -> list[str]:
        rows = db.execute(
            f"SELECT i.file, i.thumbnail FROM images i JOIN turns t ON t.id = i.turn_id {where}", params
        ).fetchall()
        return [name for row in rows for name in row if name]


def plain_snippet(snippet: str) -> str:
    """A snippet of a Markdown reply as it reads: emphasis, code marks, headings and list bullets
    dropped, lines joined."""
    text = _LIST_BULLET.sub(" ", _MARKUP.sub("", snippet))
    return " ".join(text.split())


def fts_query(text: str) -> str:
    """An FTS5 query for the words of ``text``: each one quoted (so no word is an operator), all of them
    required, the last one also matching as a prefix (search as you type)."""
    words = [word.replace('"', '""') for word in text.split()]
    if not words:
        return ""
    return " ".join(f'"{word}"' for word in words) + "*"


def _turn(row: tuple[Any, ...], images: tuple[StoredImage, ...]) -> TurnRecord:
    (
        turn_id,
        conversation_id,
        created_at,
        ended_at,
        source,
        question,
        reply,
        spoken,
        heard,
        interrupted,
        incomplete,
        blocked,
        actions,
        models,
        timings,
        error,
        voice_cues,
        voice_measures,
    ) = row
    return TurnRecord(
        id=turn_id,
        conversation_id=conversation_id,
        created_at=created_at,
        ended_at=ended_at,
        source=source,
        question=question,
        images=images,
        reply=reply,
        spoken=spoken,
        heard=heard,
        interrupted=bool(interrupted),
        incomplete=bool(incomplete),
        blocked=bool(blocked),
        guard_actions=tuple(_guard_action(action) for action in json.loads(actions)),
        models=json.loads(models),
        timings_ms=json.loads(timings),
        error=error,
        voice_cues=voice_cues,
        voice_measures=json.loads(voice_measures),
    )


def _no_such(conversation_id: str) -> HistoryError:
    return HistoryError(
        f"No conversation '{conversation_id}' in the history",
        "Run 'desktop-assistant history list'.",
    )


def _unusable(path: Path, exc: BaseException) -> HistoryError:
    return HistoryError(
        f"The history at {path} cannot be used: {first_line(exc)}",
        "Check the data folder's free space and permissions, or turn history off (history.enabled).",
    )


def history_folder(data_dir: Path) -> Path:
    """Where the history lives inside the data folder."""
    return data_dir / "history"


def _guard_action(stored: dict[str, Any]) -> GuardAction:
    """A kept guard action; one kept before actions had spans reads with an empty one."""
    return GuardAction(stored["kind"], stored["rule"], stored["text"], tuple(stored.get("span", (0, 0))))
