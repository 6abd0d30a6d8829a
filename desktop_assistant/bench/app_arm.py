"""The benchmark's app arm: the real desktop app in a process of its own (``ui/app_probe.py``), so its
memory and its time to first sound are the app's, not the benchmark's.

The app gets the benchmark's settings (the same models, the loopback model server, a history in a
temporary folder) and hears the same clips through its microphone. Its figures: resident memory idle
and at the peak of the turns, and each turn's time from the release to the first sample handed to the
speaker, plus the speaker's own latency: when it is heard.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from desktop_assistant.app import Context
from desktop_assistant.errors import AssistantError

APP_TIMEOUT_S = 900.0


def app_figures(
    context: Context, server_url: str, model: str, clips: list[npt.NDArray[np.float32]], turns: int
) -> dict[str, Any]:
    """Run the app over ``clips`` (``turns`` times each) and return what its probe printed."""
    settings = context.settings
    settings = replace(
        settings,
        llm=replace(settings.llm, host=server_url, model=model),
        ui=replace(settings.ui, hotkey_backend="ptt"),
    )
    with tempfile.TemporaryDirectory(prefix="bench-app-") as folder:
        work = Path(folder)
        paths = []
        for index, clip in enumerate(clips):
            path = work / f"clip-{index}.npy"
            np.save(path, clip)
            paths.append(str(path))
        plan = {
            "folder": folder,
            "models_dir": str(context.paths.models_dir),
            "settings": settings.to_mapping(),
            "clips": paths,
            "turns": turns,
        }
        (work / "plan.json").write_text(json.dumps(plan))
        done = subprocess.run(
            [sys.executable, "-m", "desktop_assistant.ui.app_probe", str(work / "plan.json")],
            capture_output=True,
            text=True,
            timeout=APP_TIMEOUT_S,
            check=False,
        )
    lines = done.stdout.strip().splitlines()
    figures: dict[str, Any] = json.loads(lines[-1]) if lines else {"error": done.stderr.strip()[-300:]}
    if "error" in figures:
        raise AssistantError(f"The app benchmark failed: {figures['error']}", "See the log file.")
    return figures
