"""Kokoro's synthesis time and memory per session variant, as reported in benchmarks/README.md.

    python benchmarks/kokoro_cpu.py time MODEL VOICES [--rounds 7]   # all variants in one process
    python benchmarks/kokoro_cpu.py memory MODEL VOICES [--rounds 2] # each variant in a fresh process

``time`` loads every variant, warms each up, then runs the rounds interleaved (variant A's sentences,
B's, ..., then A again) so that the machine's drift falls on all alike; it prints the median and the
min-max of each sentence's synthesis. ``memory`` starts one process per variant and round, and reads
VmRSS after the load and VmRSS and VmHWM (the peak) after five syntheses of each sentence from
/proc/self/status.
MODEL is the int8 model; its fast-convolution copies are made beside it first.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import onnxruntime as ort
from kokoro_onnx import Kokoro

from desktop_assistant.tts import kokoro_session
from desktop_assistant.tts.kokoro_session import fastconv_path, open_session, session_options

SENTENCES = {
    "Sure.": "Sure.",
    "The speaker is": "The speaker is",
    "…John F. Kennedy,": "The speaker is John F. Kennedy,",
    "5 s sentence": "The library opens at nine in the morning and closes at six in the evening, every day.",
}
VOICE = "af_heart"


def _tuned(**changes: object) -> Callable[[Path], ort.InferenceSession]:
    """The tuned session with some options changed."""

    def make(model: Path) -> ort.InferenceSession:
        options = session_options()
        for name, value in changes.items():
            setattr(options, name, value)
        session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        kokoro_session.release_freed_memory()
        return session

    return make


# name -> (which model file, how its session is made)
VARIANTS: dict[str, tuple[str, Callable[[Path], ort.InferenceSession] | None]] = {
    "kokoro-onnx default": ("int8", None),
    "tuned": ("int8", open_session),
    "tuned + rewrite": ("fastconv", open_session),
    "tuned + rewrite of every conv": ("allconv", open_session),
    "tuned, 1 thread": ("int8", _tuned(intra_op_num_threads=1)),
    "tuned, 2 threads set": ("int8", _tuned(intra_op_num_threads=2)),
    "tuned, arena off": ("int8", _tuned(enable_cpu_mem_arena=False)),
    "tuned, memory pattern on": ("int8", _tuned(enable_mem_pattern=True)),
    "tuned, ORT_ENABLE_EXTENDED": (
        "int8",
        _tuned(graph_optimization_level=ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED),
    ),
    "tuned, parallel execution": ("int8", _tuned(execution_mode=ort.ExecutionMode.ORT_PARALLEL)),
    "tuned + rewrite, 1 thread": ("fastconv", _tuned(intra_op_num_threads=1)),
}


def model_files(model: Path) -> dict[str, Path]:
    """The int8 model and its two rewritten copies (made here when missing)."""
    fast = fastconv_path(model)
    every = model.with_name(model.name.removesuffix(".onnx") + ".allconv.onnx")
    if not fast.is_file():
        kokoro_session.kokoro_session(model, "on")
    if not every.is_file():
        script = "import sys, onnx; from desktop_assistant.tts import kokoro_graph as g"
        script += "; m = onnx.load(sys.argv[1]); g.rewrite_convs(m, scope='/'); onnx.save(m, sys.argv[2])"
        subprocess.run([sys.executable, "-c", script, str(model), str(every)], check=True)
    return {"int8": model, "fastconv": fast, "allconv": every}


def load(name: str, files: dict[str, Path], voices: Path) -> Kokoro:
    which, make = VARIANTS[name]
    if make is None:
        return Kokoro(str(files[which]), str(voices))
    return Kokoro.from_session(make(files[which]), str(voices))


def synthesize_ms(kokoro: Kokoro, text: str) -> float:
    start = time.perf_counter()
    kokoro.create(text, voice=VOICE)
    return (time.perf_counter() - start) * 1000


def run_time(files: dict[str, Path], voices: Path, rounds: int) -> None:
    loaded = {name: load(name, files, voices) for name in VARIANTS}
    for kokoro in loaded.values():
        synthesize_ms(kokoro, "Warming up.")
    times: dict[str, dict[str, list[float]]] = {name: {s: [] for s in SENTENCES} for name in VARIANTS}
    for _ in range(rounds):
        for name, kokoro in loaded.items():
            for label, text in SENTENCES.items():
                times[name][label].append(synthesize_ms(kokoro, text))
    print("| variant | " + " | ".join(SENTENCES) + " |")
    print("|---|" + "---|" * len(SENTENCES))
    for name, by_sentence in times.items():
        cells = [f"{statistics.median(v):.0f} ({min(v):.0f}-{max(v):.0f})" for v in by_sentence.values()]
        print(f"| {name} | " + " | ".join(cells) + " |")


def status_mb() -> dict[str, float]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


def measure_one(name: str, files: dict[str, Path], voices: Path) -> None:
    """In a fresh process: load, read the memory, synthesize each sentence five times, read it again."""
    start = time.perf_counter()
    kokoro = load(name, files, voices)
    load_s = time.perf_counter() - start
    after_load = status_mb()["VmRSS"]
    for _ in range(5):
        for text in SENTENCES.values():
            kokoro.create(text, voice=VOICE)
    end = status_mb()
    print(
        json.dumps({"load_s": load_s, "load_mb": after_load, "rss_mb": end["VmRSS"], "peak_mb": end["VmHWM"]})
    )


def run_memory(model: Path, voices: Path, rounds: int) -> None:
    results: dict[str, list[dict[str, float]]] = {name: [] for name in VARIANTS}
    for _ in range(rounds):
        for name in VARIANTS:
            command = [sys.executable, __file__, "one", str(model), str(voices), "--variant", name]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            results[name].append(json.loads(out.splitlines()[-1]))
    print("| variant | load s | RSS after load MB | RSS after 5 x 4 syntheses MB | peak (VmHWM) MB |")
    print("|---|---|---|---|---|")
    for name, runs in results.items():
        cells = [
            _spread([run[key] for run in runs], key) for key in ("load_s", "load_mb", "rss_mb", "peak_mb")
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")


def _spread(values: list[float], key: str) -> str:
    digits = 2 if key == "load_s" else 0
    low, high = min(values), max(values)
    middle = statistics.median(values)
    return (
        f"{middle:.{digits}f}" if low == high else f"{middle:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("time", "memory", "one"))
    parser.add_argument("model", type=Path)
    parser.add_argument("voices", type=Path)
    parser.add_argument("--rounds", type=int, default=0)
    parser.add_argument("--variant", choices=tuple(VARIANTS))
    args = parser.parse_args()
    files = model_files(args.model)
    if args.what == "time":
        run_time(files, args.voices, args.rounds or 7)
    elif args.what == "memory":
        run_memory(args.model, args.voices, args.rounds or 2)
    else:
        measure_one(args.variant, files, args.voices)


if __name__ == "__main__":
    main()
