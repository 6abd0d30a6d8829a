"""The history database's schema: numbered migrations that upgrade an older file in place.

``PRAGMA user_version`` holds the number of migrations applied. Each migration runs in one
``BEGIN IMMEDIATE`` transaction that re-reads the version first, so two processes opening an old file
at once upgrade it once.
"""

from __future__ import annotations

import sqlite3

# Version 1: conversations, their turns and the turns' images.
_V1 = (
    """CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    )""",
    """CREATE TABLE turns (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        created_at REAL NOT NULL,
        ended_at REAL,
        source TEXT NOT NULL CHECK (source IN ('spoken', 'typed')),
        question TEXT NOT NULL,
        reply TEXT NOT NULL DEFAULT '',
        spoken TEXT NOT NULL DEFAULT '',
        heard TEXT NOT NULL DEFAULT '',
        interrupted INTEGER NOT NULL DEFAULT 0,
        incomplete INTEGER NOT NULL DEFAULT 0,
        blocked INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        models TEXT NOT NULL DEFAULT '{}',
        timings TEXT NOT NULL DEFAULT '{}'
    )""",
    "CREATE INDEX turns_by_conversation ON turns (conversation_id, seq)",
    """CREATE TABLE images (
        turn_id TEXT NOT NULL REFERENCES turns(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        mime TEXT NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        file TEXT,
        thumbnail TEXT,
        PRIMARY KEY (turn_id, position)
    )""",
)

# Version 2: the guard's actions per turn, and full-text search over questions and replies.
_V2 = (
    "ALTER TABLE turns ADD COLUMN guard_actions TEXT NOT NULL DEFAULT '[]'",
    """CREATE VIRTUAL TABLE turns_fts USING fts5(
        question, reply, content='turns', content_rowid='seq', tokenize='unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER turns_fts_insert AFTER INSERT ON turns BEGIN
        INSERT INTO turns_fts (rowid, question, reply) VALUES (new.seq, new.question, new.reply);
    END""",
    """CREATE TRIGGER turns_fts_delete AFTER DELETE ON turns BEGIN
        INSERT INTO turns_fts (turns_fts, rowid, question, reply)
            VALUES ('delete', old.seq, old.question, old.reply);
    END""",
    """CREATE TRIGGER turns_fts_update AFTER UPDATE OF question, reply ON turns BEGIN
        INSERT INTO turns_fts (turns_fts, rowid, question, reply)
            VALUES ('delete', old.seq, old.question, old.reply);
        INSERT INTO turns_fts (rowid, question, reply) VALUES (new.seq, new.question, new.reply);
    END""",
    "INSERT INTO turns_fts (turns_fts) VALUES ('rebuild')",
)

# Version 3: the note on how a spoken question sounded, as the model got it, and the measures behind it.
_V3 = (
    "ALTER TABLE turns ADD COLUMN voice_cues TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE turns ADD COLUMN voice_measures TEXT NOT NULL DEFAULT '{}'",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(connection: sqlite3.Connection) -> int:
    """The number of migrations applied to the open database."""
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def migrate(connection: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Apply the migrations the file lacks, up to ``target``, each in its own transaction; returns the
    version the file had. ``connection`` is in autocommit mode (``isolation_level=None``)."""
    found = schema_version(connection)
    if found > SCHEMA_VERSION:
        return found
    for number in range(found + 1, target + 1):
        connection.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(connection) < number:  # another process may have got here first
                for statement in MIGRATIONS[number - 1]:
                    connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {number}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    return found
