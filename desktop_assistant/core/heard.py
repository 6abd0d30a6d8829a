"""The spoken chunks of a reply in time: the pause after each, and the words heard before a barge-in."""

from __future__ import annotations

# Kokoro trims each chunk's silence; these restore the breath a listener expects between them.
CLAUSE_PAUSE_S = 0.1
SENTENCE_PAUSE_S = 0.25


def pause_after(chunk: str) -> float:
    """A clause gets a short pause after it, a sentence a longer one; a chunk that the chunker cut between
    words (it ends in a letter or digit) none, so that its clause runs on."""
    if chunk[-1:].isalnum():
        return 0.0
    return CLAUSE_PAUSE_S if chunk.rstrip("\"')]").endswith((",", ";", ":")) else SENTENCE_PAUSE_S


def heard_text(chunks: list[tuple[str, float]], played_s: float | None) -> str:
    """The words that reached the listener: whole chunks played, then the played share of the next."""
    if played_s is None:
        return ""
    heard: list[str] = []
    elapsed = 0.0
    for text, duration in chunks:
        if elapsed + duration <= played_s:
            heard.append(text)
        else:
            words = text.split()
            share = max(0.0, played_s - elapsed) / duration if duration else 0.0
            heard.extend(words[: int(len(words) * share)])
            break
        elapsed += duration
    return " ".join(heard)
