"""The onnxruntime session Kokoro runs in, and the fast-convolution copy of an int8 model it may run.

The options were chosen by measurement on a 2-core x86-64 CPU (``benchmarks/README.md``). The copy is
made once, by ``kokoro_graph`` in a child process (its 600 MB peak stays out of the app), beside the
model as ``NAME.fastconv.onnx``, and reused while the model file is the one it was made from.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import platform
import subprocess
import sys
from pathlib import Path

import onnxruntime as ort

from desktop_assistant.errors import first_line

log = logging.getLogger(__name__)

FASTCONV_SUFFIX = ".fastconv.onnx"
# The model metadata entry that names the file a copy was made from (see ``source_stamp``).
STAMP_KEY = "desktop_assistant.fastconv_source"
REWRITE_VERSION = 1
REWRITE_MODULE = "desktop_assistant.tts.kokoro_graph"
REWRITE_TIMEOUT_S = 300
# Where onnxruntime has the NCHWc convolution kernels the copy is for, and where it was measured.
FAST_MACHINES = ("x86_64", "amd64")
_QUANTIZED_CONV = b"ConvInteger"
NODES_SCAN_BYTES = 16 << 20


def session_options() -> ort.SessionOptions:
    """Every graph optimization (the copy's NCHWc kernels need ``ORT_ENABLE_ALL``), sequential
    execution (parallel is twice as slow), one intra-op thread per physical core (onnxruntime's
    default; 1 thread is 1.6-1.7 times slower on 2 cores), the CPU arena on (off, synthesis is slower
    and the process peaks at 1.4 GB) and no memory pattern: Kokoro's shapes change with every text,
    so a pattern is planned and kept per length, 100 MB after 20 syntheses, for no measurable speed."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.enable_cpu_mem_arena = True
    options.enable_mem_pattern = False
    return options


def open_session(model: Path) -> ort.InferenceSession:
    """``model`` in a CPU session with ``session_options``; onnxruntime's own error when it cannot load."""
    session = ort.InferenceSession(str(model), session_options(), providers=["CPUExecutionProvider"])
    release_freed_memory()
    return session


def release_freed_memory() -> None:
    """Hand the heap that loading freed (the model's bytes, replaced weights) back to the system:
    glibc keeps it otherwise: about 15 MB after the int8 model, 50 MB after its fast copy."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def kokoro_session(model: Path, conv_rewrite: str) -> ort.InferenceSession:
    """The session for ``model``: its fast-convolution copy where ``conv_rewrite`` (``tts.conv_rewrite``)
    asks for one and it can be had, else ``model`` itself. A copy that cannot be made or loaded is
    logged and the model is used as it is."""
    wanted = conv_rewrite == "on" or (conv_rewrite == "auto" and platform.machine().lower() in FAST_MACHINES)
    if wanted:
        session = _fast_session(model)
        if session is not None:
            return session
    return open_session(model)


def fastconv_path(model: Path) -> Path:
    """Where the fast-convolution copy of ``model`` is kept."""
    return model.with_name(model.name.removesuffix(".onnx") + FASTCONV_SUFFIX)


def source_stamp(model: Path) -> str:
    """What a copy records of the file it was made from, and of the rewrite that made it."""
    stat = model.stat()
    return f"v{REWRITE_VERSION} {stat.st_size} {stat.st_mtime_ns}"


def has_quantized_convs(model: Path) -> bool:
    """Whether ``model`` has ``ConvInteger`` nodes (an int8 export), by their op name in its bytes: an
    ONNX file stores the graph's nodes before its weights, so its first 16 MB hold every op name."""
    with model.open("rb") as handle:
        return _QUANTIZED_CONV in handle.read(NODES_SCAN_BYTES)


def _fast_session(model: Path) -> ort.InferenceSession | None:
    target = fastconv_path(model)
    stamp = source_stamp(model)
    session = _open_copy(target, stamp)
    if session is not None or not has_quantized_convs(model):
        return session
    if not _make_copy(model, target, stamp):
        return None
    try:
        return open_session(target)
    except Exception as exc:  # onnxruntime raises many types for a bad file
        log.warning("Kokoro runs %s as it is: its fast copy does not load (%s)", model.name, first_line(exc))
        return None


def _open_copy(target: Path, stamp: str) -> ort.InferenceSession | None:
    """The copy at ``target`` when it loads and was made from the model as it is now."""
    if not target.is_file():
        return None
    try:
        session = open_session(target)
    except Exception as exc:  # onnxruntime raises many types for a bad file
        log.warning("%s does not load (%s); making it again", target.name, first_line(exc))
        return None
    if session.get_modelmeta().custom_metadata_map.get(STAMP_KEY) != stamp:
        log.info("%s was made from another model file; making it again", target.name)
        return None
    return session


def _make_copy(model: Path, target: Path, stamp: str) -> bool:
    """Run the rewrite in a child process into a ``.partial`` file, then move it to ``target``."""
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    command = [sys.executable, "-m", REWRITE_MODULE, str(model), str(partial), stamp]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=REWRITE_TIMEOUT_S, check=False)
        if done.returncode == 0:
            partial.replace(target)
            log.info("Made %s, the fast-convolution copy of %s", target.name, model.name)
            return True
        reason = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
    except (OSError, subprocess.SubprocessError) as exc:
        reason = first_line(exc)
    finally:
        partial.unlink(missing_ok=True)
    log.warning("Kokoro runs %s as it is: its convolutions could not be rewritten (%s)", model.name, reason)
    return False
