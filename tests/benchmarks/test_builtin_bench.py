"""``desktop-assistant bench --llm builtin --quick --json``: the same figures with the built-in model
(the packaged SmolLM2 run by llama.cpp in the bench's process); its shape, never a speed threshold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.benchmarks.test_turn_bench import KEYS, bench
from tests.models_home import speech_file

pytestmark = [pytest.mark.model, pytest.mark.cli]


def test_builtin_bench_reports_the_figures_and_the_models_speed(model_home: Path, smollm2_gguf: Path) -> None:
    speech = str(speech_file())
    proc = bench(
        model_home, "--quick", "--json", "--llm", "builtin", "--gguf", str(smollm2_gguf), "--speech", speech
    )
    assert proc.returncode == 0, proc.stderr
    figures = json.loads(proc.stdout)
    assert set(figures) >= KEYS | {"llm", "llm_model", "llm_first_token_ms", "llm_tokens_per_s"}
    assert (figures["llm"], figures["llm_model"]) == ("builtin", "SmolLM2-135M-Instruct.Q4_1")
    assert figures["turns"] == 4 and figures["clips_s"] == [3.0, 10.0]
    assert 0 < figures["ttfa_ms_p50"] <= figures["ttfa_ms_p90"]
    assert figures["naive_ttfa_ms_p50"] > 0
    assert set(figures["split_ms_p50"]) == set(figures["app_split_ms_p50"]) == {"stt", "llm", "tts", "output"}
    assert figures["llm_first_token_ms"] > 0 and figures["llm_tokens_per_s"] > 0
    assert 0 < figures["app_heard_ms_p50"] <= figures["app_heard_ms_p90"]


def test_gguf_without_the_builtin_model_is_one_line(tmp_path: Path) -> None:
    proc = bench(tmp_path, "--gguf", str(tmp_path / "x.gguf"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "error: --gguf is for the built-in model. Add --llm builtin, or leave --gguf out."
    ]
