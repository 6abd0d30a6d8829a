"""The messages sent to the model: one persona for typed and spoken turns, then the exchanges so far,
kept inside the model's context window.

Every request must fit ``num_ctx`` with room left for the reply, so the oldest exchanges are left out
first. Tokens are estimated conservatively (a token per three bytes of UTF-8, a fixed cost per message
and per image) and the estimate is scaled by what the model itself reported for earlier requests
(Ollama's ``prompt_eval_count``), so the count follows the real tokenizer once it is known. Images ride
only on the most recent user turns; older turns keep their text and a note that an image was there.
A reply the user cut off enters the conversation as far as it was heard, marked as cut off.
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass, field

from desktop_assistant.assets import resource_path
from desktop_assistant.llm.base import ChatMessage, PreparedImage, TokenCounts, reply_room

log = logging.getLogger(__name__)

# Chat templates wrap every message in a few tokens of role markers.
MESSAGE_TOKENS = 4
# Vision models spend 256 (Gemma 3) to over a thousand (Qwen2.5-VL on a large screenshot) tokens per image.
IMAGE_TOKENS = 768
# The learned scale is bounded, so one odd report (a truncated prompt, an older server) cannot run away.
SCALE_RANGE = (0.5, 3.0)
CUT_OFF = "[the user interrupted here]"
NOTHING_HEARD = "[the user interrupted before hearing any of this reply]"
IMAGE_NOTE = "[an image was shared here; it is no longer shown]"


def default_persona() -> str:
    """The built-in voice-assistant system prompt."""
    return resource_path("persona.md").read_text(encoding="utf-8").strip()


def estimate_tokens(message: ChatMessage) -> int:
    """A conservative token count for one message: real tokenizers give English about four bytes a token."""
    text = math.ceil(len(message.content.encode("utf-8")) / 3)
    return text + MESSAGE_TOKENS + IMAGE_TOKENS * len(message.images)


@dataclass(frozen=True)
class ContextLimits:
    """How much a request may hold: ``num_ctx`` tokens in all, of which ``reply_tokens`` stay free for the
    answer; images go with the last ``images_in_context`` user turns (the new question counts)."""

    num_ctx: int = 4096
    images_in_context: int = 2

    @property
    def reply_tokens(self) -> int:
        """Room kept for the reply (``reply_room``)."""
        return reply_room(self.num_ctx)

    @property
    def prompt_tokens(self) -> int:
        """What the prompt may take."""
        return self.num_ctx - self.reply_tokens


@dataclass(frozen=True)
class Exchange:
    """A question and the answer as the user got it."""

    question: str
    images: tuple[PreparedImage, ...]
    answer: str

    @classmethod
    def of_turn(
        cls,
        question: str,
        images: tuple[PreparedImage, ...],
        reply: str,
        heard: str,
        cut_off: bool,
        failed: bool,
    ) -> Exchange | None:
        """What a turn adds to the conversation: a whole reply as written; one cut short (barge-in, the
        speaker lost, a cut stream, a guard block, an error after some of it was heard) as far as it was
        heard, marked as cut off; nothing for a turn that failed before anything was heard."""
        if not question:
            return None
        if cut_off or (failed and heard):
            return cls(question, images, f"{heard} {CUT_OFF}" if heard.strip() else NOTHING_HEARD)
        return None if failed else cls(question, images, reply)


def new_conversation_id() -> str:
    """A fresh conversation id (short enough to type after ``history show``)."""
    return uuid.uuid4().hex[:12]


@dataclass
class Conversation:
    """A conversation's persona and past exchanges; the system prompt stays byte-identical across turns."""

    persona: str
    limits: ContextLimits = field(default_factory=ContextLimits)
    exchanges: list[Exchange] = field(default_factory=list)
    id: str = field(default_factory=new_conversation_id)
    # The model's reported prompt tokens over our estimate, from the latest request that reported them.
    scale: float = 1.0

    @classmethod
    def with_persona(
        cls,
        persona: str,
        limits: ContextLimits | None = None,
        exchanges: list[Exchange] | None = None,
        conversation_id: str | None = None,
    ) -> Conversation:
        """A conversation (a new one, or ``exchanges`` so far under ``conversation_id``); an empty
        ``persona`` means the built-in one."""
        return cls(
            persona=persona.strip() or default_persona(),
            limits=limits or ContextLimits(),
            exchanges=list(exchanges or ()),
            id=conversation_id or new_conversation_id(),
        )

    def request(self, user_text: str, images: tuple[PreparedImage, ...] = ()) -> list[ChatMessage]:
        """The messages for a new user turn: system prompt, as many recent exchanges as fit, the question."""
        system = ChatMessage("system", self.persona)
        question = ChatMessage("user", user_text, images)
        budget = self.limits.prompt_tokens / self.scale - estimate_tokens(system) - estimate_tokens(question)
        kept: list[list[ChatMessage]] = []
        for age, exchange in enumerate(reversed(self.exchanges), start=2):
            pair = self._messages(exchange, with_images=age <= self.limits.images_in_context)
            cost = sum(estimate_tokens(m) for m in pair)
            if cost > budget:
                break
            budget -= cost
            kept.append(pair)
        if budget < 0:
            log.warning("The question alone is larger than llm.num_ctx allows; the model may cut it short")
        left_out = len(self.exchanges) - len(kept)
        if left_out:
            log.info("%d earlier exchange(s) left out to fit llm.num_ctx", left_out)
        return [system, *(m for pair in reversed(kept) for m in pair), question]

    def record(
        self,
        question: str,
        images: tuple[PreparedImage, ...],
        reply: str,
        heard: str | None = None,
        cut_off: bool = False,
        failed: bool = False,
    ) -> None:
        """Keep a turn for the next ones, as ``Exchange.of_turn`` says (``heard`` defaults to ``reply``)."""
        heard = reply if heard is None else heard
        exchange = Exchange.of_turn(question, images, reply, heard, cut_off, failed)
        if exchange is not None:
            self.exchanges.append(exchange)

    def learn(self, messages: list[ChatMessage], counts: TokenCounts) -> None:
        """The model reported ``counts`` for ``messages``: scale later estimates to its tokenizer."""
        estimated = sum(estimate_tokens(m) for m in messages)
        if counts.prompt > 0 and estimated > 0:
            low, high = SCALE_RANGE
            self.scale = min(high, max(low, counts.prompt / estimated))

    @staticmethod
    def _messages(exchange: Exchange, with_images: bool) -> list[ChatMessage]:
        question = exchange.question
        if exchange.images and not with_images:
            question = f"{question}\n{IMAGE_NOTE}"
        images = exchange.images if with_images else ()
        return [ChatMessage("user", question, images), ChatMessage("assistant", exchange.answer)]
