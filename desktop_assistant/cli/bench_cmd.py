"""``desktop-assistant bench``: the turn benchmark (code in ``desktop_assistant/bench/``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from desktop_assistant.errors import AssistantError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``bench`` command."""
    parser = subparsers.add_parser("bench", help="time to first audio: the engine against a naive cascade")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="two turns per clip instead of five")
    parser.add_argument(
        "--speech", type=Path, metavar="FILE", help="the recording to cut the 3 s and 10 s questions from"
    )
    parser.add_argument(
        "--llm",
        choices=("scripted", "builtin"),
        default="scripted",
        help="scripted: the loopback server's reply (default); builtin: the built-in model, in this process",
    )
    parser.add_argument(
        "--gguf",
        type=Path,
        metavar="FILE",
        help="with --llm builtin: this GGUF file (default: llm.builtin_model)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the benchmark and print its figures."""
    if args.gguf is not None and args.llm != "builtin":
        raise AssistantError("--gguf is for the built-in model", "Add --llm builtin, or leave --gguf out.")
    from desktop_assistant.bench.turn import run as run_bench  # loads the models: only when asked to

    figures = run_bench(quick=args.quick, speech=args.speech, llm=args.llm, gguf=args.gguf)
    if args.json:
        print(json.dumps(figures))
        return 0
    for key, value in figures.items():
        print(f"{key:<20} {value}")
    return 0
