"""``desktop-assistant ask``: one full turn from a file or typed text, headless."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from desktop_assistant.app import Context, build_runner
from desktop_assistant.audio.files import read_audio, write_wav
from desktop_assistant.audio.vad import trim_silence
from desktop_assistant.core.turn_runner import TurnInput, TurnResult
from desktop_assistant.errors import AssistantError, AudioDeviceError, NoSpeechError, first_line
from desktop_assistant.llm.images import prepare_image
from desktop_assistant.stt.base import SAMPLE_RATE


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
        "--out", type=Path, metavar="REPLY.wav", help="write the spoken reply as a 24 kHz WAV"
    )
    parser.add_argument("--play", action="store_true", help="play the spoken reply on the speaker")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check every input before any model loads, run the turn, report it."""
    context = Context.load()
    given = _read_input(args, context)
    runner = build_runner(context, model=args.model, with_stt=given.audio is not None)
    result = runner.run(given)
    if args.out is not None and result.audio.size:
        write_wav(args.out, result.audio, result.sample_rate)
    _report(args, result, model=args.model or context.settings.llm.model)
    if result.error is not None:
        raise result.error
    if args.play:
        _play(result, context.settings.audio.output_device)
    return 0


def _read_input(args: argparse.Namespace, context: Context) -> TurnInput:
    images = tuple(prepare_image(path, context.settings.llm.max_image_side) for path in args.image)
    if args.text is not None:
        if not args.text.strip():
            raise AssistantError("The question is empty", "Type something after --text.")
        return TurnInput(text=args.text.strip(), images=images)
    vad = context.settings.audio
    audio = trim_silence(read_audio(args.audio, SAMPLE_RATE), vad.vad_aggressiveness, vad.speech_padding_ms)
    if audio is None:
        raise NoSpeechError(
            f"No speech detected in {args.audio.name}", "Record the question again, closer to the mic."
        )
    return TurnInput(audio=audio, images=images)


def _report(args: argparse.Namespace, result: TurnResult, model: str) -> None:
    if args.json:
        out: dict[str, Any] = {
            "transcript": result.transcript,
            "reply": result.reply,
            "spoken": result.spoken,
            "audio_out": str(args.out.resolve()) if args.out is not None and result.audio.size else None,
            "model": model,
            "incomplete": result.incomplete,
            "error": result.error.line() if result.error is not None else None,
            "timings_ms": result.timings_ms,
        }
        print(json.dumps(out, ensure_ascii=False))
        return
    if args.audio is not None:
        print(f"You said: {result.transcript}")
    if result.reply:
        print(result.reply + (" [incomplete]" if result.incomplete else ""))
    if args.out is not None and result.audio.size:
        print(f"Reply audio: {args.out}")
    sys.stdout.flush()


def _play(result: TurnResult, device: str) -> None:
    """Play the whole reply and wait for it; the live app streams through the persistent player instead."""
    try:
        import sounddevice  # PortAudio is loaded only when a sound device is really wanted
    except OSError as exc:
        raise AudioDeviceError(
            f"PortAudio is not available ({first_line(exc)})", "Install libportaudio2."
        ) from None
    try:
        sounddevice.play(result.audio, result.sample_rate, device=device or None, blocking=True)
    except (sounddevice.PortAudioError, ValueError) as exc:
        raise AudioDeviceError(
            f"Cannot play the reply ({first_line(exc)})",
            "Check the speaker, set audio.output_device, or use --out to write a WAV instead.",
        ) from None
