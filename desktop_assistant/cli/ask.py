"""``desktop-assistant ask``: one full turn from a file or typed text, headless."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from desktop_assistant.app import (
    Context,
    build_engine,
    conversation_for,
    history_log,
    load_stages,
    open_history,
)
from desktop_assistant.audio.files import read_audio, write_wav
from desktop_assistant.audio.output import AudioOutput, CollectingOutput, RecordingOutput
from desktop_assistant.audio.playback import Player
from desktop_assistant.audio.vad import trim_silence
from desktop_assistant.core.conversation import Conversation
from desktop_assistant.core.engine import Stages
from desktop_assistant.core.events import TurnEnded, TurnEndWaiter
from desktop_assistant.errors import AssistantError, NoSpeechError
from desktop_assistant.llm.base import PreparedImage
from desktop_assistant.llm.images import prepare_image
from desktop_assistant.store.history import HistoryStore
from desktop_assistant.stt.base import SAMPLE_RATE

# A new PulseAudio stream takes about 2 s to run steadily; the reply waits for it rather than stutter.
SPEAKER_START_S = 5.0
# The turn's last write may wait out another writer's transaction (the store's busy timeout is 10 s).
HISTORY_CLOSE_S = 15.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``ask`` command."""
    parser = subparsers.add_parser("ask", help="ask one question from an audio file or text")
    given = parser.add_mutually_exclusive_group(required=True)
    given.add_argument("--audio", type=Path, metavar="FILE", help="a WAV, FLAC, MP3 or OGG recording")
    given.add_argument("--text", metavar="TEXT", help="a typed question")
    parser.add_argument(
        "--image",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="an image to ask about (repeatable)",
    )
    parser.add_argument("--model", metavar="NAME", help="the Ollama model (overrides llm.model)")
    parser.add_argument(
        "--backend",
        choices=("auto", "ollama", "builtin"),
        help="who answers: Ollama, the built-in model, or auto (overrides llm.backend)",
    )
    parser.add_argument(
        "--out", type=Path, metavar="REPLY.wav", help="write the spoken reply as a 24 kHz WAV"
    )
    parser.add_argument("--play", action="store_true", help="speak the reply as it is generated")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--conversation", metavar="ID", help="continue a conversation from the history")
    parser.add_argument("--no-history", action="store_true", help="keep nothing of this turn in the history")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check every input before any model loads, run the turn on the engine, report it."""
    context = Context.load()
    given = _read_input(args, context)
    store, conversation = _history(args, context)
    stages = load_stages(context, model=args.model, with_stt=given.audio is not None, backend=args.backend)
    rate = stages.synthesizer.sample_rate
    collected = CollectingOutput(rate)
    speaker = Player(context.settings.audio.output_device, rate) if args.play else None
    if speaker is not None:
        speaker.start()
        speaker.wait_live(SPEAKER_START_S)
    try:
        output: AudioOutput = collected if speaker is None else RecordingOutput(speaker, collected)
        ended = _run_turn(context, stages, output, given, _Kept(store, conversation))
    finally:
        if speaker is not None:
            speaker.close()
        if store is not None:
            store.close()
    audio = collected.audio(ended.turn_id)
    if args.out is not None and audio.size:
        write_wav(args.out, audio, rate)
    kept_in = conversation.id if store is not None else None
    # The model that answered; one the turn never reached (it failed first) is the one that would have.
    answered = (ended.model, ended.backend) if ended.model else (stages.chat.model, stages.chat.backend)
    _report(args, ended, wrote=args.out is not None and audio.size > 0, answered=answered, kept_in=kept_in)
    if ended.error is not None:
        raise AssistantError(ended.error)
    return 0


@dataclass(frozen=True)
class _Given:
    """The question: a trimmed recording or typed text, and its images."""

    audio: npt.NDArray[np.float32] | None
    text: str
    images: tuple[PreparedImage, ...]


@dataclass(frozen=True)
class _Kept:
    """Where the turn is kept: the history (None: nowhere) and the conversation it continues."""

    store: HistoryStore | None
    conversation: Conversation


def _history(args: argparse.Namespace, context: Context) -> tuple[HistoryStore | None, Conversation]:
    """The history to keep the turn in and the conversation it belongs to, checked before models load."""
    store = None if args.no_history else open_history(context)
    if args.conversation is not None and store is None:
        why = "--no-history is given" if args.no_history else "history is off (history.enabled)"
        raise AssistantError(
            f"Cannot continue a conversation: {why}", "Drop --conversation, or turn history on."
        )
    try:
        return store, conversation_for(context, store, args.conversation)
    except AssistantError:
        if store is not None:
            store.close()
        raise


def _run_turn(context: Context, stages: Stages, output: AudioOutput, given: _Given, kept: _Kept) -> TurnEnded:
    """Run one turn on a fresh engine and wait for its end; Ctrl+C cancels it cleanly."""
    waiter = TurnEndWaiter()
    turn_log = None if kept.store is None else history_log(context, stages, kept.store)
    engine = build_engine(context, stages, output, waiter, turn_log=turn_log, conversation=kept.conversation)
    if turn_log is not None:
        turn_log.start()
    engine.start()
    try:
        if given.audio is not None:
            engine.ask_audio(given.audio, given.images)
        else:
            engine.ask_text(given.text, given.images)
        while (ended := waiter.wait(0.5)) is None:
            continue
    finally:
        engine.close()
        if turn_log is not None:
            turn_log.close(HISTORY_CLOSE_S)
    return ended


def _read_input(args: argparse.Namespace, context: Context) -> _Given:
    images = tuple(prepare_image(path, context.settings.llm.max_image_side) for path in args.image)
    if args.text is not None:
        if not args.text.strip():
            raise AssistantError("The question is empty", "Type something after --text.")
        return _Given(None, args.text.strip(), images)
    vad = context.settings.audio
    audio = trim_silence(read_audio(args.audio, SAMPLE_RATE), vad.vad_aggressiveness, vad.speech_padding_ms)
    if audio is None:
        raise NoSpeechError(
            f"No speech detected in {args.audio.name}", "Record the question again, closer to the mic."
        )
    return _Given(audio, "", images)


def _report(
    args: argparse.Namespace, ended: TurnEnded, wrote: bool, answered: tuple[str, str], kept_in: str | None
) -> None:
    if args.json:
        out: dict[str, Any] = {
            "conversation_id": kept_in,
            "turn_id": ended.turn_id,
            "transcript": ended.transcript,
            "voice_cues": ended.voice_cues,
            "reply": ended.reply,
            "spoken": ended.spoken,
            "audio_out": str(args.out.resolve()) if wrote else None,
            "model": answered[0],
            "backend": answered[1],
            "incomplete": ended.incomplete,
            "error": ended.error,
            "timings_ms": ended.timings_ms,
        }
        print(json.dumps(out, ensure_ascii=False))
        return
    if args.audio is not None:
        print(f"You said: {ended.transcript}" + (f" {ended.voice_cues}" if ended.voice_cues else ""))
    if ended.reply:
        print(ended.reply + (" [incomplete]" if ended.incomplete else ""))
    if wrote:
        print(f"Reply audio: {args.out}")
    if kept_in is not None:
        print(f"Kept in conversation {kept_in} (continue with --conversation {kept_in})")
    sys.stdout.flush()
