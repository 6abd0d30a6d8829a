"""The history store on a real SQLite file: migrations, owner-only files, writes, deletes and search."""

from __future__ import annotations

import io
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from desktop_assistant.core.conversation import ContextLimits
from desktop_assistant.errors import HistoryError
from desktop_assistant.llm.base import PreparedImage
from desktop_assistant.store.history import DATABASE_NAME, HistoryStore
from desktop_assistant.store.history_log import restore_conversation
from desktop_assistant.store.history_records import MATCH_END, MATCH_START, TurnEnd
from desktop_assistant.store.history_schema import SCHEMA_VERSION, migrate, schema_version
from desktop_assistant.text.guard import GuardAction


def png(width: int = 400, height: int = 300) -> PreparedImage:
    """A real PNG the store can make a thumbnail of."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(out, format="PNG")
    return PreparedImage(out.getvalue(), "image/png", width, height, "shot.png")


def ended(reply: str, **changes: object) -> TurnEnd:
    """A turn's end that went as planned, with ``changes``."""
    end = {
        "reply": reply,
        "spoken": reply,
        "heard": reply,
        "interrupted": False,
        "incomplete": False,
        "blocked": False,
        "error": None,
        "timings_ms": {"total": 1234.0},
        **changes,
    }
    return TurnEnd(**end)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    opened = HistoryStore(tmp_path / "history")
    yield opened
    opened.close()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_gets_every_migration(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history")
    store.close()
    with sqlite3.connect(tmp_path / "history" / DATABASE_NAME) as db:
        assert schema_version(db) == SCHEMA_VERSION == 3
        columns = {row[1] for row in db.execute("PRAGMA table_info(turns)")}
        assert {"guard_actions", "voice_cues", "voice_measures"} <= columns
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'turns_fts'").fetchone()
    db.close()


def test_a_version_1_file_is_upgraded_in_place_and_its_rows_are_searchable(tmp_path: Path) -> None:
    folder = tmp_path / "history"
    folder.mkdir()
    db = sqlite3.connect(folder / DATABASE_NAME, isolation_level=None)
    migrate(db, target=1)
    db.execute("INSERT INTO conversations VALUES ('old', 'Tides', 100.0, 200.0)")
    db.execute(
        "INSERT INTO turns (id, conversation_id, created_at, ended_at, source, question, reply, timings)"
        " VALUES ('t1', 'old', 100.0, 101.0, 'typed', 'Why are there tides?', 'The moon pulls the sea.',"
        " '{\"total\": 900.0}')"
    )
    db.execute("INSERT INTO images VALUES ('t1', 0, 'beach.png', 'image/png', 20, 10, NULL, NULL)")
    assert schema_version(db) == 1
    db.close()

    store = HistoryStore(folder)
    try:
        (turn,) = store.turns("old")
        assert (turn.question, turn.reply, turn.timings_ms) == (
            "Why are there tides?",
            "The moon pulls the sea.",
            {"total": 900.0},
        )
        assert turn.guard_actions == () and (turn.voice_cues, turn.voice_measures) == ("", {})
        assert turn.images[0].name == "beach.png" and turn.images[0].file is None
        assert store.conversation("old").title == "Tides"
        (hit,) = store.search("moon")
        assert (hit.conversation_id, hit.turn_id) == ("old", "t1")
        assert f"{MATCH_START}moon{MATCH_END}" in hit.snippet
        assert [h.turn_id for h in store.search("tide")] == ["t1"]  # the last word is a prefix
    finally:
        store.close()
    with sqlite3.connect(folder / DATABASE_NAME) as check:
        assert schema_version(check) == SCHEMA_VERSION
    check.close()


def test_a_spoken_question_keeps_its_voice_note_and_measures(store: HistoryStore) -> None:
    measures = {"words_per_s": 6.1, "loudness_dbfs": -7.4, "pitch_hz": 244.8, "end_slope_st_s": None}
    store.begin_turn("c", "t", "spoken", "Is it late?", voice=("(spoken quickly and loudly)", measures))
    store.begin_turn("c", "u", "typed", "And now?")
    spoken, typed = store.turns("c")
    assert (spoken.question, spoken.voice_cues, spoken.voice_measures) == (
        "Is it late?",
        "(spoken quickly and loudly)",
        measures,
    )
    assert (typed.voice_cues, typed.voice_measures) == ("", {})


def test_a_file_from_a_newer_app_is_refused(tmp_path: Path) -> None:
    HistoryStore(tmp_path).close()
    db = sqlite3.connect(tmp_path / DATABASE_NAME)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(HistoryError, match="newer version"):
        HistoryStore(tmp_path)


def test_the_folder_database_wal_images_and_thumbnails_are_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "history"
    store = HistoryStore(folder)
    try:
        store.begin_turn("c", "t", "typed", "What is this?", [png()])
        (image,) = store.turns("c")[0].images
        assert image.file is not None and image.thumbnail is not None
        assert Image.open(image.thumbnail).size == (160, 120)
        assert mode(folder) == 0o700
        assert mode(folder / "images") == 0o700
        for path in (
            folder / DATABASE_NAME,
            folder / f"{DATABASE_NAME}-wal",
            folder / f"{DATABASE_NAME}-shm",
            image.file,
            image.thumbnail,
        ):
            assert path.exists(), path
            assert mode(path) == 0o600, path
    finally:
        store.close()


def test_images_not_kept_leave_their_description_only(store: HistoryStore) -> None:
    store.begin_turn("c", "t", "typed", "What is this?", [png()], store_images=False)
    (image,) = store.turns("c")[0].images
    assert (image.name, image.width, image.file, image.thumbnail) == ("shot.png", 400, None, None)
    assert not (store.folder / "images").exists() or not any((store.folder / "images").iterdir())


def test_begin_update_end_and_a_never_ended_turn_is_cut_short(store: HistoryStore) -> None:
    store.begin_turn("c", "t1", "spoken", "Tell me a joke", models={"llm": "gemma3:4b"})
    store.update_reply("t1", "Why did", "Why did")
    (turn,) = store.turns("c")
    assert (turn.reply, turn.ended_at, turn.cut_short) == ("Why did", None, True)

    action = GuardAction("redacted", "phone number", "555-123-4567", (12, 24))
    store.end_turn(
        "t1",
        ended("Why did the chicken cross?", heard="Why did", interrupted=True, guard_actions=(action,)),
    )
    store.update_reply("t1", "changed after the end", "")
    (turn,) = store.turns("c")
    assert turn.reply == "Why did the chicken cross?"
    assert (turn.heard, turn.interrupted, turn.cut_short) == ("Why did", True, False)
    assert turn.guard_actions == (action,)
    assert turn.models == {"llm": "gemma3:4b"} and turn.timings_ms == {"total": 1234.0}
    assert turn.ended_at is not None and turn.ended_at >= turn.created_at

    store.begin_turn("c", "t1", "spoken", "Tell me a joke")  # written again: nothing changes
    store.begin_turn("c", "t2", "typed", "Another")
    assert [t.id for t in store.turns("c")] == ["t1", "t2"]
    assert store.turns("c")[1].cut_short
    assert store.conversation("c").turn_count == 2
    assert store.conversation("c").title == "Tell me a joke"


def test_delete_removes_the_conversation_and_its_image_files(store: HistoryStore) -> None:
    store.begin_turn("gone", "t1", "typed", "Look", [png()])
    store.begin_turn("kept", "t2", "typed", "Look too", [png()])
    (image,) = store.turns("gone")[0].images
    store.delete("gone")
    assert image.file is not None and not image.file.exists()
    assert image.thumbnail is not None and not image.thumbnail.exists()
    assert [c.id for c in store.conversations()] == ["kept"]
    assert store.turns("kept")[0].images[0].file.exists()  # type: ignore[union-attr]
    assert store.search("Look") and all(hit.conversation_id == "kept" for hit in store.search("Look"))
    with pytest.raises(HistoryError, match="No conversation 'gone'"):
        store.delete("gone")


def test_delete_all_removes_everything(store: HistoryStore) -> None:
    for n in range(3):
        store.begin_turn(f"c{n}", f"t{n}", "typed", f"Question {n}", [png()])
    assert store.delete_all() == 3
    assert store.conversations() == [] and store.latest() is None
    assert list((store.folder / "images").iterdir()) == []
    assert store.search("Question") == []
    assert store.delete_all() == 0


def test_prune_removes_only_conversations_older_than_keep_days(store: HistoryStore) -> None:
    store.begin_turn("old", "t1", "typed", "Old question", [png()])
    store.begin_turn("new", "t2", "typed", "New question")
    (image,) = store.turns("old")[0].images
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE conversations SET updated_at = ? WHERE id = 'old'", (time.time() - 40 * 86_400,))
    db.close()
    assert store.prune(0) == 0
    assert store.prune(30) == 1
    assert [c.id for c in store.conversations()] == ["new"]
    assert image.file is not None and not image.file.exists()


def test_rename_and_the_newest_first_order(store: HistoryStore) -> None:
    store.begin_turn("a", "t1", "typed", "First")
    store.begin_turn("b", "t2", "typed", "Second")
    assert store.latest() is not None and store.latest().id == "b"  # type: ignore[union-attr]
    store.rename("a", "  A   better title ")
    assert store.conversation("a").title == "A better title"
    with pytest.raises(HistoryError, match="cannot be empty"):
        store.rename("a", "   ")
    with pytest.raises(HistoryError, match="No conversation 'zzz'"):
        store.rename("zzz", "x")
    store.end_turn("t1", ended("Reply"))
    assert [c.id for c in store.conversations()] == ["a", "b"]


@pytest.mark.parametrize(
    "query", ['"', 'say "hi', "AND", "tea AND", "OR NOT", "*", "-", "tea -milk", "(", "a:b", "^"]
)
def test_search_takes_any_text_as_words(store: HistoryStore, query: str) -> None:
    store.begin_turn("c", "t", "typed", 'She said "hi" and AND or - * tea')
    store.search(query)  # must not raise an FTS5 syntax error
    assert store.search("tea")[0].turn_id == "t"


def test_search_finds_replies_and_requires_every_word(store: HistoryStore) -> None:
    store.begin_turn("c", "t1", "typed", "What is the capital of France?")
    store.end_turn("t1", ended("Paris is the capital."))
    store.begin_turn("c", "t2", "typed", "And of Spain?")
    store.end_turn("t2", ended("Madrid."))
    assert [h.turn_id for h in store.search("paris capital")] == ["t1"]
    assert [h.turn_id for h in store.search("madr")] == ["t2"]
    assert store.search("paris madrid") == []
    assert store.search("   ") == []


def test_a_snippet_reads_as_text_not_markdown(store: HistoryStore) -> None:
    store.begin_turn("c", "t1", "typed", "What does the chart show?")
    store.end_turn("t1", ended("The chart shows **monthly sales**:\n\n- **March** is best, `snake_case` too"))
    (hit,) = store.search("sales")
    sales = f"{MATCH_START}sales{MATCH_END}"
    assert hit.snippet == f"The chart shows monthly {sales}: March is best, snake_case too"


def test_separate_stores_on_many_threads_keep_every_turn(tmp_path: Path) -> None:
    folder = tmp_path / "history"
    HistoryStore(folder).close()
    writers, turns_each = 6, 25
    failures: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(n: int) -> None:
        store = HistoryStore(folder)
        try:
            start.wait(timeout=10)
            for t in range(turns_each):
                store.begin_turn(f"c{n}", f"c{n}-t{t}", "typed", f"writer {n} question {t}")
                store.update_reply(f"c{n}-t{t}", "partial", "partial")
                store.end_turn(f"c{n}-t{t}", ended(f"reply {t}"))
        except BaseException as exc:
            failures.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=write, args=(n,), name=f"writer-{n}") for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    store = HistoryStore(folder)
    try:
        assert store.integrity() == "ok"
        assert sorted(c.turn_count for c in store.conversations()) == [turns_each] * writers
        for n in range(writers):
            turns = store.turns(f"c{n}")
            assert [t.reply for t in turns] == [f"reply {t}" for t in range(turns_each)]
            assert not any(t.cut_short for t in turns)
        assert len(store.search("writer question", limit=1000)) == writers * turns_each
    finally:
        store.close()


def test_a_restored_conversation_sends_the_spoken_question_as_the_model_got_it(store: HistoryStore) -> None:
    store.begin_turn("c", "t", "spoken", "Is it late?", voice=("(spoken quickly)", {"words_per_s": 6.0}))
    store.end_turn("t", ended("It is nine."))
    store.begin_turn("c", "u", "typed", "Thanks.")
    store.end_turn("u", ended("You're welcome."))
    restored = restore_conversation(store, "c", "", ContextLimits())
    assert [e.question for e in restored.exchanges] == ["Is it late? (spoken quickly)", "Thanks."]
