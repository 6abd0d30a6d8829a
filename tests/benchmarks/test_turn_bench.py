"""``desktop-assistant bench --quick --json``: its shape and sanity, never a speed threshold."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.models_home import speech_file

pytestmark = [pytest.mark.model, pytest.mark.cli]

KEYS = {
    "ttfa_ms_p50",
    "ttfa_ms_p90",
    "naive_ttfa_ms_p50",
    "ratio",
    "overhead_ms_p90",
    "bargein_ms_p90",
    "gui_stall_ms_max",
    "cold_warm_ratio",
    "rss_mb",
    "machine",
    "split_ms_p50",
    "early_reply_kept",
    "app_heard_ms_p50",
    "app_heard_ms_p90",
    "app_split_ms_p50",
    "app_idle_rss_mb",
    "app_turn_peak_rss_mb",
}


def bench(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``desktop-assistant bench ARGS`` in ``home``, with no display and no PulseAudio server."""
    env = {**os.environ, "DESKTOP_ASSISTANT_HOME": str(home)}
    env.pop("PULSE_SERVER", None)
    env.pop("DISPLAY", None)  # the GUI figure is taken on Qt's offscreen platform
    return subprocess.run(
        [sys.executable, "-m", "desktop_assistant", "bench", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )


def test_quick_bench_reports_sane_figures(model_home: Path) -> None:
    proc = bench(model_home, "--quick", "--json", "--speech", str(speech_file()))
    assert proc.returncode == 0, proc.stderr
    figures = json.loads(proc.stdout)
    assert set(figures) >= KEYS
    assert figures["clips_s"] == [3.0, 10.0] and figures["turns"] == 4
    assert 0 < figures["ttfa_ms_p50"] <= figures["ttfa_ms_p90"]
    assert figures["ttfa_ms_p50"] < figures["naive_ttfa_ms_p50"]  # the engine is not slower than the cascade
    assert figures["ratio"] == pytest.approx(figures["ttfa_ms_p50"] / figures["naive_ttfa_ms_p50"], abs=0.01)
    assert 0 <= figures["overhead_ms_p90"] < figures["ttfa_ms_p90"]
    assert 0 <= figures["bargein_ms_p90"] < 1_000
    assert 0 <= figures["gui_stall_ms_max"] < 10_000
    assert figures["cold_warm_ratio"] > 0 and figures["rss_mb"] > 100
    assert "cores" in figures["machine"]
    assert set(figures["split_ms_p50"]) == set(figures["app_split_ms_p50"]) == {"stt", "llm", "tts", "output"}
    kept, turns = map(int, figures["early_reply_kept"].split("/"))
    assert 0 <= kept <= turns == 4
    # The app in a process of its own: both models loaded, the window shown; two turns, one per clip.
    assert 100 < figures["app_idle_rss_mb"] <= figures["app_turn_peak_rss_mb"]
    assert 0 < figures["app_heard_ms_p50"] <= figures["app_heard_ms_p90"]
    assert figures["app_early_reply_kept"].endswith("/2")
