"""The desktop app as the benchmark measures it: ``python -m desktop_assistant.ui.app_probe PLAN.json``.

It runs in a process of its own, so its memory is the app's alone: the real window and
``AppController``, the runtime opened by ``RuntimeLoad`` (both models, the speaker from the settings,
the history in the plan's folder), with one difference: the microphone hears the plan's clips (a
``ClipSource`` in real time) instead of a device. Each turn holds the key through ``controller.command``
(as ``desktop-assistant ptt`` does) while a clip plays, lets go half a second after it, and lets the
reply play out. It prints one JSON object: the resident memory idle (models loaded, window shown) and
at the peak of the turns, and each turn's timings and the speaker's output latency.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from desktop_assistant.app import Context, Runtime, RuntimeHistory, RuntimeLoad
from desktop_assistant.audio.capture import Microphone
from desktop_assistant.audio.sources import ClipSource
from desktop_assistant.config.settings import Settings
from desktop_assistant.config.store import AppPaths
from desktop_assistant.core.events import Event, EventSink, TurnEnded
from desktop_assistant.errors import AssistantError
from desktop_assistant.ui.controller import AppController, AppServices
from desktop_assistant.ui.main_window import MainWindow
from desktop_assistant.ui.settings_services import AppSettingsServices

# As a person lets go a moment after the last word.
RELEASE_AFTER_S = 0.5
# Memory is read this often during the turns.
SAMPLE_S = 0.02
LOAD_TIMEOUT_S = 300.0
TURN_TIMEOUT_S = 120.0


def resident_mb() -> float:
    """This process's resident memory now (Linux ``/proc``), in MB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


class Probe:
    """What the probe sees of the app: the runtime it loaded and the turns that ended."""

    def __init__(self, source: ClipSource) -> None:
        self.source = source
        self.runtime: Runtime | None = None
        self.ended: list[TurnEnded] = []
        self.peak_mb = 0.0
        self._sampling = threading.Event()

    def open_runtime(self, context: Context, sink: EventSink, history: RuntimeHistory | None) -> RuntimeLoad:
        """The app's own ``RuntimeLoad``, with this probe's microphone and an eye on the events."""
        microphone = Microphone(source=self.source)

        def open_microphone(device: str, notices: list[AssistantError]) -> Microphone:
            microphone.start()
            return microphone

        def seen(event: Event) -> None:
            if isinstance(event, TurnEnded):
                self.ended.append(event)
            sink(event)

        probe = self

        class Load(RuntimeLoad):
            def run(self) -> Runtime:
                probe.runtime = super().run()
                return probe.runtime

        return Load(context, seen, history, open_microphone)

    def sample(self) -> None:
        """Keep the peak resident memory until ``stop_sampling``."""
        self._sampling.set()
        while self._sampling.is_set():
            self.peak_mb = max(self.peak_mb, resident_mb())
            time.sleep(SAMPLE_S)

    def stop_sampling(self) -> None:
        self._sampling.clear()


def run(plan: dict[str, Any]) -> dict[str, Any]:
    """Load the app, run the plan's turns, and return the figures."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    work = Path(plan["folder"])
    paths = AppPaths(work / "config", work / "data", Path(plan["models_dir"]), work / "logs")
    settings, _ = Settings.from_mapping(plan["settings"])
    clips = [np.load(path) for path in plan["clips"]]
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    probe = Probe(ClipSource(np.zeros(0, np.float32)))
    window = MainWindow(settings.llm.max_image_side)
    services = AppServices(probe.open_runtime, AppSettingsServices, lambda ui, on_error: None)
    controller = AppController(Context(paths, settings), window, None, services)
    window.show()
    controller.start()
    try:
        _spin(lambda: window.talk_button.isEnabled(), LOAD_TIMEOUT_S, "the models to load")
        _spin(lambda: False, 2.0, "")  # the window settles, as it does before a first question
        idle_mb = resident_mb()
        sampler = threading.Thread(target=probe.sample, name="probe-memory", daemon=True)
        sampler.start()
        for clip in clips * plan["turns"]:
            _turn(controller, probe, clip, len(probe.ended) + 1)
        probe.stop_sampling()
        sampler.join()
        runtime = probe.runtime
        assert runtime is not None
        return {
            "idle_rss_mb": round(idle_mb, 1),
            "turn_peak_rss_mb": round(probe.peak_mb, 1),
            "latency_ms": round(runtime.player.latency_s * 1000, 1),
            "turns": [event.timings_ms for event in probe.ended],
            "errors": [event.error for event in probe.ended if event.error],
        }
    finally:
        probe.stop_sampling()
        controller.shutdown()
        window.close()


def _turn(controller: AppController, probe: Probe, clip: np.ndarray, count: int) -> None:
    controller.command("press")
    probe.source.say(np.concatenate([clip, np.zeros(int(RELEASE_AFTER_S * 16_000), np.float32)]))
    _spin(probe.source.clip_done.is_set, TURN_TIMEOUT_S, "the question to be spoken")
    controller.command("release")
    _spin(lambda: len(probe.ended) >= count, TURN_TIMEOUT_S, "the reply to play out")


def _spin(done: Any, timeout: float, what: str) -> None:
    """Run the GUI loop until ``done()``; ``AssistantError`` naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    loop = QEventLoop()
    while not done():
        if time.monotonic() > deadline:
            if what:
                raise AssistantError(f"The app benchmark timed out waiting for {what}", "See the log file.")
            return
        QTimer.singleShot(10, loop.quit)
        loop.exec()


def main(argv: list[str]) -> int:
    """Run the plan in ``argv[0]`` and print the figures as one JSON line."""
    plan = json.loads(Path(argv[0]).read_text())
    try:
        figures = run(plan)
    except AssistantError as exc:
        figures = {"error": exc.line()}
    print(json.dumps(figures), flush=True)
    return 0 if "error" not in figures else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
