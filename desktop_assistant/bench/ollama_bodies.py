"""The JSON bodies of Ollama's HTTP API as ``ollama_api.py`` answers them (shapes from Ollama's docs),
and how that server cuts text into tokens."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

MODEL_SIZE = 3_338_801_804
VERSION = "0.11.4"
_TOKEN = re.compile(r"\s*(?:\w+(?:'\w+)*|[^\w\s])|\s+")


def split_tokens(text: str) -> list[str]:
    """Cut ``text`` the way an LLM streams it: words with their leading space, punctuation apart."""
    return _TOKEN.findall(text)


def full_name(name: str) -> str:
    """Ollama's canonical model name: a bare name means its ``latest`` tag."""
    return name if ":" in name else f"{name}:latest"


def prompt_token_count(messages: Sequence[dict[str, Any]]) -> int:
    """The ``prompt_eval_count`` this server reports: each message's tokens as ``split_tokens`` cuts
    them, plus one for its role."""
    return sum(len(split_tokens(str(m.get("content") or ""))) + 1 for m in messages)


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def digest(name: str) -> str:
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()


# The layers a pull fetches, as fractions of MODEL_SIZE: the weights, the projector, the template.
PULL_LAYERS = (("weights", 1.0), ("projector", 0.25), ("template", 0.0001))
# How many progress lines each layer streams after its first (completed = 0).
PULL_STEPS = 4


def pull_lines(name: str) -> list[dict[str, Any]]:
    """The progress lines a pull of ``name`` streams, layer after layer, before "verifying sha256
    digest": each layer's first line brings its ``total``, later ones raise ``completed`` to it."""
    lines: list[dict[str, Any]] = []
    for layer, share in PULL_LAYERS:
        layer_digest = digest(f"{name}/{layer}")
        total = max(int(MODEL_SIZE * share), 1)
        for step in range(PULL_STEPS + 1):
            done = total * step // PULL_STEPS
            status = f"pulling {layer_digest[7:19]}"
            lines.append({"status": status, "digest": layer_digest, "total": total, "completed": done})
    return lines


def details(name: str) -> dict[str, Any]:
    family = name.split(":", 1)[0]
    return {
        "parent_model": "",
        "format": "gguf",
        "family": family,
        "families": [family],
        "parameter_size": "4.3B",
        "quantization_level": "Q4_K_M",
    }


def tag_entry(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "model": name,
        "modified_at": now(),
        "size": MODEL_SIZE,
        "digest": digest(name)[7:],
        "details": details(name),
    }


def show_body(name: str, vision: bool) -> dict[str, Any]:
    family = name.split(":", 1)[0]
    return {
        "license": "",
        "modelfile": f"FROM {name}\n",
        "parameters": "temperature 1",
        "template": "{{ .Prompt }}",
        "details": details(name),
        "model_info": {
            "general.architecture": family,
            "general.parameter_count": 4_300_000_000,
            f"{family}.context_length": 131_072,
        },
        "capabilities": ["completion", "vision"] if vision else ["completion"],
        "modified_at": now(),
    }


def chat_line(
    model: str,
    content: str,
    done: bool = False,
    done_reason: str = "",
    eval_count: int = 0,
    prompt_eval_count: int = 0,
) -> dict[str, Any]:
    """One line of a chat answer; a done line carries the metrics, except a load's (as Ollama's)."""
    line: dict[str, Any] = {
        "model": model,
        "created_at": now(),
        "message": {"role": "assistant", "content": content},
        "done": done,
    }
    if done:
        line["done_reason"] = done_reason or "stop"
    if done and done_reason != "load":
        line |= {
            "total_duration": 1_000_000 * (prompt_eval_count + eval_count + 1),
            "load_duration": 1_000_000,
            "prompt_eval_count": prompt_eval_count,
            "prompt_eval_duration": 1_000_000 * prompt_eval_count,
            "eval_count": eval_count,
            "eval_duration": 1_000_000 * eval_count,
        }
    return line
