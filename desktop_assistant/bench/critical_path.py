"""Where a turn's time to first audio goes, from its timings (ms from the release; a mark made before
the release, by a reply started while the key was held, is negative).

The wait from the release to the first audio is split along the chain it waits on: the transcript,
then the model up to the first chunk's text, then that chunk's synthesis, then the output. Each part
is the time from the end of the previous one to its own end (nothing when it was done already), so the
parts add up to the whole. Overhead is the time in that wait when none of those stages was working.
"""

from __future__ import annotations

import statistics

Timings = dict[str, float | None]

# (part, the mark that ends it), in chain order; the output's part ends at the first audio.
CHAIN = (("stt", "at_stt_done"), ("llm", "at_first_chunk_text"), ("tts", "at_tts_first_audio"))
# The stages' working intervals: (from mark, to mark).
WORK = (
    ("at_release", "at_stt_done"),
    ("at_llm_request", "at_first_chunk_text"),
    ("at_tts_start", "at_tts_first_audio"),
)


def split_ms(timings: Timings) -> dict[str, float]:
    """The time to first audio in parts: ``stt``, ``llm``, ``tts`` and ``output``."""
    first_audio = float(timings["first_audio"] or 0.0)
    parts: dict[str, float] = {}
    reached = 0.0
    for part, mark in CHAIN:
        end = min(max(reached, float(timings[mark] or 0.0)), first_audio)
        parts[part] = round(end - reached, 1)
        reached = end
    parts["output"] = round(first_audio - reached, 1)
    return parts


def overhead_ms(timings: Timings) -> float:
    """The time to first audio minus the time in it that some stage on the chain was working."""
    first_audio = float(timings["first_audio"] or 0.0)
    spans = sorted(
        (max(0.0, float(timings[a] or 0.0)), min(first_audio, float(timings[b] or 0.0)))
        for a, b in WORK
        if timings.get(a) is not None and timings.get(b) is not None
    )
    busy, covered_to = 0.0, 0.0
    for start, end in spans:
        start = max(start, covered_to)
        if end > start:
            busy += end - start
            covered_to = end
    return round(first_audio - busy, 1)


def median_split(turns: list[Timings]) -> dict[str, float]:
    """Each part's median over ``turns``."""
    splits = [split_ms(t) for t in turns]
    if not splits:
        return {}
    return {part: round(statistics.median(s[part] for s in splits), 1) for part in splits[0]}
