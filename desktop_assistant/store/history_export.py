"""The history written out: JSON holding every stored field of each turn, or a Markdown transcript."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from desktop_assistant.store.history import HistoryStore
from desktop_assistant.store.history_records import ConversationSummary, StoredImage, TurnRecord

# The timings the transcript's summary line shows, by key, in the order a turn reaches them.
TIMING_LABELS = (
    ("stt", "stt"),
    ("llm_first_token", "first token"),
    ("first_audio", "first audio"),
    ("total", "total"),
)
EMPTY_MARKDOWN = "No conversations in the history yet.\n"


@dataclass(frozen=True)
class ExportedConversation:
    """A conversation and its turns, oldest first, as read for an export."""

    summary: ConversationSummary
    turns: list[TurnRecord]


def collect(store: HistoryStore, conversation_id: str | None = None) -> list[ExportedConversation]:
    """Conversation ``conversation_id`` (``HistoryError`` when there is none), or every conversation,
    the most recently updated first."""
    summaries = store.conversations() if conversation_id is None else [store.conversation(conversation_id)]
    return [ExportedConversation(summary, store.turns(summary.id)) for summary in summaries]


def iso_time(timestamp: float | None) -> str | None:
    """A stored time as ISO 8601 in the local timezone, with its offset."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="milliseconds")


def turn_as_dict(turn: TurnRecord) -> dict[str, Any]:
    """Every field of a stored turn, JSON-ready; ``incomplete`` is true for a turn never ended too."""
    # Field by field from the record, so a field added to TurnRecord is exported without a change here.
    out = {f.name: getattr(turn, f.name) for f in dataclasses.fields(turn)}
    out["created_at"] = iso_time(turn.created_at)
    out["ended_at"] = iso_time(turn.ended_at)
    out["incomplete"] = turn.cut_short
    out["images"] = [_image_as_dict(image) for image in turn.images]
    out["guard_actions"] = [dataclasses.asdict(action) for action in turn.guard_actions]
    return out


def as_json(conversations: list[ExportedConversation]) -> str:
    """``{"conversations": [...]}``, each with its id, title, times and turns."""
    data = {
        "conversations": [
            {
                "id": c.summary.id,
                "title": c.summary.title,
                "created_at": iso_time(c.summary.created_at),
                "updated_at": iso_time(c.summary.updated_at),
                "turns": [turn_as_dict(turn) for turn in c.turns],
            }
            for c in conversations
        ]
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def as_markdown(conversations: list[ExportedConversation]) -> str:
    """The conversations as transcripts, separated by rules."""
    if not conversations:
        return EMPTY_MARKDOWN
    return "\n---\n\n".join(transcript(c) for c in conversations)


def transcript(conversation: ExportedConversation) -> str:
    """One conversation as a Markdown transcript: title, dates, then each turn."""
    summary = conversation.summary
    count = len(conversation.turns)
    lines = [
        f"# {summary.title}",
        "",
        f"Started {_when(summary.created_at)} · updated {_when(summary.updated_at)} · "
        f"{count} turn{'' if count == 1 else 's'} · conversation {summary.id}",
        "",
    ]
    previous_day = None
    for turn in conversation.turns:
        day = datetime.fromtimestamp(turn.created_at).date()
        # The date is shown when the day changes; within a day the time alone reads better.
        heading = _when(turn.created_at, seconds=True) if day != previous_day else _clock(turn.created_at)
        previous_day = day
        lines += [f"## {heading}", "", *_turn_lines(turn)]
    return "\n".join(lines)


def _turn_lines(turn: TurnRecord) -> list[str]:
    lines = [f"**You** ({turn.source}): {turn.question}", ""]
    if turn.images:
        lines += [*(f"- Image: {_image_link(image)}" for image in turn.images), ""]
    lines += [f"**Assistant:** {turn.reply or '(no reply)'}", ""]
    notes = _notes(turn)
    if notes:
        lines += [*(f"- {note}" for note in notes), ""]
    timings = timing_summary(turn.timings_ms)
    if timings:
        lines += [timings, ""]
    return lines


def _notes(turn: TurnRecord) -> list[str]:
    notes = [f"Voice: {turn.voice_cues}"] if turn.voice_cues else []
    if turn.interrupted:
        heard = " ".join(turn.heard.split())
        notes.append(f"Interrupted — heard: {heard}" if heard else "Interrupted before any of it was heard")
    if turn.ended_at is None:
        notes.append("The reply is incomplete: the turn never ended")
    elif turn.incomplete:
        notes.append("The reply is incomplete")
    if turn.blocked:
        notes.append("Blocked: the guard stopped the speech")
    for action in turn.guard_actions:
        notes.append(f"{action.kind.capitalize()} in speech: {action.text} ({action.rule})")
    if turn.error:
        notes.append(f"Error: {turn.error}")
    return notes


def timing_summary(timings_ms: dict[str, float | None]) -> str:
    """One line of the stage timings a turn has, e.g. "Timings: stt 380 ms · total 4.0 s"; "" when none."""
    shown = []
    for key, label in TIMING_LABELS:
        ms = timings_ms.get(key)
        if ms is not None:
            shown.append(f"{label} {_duration(ms)}")
    return "Timings: " + " · ".join(shown) if shown else ""


def _duration(ms: float) -> str:
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def _image_link(image: StoredImage) -> str:
    size = f"{image.width}x{image.height}"
    if image.file is None:
        return f"{image.name} ({size}, not kept)"
    link = f"[{image.name}]({_uri(image.file)}) ({size})"
    return link if image.thumbnail is None else f"{link}, [thumbnail]({_uri(image.thumbnail)})"


def _image_as_dict(image: StoredImage) -> dict[str, Any]:
    return {key: str(value) if isinstance(value, Path) else value for key, value in vars(image).items()}


def _uri(path: Path) -> str:
    return path.resolve().as_uri()


def _when(timestamp: float, seconds: bool = False) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def _clock(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%H:%M:%S")
