"""``desktop-assistant bench``: time to first audio (TTFA) of the engine against a naive cascade.

Both arms run in one process on the same inputs: the real Whisper and Kokoro models, a loopback
Ollama-API server whose first token comes after 300 ms and then 30 tokens/s, and a 3 s and a 10 s
question. The naive arm transcribes, waits for the whole reply, synthesizes all of it and plays it.
The engine arm "speaks" the clip into a microphone in real time while the key is held, releases,
and the clock runs from the release to the first non-silent sample handed to the speaker. Its turns are
kept in a history in a temporary folder, as the app keeps them (the question is written before the
model is called), without touching the user's own history. The app arm (``bench/app_arm.py``) runs the
real desktop app in a process of its own for its memory and its time to first sound.

With ``llm="builtin"`` the model is the built-in one (``LlamaCppChat``, llama.cpp over the GGUF of
``llm.builtin_model``, or ``gguf``) in this process, competing for the cores with Whisper and Kokoro,
and the app arm's app runs its own; the loopback server then only stands by. Each run also times the
model alone (``bench/model_speed.py``): its first token and tokens per second.
"""

from __future__ import annotations

import math
import os
import platform
import resource
import statistics
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from desktop_assistant.app import Context, build_engine, history_log, load_stages, open_speaker
from desktop_assistant.assets import resource_path
from desktop_assistant.audio.capture import Microphone
from desktop_assistant.audio.files import read_audio
from desktop_assistant.audio.playback import Player
from desktop_assistant.audio.sources import ClipSource
from desktop_assistant.bench.app_arm import app_figures
from desktop_assistant.bench.critical_path import Timings, median_split, overhead_ms
from desktop_assistant.bench.model_speed import model_speed
from desktop_assistant.bench.ollama_api import OllamaTestServer
from desktop_assistant.core.conversation import Conversation
from desktop_assistant.core.engine import Stages
from desktop_assistant.core.events import TurnEndWaiter
from desktop_assistant.errors import AssistantError
from desktop_assistant.llm.ollama_chat import OllamaChat
from desktop_assistant.store.history import HistoryStore
from desktop_assistant.text.spoken import to_spoken

REPLY = (
    "The speaker is John F. Kennedy, at his inauguration in January 1961. "
    "He asks Americans to think about what they can give to their country. "
    "It is one of the most quoted lines of any American president."
)
FIRST_TOKEN_DELAY_S = 0.3
TOKENS_PER_S = 30.0
MODEL = "bench:vision"
CLIPS_S = (3.0, 10.0)
# Barge-in is measured this long after the first audio, while the reply is still playing.
BARGE_IN_AFTER_S = 0.4
TURN_TIMEOUT_S = 120.0
# The speaker takes audio in 10 ms blocks: a reply waits at most one block for the device.
PLAYER_BLOCK_MS = 10


@dataclass(frozen=True)
class Arm:
    """The TTFA (ms) of each turn of one arm, in order; the engine arm also has each turn's timings
    and barge-in."""

    ttfa_ms: list[float]
    timings: list[Timings]
    bargein_ms: list[float]


def run(
    quick: bool, speech: Path | None = None, llm: str = "scripted", gguf: Path | None = None
) -> dict[str, Any]:
    """Run both arms and return the figures (the ``--json`` object); ``llm`` is ``scripted`` (the
    loopback server's scripted reply) or ``builtin`` (the built-in model, from ``gguf`` if given)."""
    turns = 2 if quick else 5
    clips = _clips(speech)
    context = Context.load()
    if llm == "builtin":
        context = _builtin_context(context, gguf)
    with OllamaTestServer(
        reply=REPLY,
        models={MODEL: True},
        first_token_delay_s=FIRST_TOKEN_DELAY_S,
        tokens_per_s=TOKENS_PER_S,
    ) as server:
        loaded = load_stages(context, backend="builtin" if llm == "builtin" else None)
        chat = (
            loaded.chat
            if llm == "builtin"
            else OllamaChat(replace(context.settings.llm, host=server.url), MODEL)
        )
        stages = Stages(loaded.transcriber, chat, loaded.synthesizer)
        player, no_speaker = open_speaker("", stages.synthesizer.sample_rate, PLAYER_BLOCK_MS)
        device = "PortAudio default output" if no_speaker is None else "real-time sink (no audio device)"
        try:
            chat.load()  # a model not at hand fails here, in one line, before any turn
            engine = _engine_arm(context, stages, player, clips, turns)
            naive = _naive_arm(stages, player, clips, turns)
            # Qt only once it is asked for: the turn arms run without it.
            from desktop_assistant.ui.stall_turns import gui_stall_ms

            stall_ms = gui_stall_ms(context, stages, player, clips)
            speed = model_speed(chat)
        finally:
            player.close()
            chat.close()
        app = app_figures(context, server.url, MODEL, clips, 1 if quick else 2)
    warm = engine.ttfa_ms[1:] or engine.ttfa_ms
    # The app's turns: heard once the speaker's latency has passed after the first sample handed to it.
    app_turns = app["turns"]
    heard = [float(t["first_audio"] or 0.0) + app["latency_ms"] for t in app_turns]
    return {
        "ttfa_ms_p50": _pct(engine.ttfa_ms, 50),
        "ttfa_ms_p90": _pct(engine.ttfa_ms, 90),
        "naive_ttfa_ms_p50": _pct(naive.ttfa_ms, 50),
        "ratio": round(_pct(engine.ttfa_ms, 50) / _pct(naive.ttfa_ms, 50), 3),
        "overhead_ms_p90": _pct([overhead_ms(t) for t in engine.timings], 90),
        "split_ms_p50": median_split(engine.timings),
        "early_reply_kept": f"{_kept(engine.timings)}/{len(engine.timings)}",
        "bargein_ms_p90": _pct(engine.bargein_ms, 90),
        "gui_stall_ms_max": stall_ms,
        "cold_warm_ratio": round(engine.ttfa_ms[0] / statistics.median(warm), 3),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "app_heard_ms_p50": _pct(heard, 50),
        "app_heard_ms_p90": _pct(heard, 90),
        "app_split_ms_p50": median_split(app_turns),
        "app_early_reply_kept": f"{_kept(app_turns)}/{len(app_turns)}",
        "app_speaker_latency_ms": app["latency_ms"],
        "app_idle_rss_mb": app["idle_rss_mb"],
        "app_turn_peak_rss_mb": app["turn_peak_rss_mb"],
        "llm": llm,
        "llm_model": chat.model,
        **speed,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {device}",
        "turns": len(engine.ttfa_ms),
        "clips_s": [round(len(c) / 16_000, 1) for c in clips],
    }


def _builtin_context(context: Context, gguf: Path | None) -> Context:
    """``context`` with the built-in model answering: ``gguf`` where given, else ``llm.builtin_model``."""
    llm = replace(context.settings.llm, backend="builtin")
    if gguf is not None:
        llm = replace(llm, builtin_model=str(gguf.resolve()))
    return replace(context, settings=replace(context.settings, llm=llm))


def _engine_arm(
    context: Context, stages: Stages, player: Player, clips: list[npt.NDArray[np.float32]], turns: int
) -> Arm:
    arm = Arm([], [], [])
    with tempfile.TemporaryDirectory(prefix="bench-history-") as folder:
        store = HistoryStore(Path(folder))
        try:
            for turn in range(turns):
                for index, clip in enumerate(clips):
                    warm_up = turn == index == 0
                    timings, bargein_ms = _engine_turn(context, stages, player, store, clip, warm_up)
                    arm.ttfa_ms.append(float(timings["first_audio"] or 0.0))
                    arm.timings.append(timings)
                    arm.bargein_ms.append(bargein_ms)
        finally:
            store.close()
    return arm


def _engine_turn(
    context: Context,
    stages: Stages,
    player: Player,
    store: HistoryStore,
    clip: npt.NDArray[np.float32],
    warm_up: bool,
) -> tuple[dict[str, float | None], float]:
    """One held-key turn: the clip is spoken into the microphone in real time, then the key goes up; a
    moment into the reply the key goes down again (barge-in). Returns the timings and barge-in ms."""
    source = ClipSource(np.concatenate([clip, np.zeros(8_000, np.float32)]))
    microphone = Microphone(source=source)
    waiter = TurnEndWaiter()
    turn_log = history_log(context, stages, store)
    engine = build_engine(context, stages, player, waiter, microphone, turn_log)
    if warm_up:
        engine.warm_up()
    turn_log.start()
    engine.start()
    microphone.start()
    try:
        turn = engine.press()
        assert turn is not None
        source.clip_done.wait(TURN_TIMEOUT_S)
        engine.release()
        _wait(lambda: player.first_sound_at(turn.id))
        time.sleep(BARGE_IN_AFTER_S)  # let the reply play a little before the barge-in
        pressed = time.perf_counter()
        engine.cancel()
        silent = _wait(lambda: player.silent_since(pressed))
        ended = waiter.wait(TURN_TIMEOUT_S)
    finally:
        engine.close()
        turn_log.close()
        microphone.close()
    if ended is None or ended.timings_ms["first_audio"] is None:
        raise AssistantError("A benchmark turn gave no audio", "See the log file.")
    return ended.timings_ms, round((silent - pressed) * 1000, 1)


def _naive_arm(stages: Stages, player: Player, clips: list[npt.NDArray[np.float32]], turns: int) -> Arm:
    conversation = Conversation.with_persona("")
    assert stages.transcriber is not None
    arm = Arm([], [], [])
    for turn in range(turns):
        for index, clip in enumerate(clips):
            released = time.perf_counter()
            text = stages.transcriber.transcribe(clip).text
            reply = "".join(stages.chat.stream_reply(conversation.request(text)))
            audio = stages.synthesizer.synthesize(to_spoken(reply))
            tag = f"naive-{turn}-{index}"
            player.enqueue(audio, tag)
            first = _wait(lambda t=tag: player.first_sound_at(t))
            player.clear()
            arm.ttfa_ms.append(round((first - released) * 1000, 1))
    return arm


def _kept(turns: list[Timings]) -> int:
    """How many of ``turns`` kept the reply started while the key was held."""
    return sum(1 for t in turns if t.get("at_speculation_kept") is not None)


def _wait(probe: Any) -> Any:
    """Wait for ``probe()`` to return a value. Polled every 5 ms: the harness watches the speaker from
    outside, as a listener would, rather than adding hooks to the app for it."""
    deadline = time.perf_counter() + TURN_TIMEOUT_S
    while time.perf_counter() < deadline:
        value = probe()
        if value is not None:
            return value
        time.sleep(0.005)
    raise AssistantError("The benchmark timed out waiting for audio", "See the log file.")


def _clips(speech: Path | None) -> list[npt.NDArray[np.float32]]:
    path = speech or resource_path("speech/jfk.flac")
    audio = read_audio(path, 16_000)
    return [audio[: int(seconds * 16_000)] for seconds in CLIPS_S if len(audio) >= seconds * 16_000 * 0.9]


def _pct(values: list[float], pct: int) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)], 1)
