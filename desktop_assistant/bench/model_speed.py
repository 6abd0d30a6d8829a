"""The benchmark's model figures: the model alone, after the turns, asked the same question a few
times. ``llm_first_token_ms`` runs from the request to the first delta, ``llm_tokens_per_s`` over the
rest of the reply (its tokens as the model counts them, less the first, from the first delta to the
end), each the median of the replies."""

from __future__ import annotations

import statistics
import time

from desktop_assistant.core.conversation import Conversation
from desktop_assistant.llm.base import ChatModel, TokenCounts

QUESTION = "Who said 'ask not what your country can do for you', and when?"
REPLIES = 3


def model_speed(chat: ChatModel, replies: int = REPLIES) -> dict[str, float]:
    """``llm_first_token_ms`` and ``llm_tokens_per_s`` of ``chat`` (medians of ``replies`` replies)."""
    request = Conversation.with_persona("").request(QUESTION)
    first_ms: list[float] = []
    rates: list[float] = []
    for _ in range(replies):
        counts: list[TokenCounts] = []
        asked = time.perf_counter()
        first: float | None = None
        for _delta in chat.stream_reply(request, on_counts=counts.append):
            first = first or time.perf_counter()
        ended = time.perf_counter()
        if first is None:
            continue
        first_ms.append((first - asked) * 1000)
        generated = counts[-1].reply - 1 if counts else 0
        if generated > 0 and ended > first:
            rates.append(generated / (ended - first))
    return {
        "llm_first_token_ms": round(statistics.median(first_ms), 1) if first_ms else 0.0,
        "llm_tokens_per_s": round(statistics.median(rates), 1) if rates else 0.0,
    }
