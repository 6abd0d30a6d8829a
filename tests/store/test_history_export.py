"""Exports of the history: JSON with every stored field, and a Markdown transcript a person can read."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from desktop_assistant.errors import HistoryError
from desktop_assistant.store.history import HistoryStore
from desktop_assistant.store.history_export import (
    EMPTY_MARKDOWN,
    as_json,
    as_markdown,
    collect,
    timing_summary,
)
from desktop_assistant.store.history_records import StoredImage, TurnRecord
from desktop_assistant.text.guard import GuardAction
from tests.store.test_history import ended, png

PHONE = GuardAction("redacted", "phone number", "555-123-4567", (5, 17))
CUES = "(spoken quickly, rising at the end)"
MEASURES = {
    "speech_s": 1.2,
    "words_per_s": 6.2,
    "loudness_dbfs": -18.0,
    "pitch_hz": 210.5,
    "end_slope_st_s": 11.0,
}
TIMINGS = {"stt": 380.0, "llm_first_token": 420.0, "first_audio": 1234.0, "total": 4010.0, "llm_total": None}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    opened = HistoryStore(tmp_path / "history")
    opened.begin_turn("conv", "image", "typed", "What colour is this?", [png()], {"llm": "gemma3:4b"})
    opened.end_turn("image", ended("It is blue.", timings_ms=TIMINGS))
    opened.begin_turn(
        "conv", "cut", "spoken", "Tell me about tides", models={"stt": "tiny.en"}, voice=(CUES, MEASURES)
    )
    opened.end_turn(
        "cut", ended("Tides come from the moon and the sun.", heard="Tides come from", interrupted=True)
    )
    opened.begin_turn("conv", "guard", "typed", "What is the office number?")
    reply = "Call 555-123-4567 any time."
    opened.end_turn("guard", ended(reply, spoken="Call redacted any time.", guard_actions=(PHONE,)))
    opened.begin_turn("conv", "failed", "typed", "Are you there?")
    opened.end_turn("failed", ended("", error="Cannot reach Ollama at http://127.0.0.1:11434", timings_ms={}))
    opened.begin_turn("conv", "killed", "typed", "Still there?")
    opened.update_reply("killed", "I am", "I am")
    opened.begin_turn("other", "elsewhere", "typed", "Another conversation")
    yield opened
    opened.close()


def expected(value: Any) -> Any:
    """A record's value as JSON holds it."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return [expected(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: expected(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def parsed_time(text: str) -> float:
    when = datetime.fromisoformat(text)
    assert when.tzinfo is not None, text
    return when.timestamp()


def test_json_holds_every_field_of_every_turn(store: HistoryStore) -> None:
    data = json.loads(as_json(collect(store, "conv")))
    (conversation,) = data["conversations"]
    summary = store.conversation("conv")
    assert (conversation["id"], conversation["title"]) == ("conv", "What colour is this?")
    assert parsed_time(conversation["created_at"]) == pytest.approx(summary.created_at, abs=0.001)
    assert parsed_time(conversation["updated_at"]) == pytest.approx(summary.updated_at, abs=0.001)

    records = store.turns("conv")
    assert [turn["id"] for turn in conversation["turns"]] == ["image", "cut", "guard", "failed", "killed"]
    names = {f.name for f in dataclasses.fields(TurnRecord)}
    image_names = {f.name for f in dataclasses.fields(StoredImage)}
    for record, turn in zip(records, conversation["turns"], strict=True):
        assert set(turn) == names, record.id
        for name in names - {"created_at", "ended_at", "incomplete"}:
            assert turn[name] == expected(getattr(record, name)), (record.id, name)
        assert parsed_time(turn["created_at"]) == pytest.approx(record.created_at, abs=0.001)
        if record.ended_at is None:
            assert turn["ended_at"] is None
        else:
            assert parsed_time(turn["ended_at"]) == pytest.approx(record.ended_at, abs=0.001)
        assert turn["incomplete"] is record.cut_short
        for image in turn["images"]:
            assert set(image) == image_names

    image_turn, cut, guard, failed, killed = conversation["turns"]
    (image,) = image_turn["images"]
    assert image["name"] == "shot.png" and image["mime"] == "image/png"
    assert Path(image["file"]).read_bytes() == png().data
    assert Path(image["thumbnail"]).is_file()
    assert image_turn["timings_ms"]["first_audio"] == 1234.0
    assert image_turn["models"] == {"llm": "gemma3:4b"}
    assert (cut["interrupted"], cut["heard"], cut["source"]) == (True, "Tides come from", "spoken")
    assert (cut["voice_cues"], cut["voice_measures"]) == (CUES, MEASURES)
    assert (guard["voice_cues"], guard["voice_measures"]) == ("", {})
    assert guard["guard_actions"] == [
        {"kind": "redacted", "rule": "phone number", "text": "555-123-4567", "span": [5, 17]}
    ]
    assert guard["spoken"] == "Call redacted any time."
    assert failed["error"].startswith("Cannot reach Ollama") and failed["reply"] == ""
    assert (killed["ended_at"], killed["incomplete"], killed["reply"]) == (None, True, "I am")


def test_json_of_everything_holds_every_conversation(store: HistoryStore) -> None:
    data = json.loads(as_json(collect(store)))
    assert [c["id"] for c in data["conversations"]] == ["other", "conv"]
    assert json.loads(as_json([])) == {"conversations": []}


def test_markdown_reads_as_a_transcript(store: HistoryStore) -> None:
    text = as_markdown(collect(store, "conv"))
    (image,) = store.turns("conv")[0].images
    assert image.file is not None
    assert text.startswith("# What colour is this?\n")
    assert "5 turns · conversation conv" in text
    assert text.count("\n## ") == 5
    assert "**You** (typed): What colour is this?" in text
    assert "**You** (spoken): Tell me about tides" in text
    assert f"[shot.png]({image.file.resolve().as_uri()}) (400x300)" in text
    assert "**Assistant:** It is blue." in text
    assert "Timings: stt 380 ms · first token 420 ms · first audio 1.2 s · total 4.0 s" in text
    assert "**Assistant:** Tides come from the moon and the sun." in text
    assert "- Interrupted — heard: Tides come from" in text
    assert f"- Voice: {CUES}" in text and text.count("- Voice:") == 1
    assert "**Assistant:** Call 555-123-4567 any time." in text
    assert "- Redacted in speech: 555-123-4567 (phone number)" in text
    assert "**Assistant:** (no reply)" in text
    assert "- Error: Cannot reach Ollama at http://127.0.0.1:11434" in text
    assert "- The reply is incomplete: the turn never ended" in text
    assert "<" not in text  # no HTML
    assert text.count("The reply is incomplete") == 1  # only the turn that never ended


def test_markdown_of_everything_separates_the_conversations(store: HistoryStore) -> None:
    text = as_markdown(collect(store))
    assert text.index("# Another conversation") < text.index("\n---\n") < text.index("# What colour")
    assert as_markdown([]) == EMPTY_MARKDOWN


def test_a_missing_conversation_is_a_history_error(store: HistoryStore) -> None:
    with pytest.raises(HistoryError, match="No conversation 'nope'"):
        collect(store, "nope")


def test_timing_summary_shows_only_the_timings_present() -> None:
    assert timing_summary({"total": 950.0, "stt": None}) == "Timings: total 950 ms"
    assert timing_summary({"stt": None}) == ""
