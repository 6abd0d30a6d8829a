"""A turn's timings: stage durations and every stage mark, in milliseconds."""

from __future__ import annotations

from desktop_assistant.core.turn import Turn

# Stage durations: (name, from mark, to mark). "release" is when the question was complete: the key
# went up, or the file or text was handed over.
DURATIONS = (
    ("stt", "release", "stt_done"),
    ("llm_first_token", "llm_request", "llm_first_token"),
    ("tts_first_chunk", "tts_start", "tts_first_audio"),
    ("first_audio", "release", "first_audio_played"),
    ("llm_total", "llm_request", "llm_done"),
    ("total", "release", "ended"),
)
MARKS = (
    "press",
    "speculated",
    "release",
    "stt_done",
    "speculation_kept",
    "llm_request",
    "llm_first_token",
    "first_chunk_text",
    "tts_start",
    "tts_first_audio",
    "first_audio_played",
    "llm_done",
    "last_audio_played",
)


def turn_timings(turn: Turn) -> dict[str, float | None]:
    """Durations by name, then ``at_<mark>``: each mark in ms from release (a press is negative)."""
    timings: dict[str, float | None] = {name: turn.between_ms(a, b) for name, a, b in DURATIONS}
    for mark in MARKS:
        timings[f"at_{mark}"] = turn.between_ms("release", mark)
    return timings
