"""The GUI thread's largest stall during full turns: the real conversation window, fed by the bridge.

A held-key turn runs on the engine (the clip spoken into a ``Microphone`` in real time, the key released
on the GUI thread once the clip is over) while the window shows the level meter, the transcript, the
streamed reply and its Markdown; a ``StallMeter`` keeps the GUI thread's worst lateness. Needs a
``QApplication``: the offscreen platform is used when no display is set.
"""

from __future__ import annotations

import os
from functools import partial

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from desktop_assistant.app import Context, build_engine
from desktop_assistant.audio.capture import Microphone
from desktop_assistant.audio.output import AudioOutput
from desktop_assistant.audio.sources import ClipSource
from desktop_assistant.core.engine import Stages
from desktop_assistant.core.events import Event, TurnEnded
from desktop_assistant.errors import AssistantError
from desktop_assistant.ui.bridge import EventBridge
from desktop_assistant.ui.main_window import MainWindow
from desktop_assistant.ui.stall import StallMeter

# After the clip, the key stays down this long (as a person lets go a moment after the last word).
RELEASE_AFTER_S = 0.5
TURN_TIMEOUT_MS = 120_000


def gui_stall_ms(
    context: Context, stages: Stages, output: AudioOutput, clips: list[npt.NDArray[np.float32]]
) -> float:
    """The worst GUI-thread stall in ms over one held-key turn per clip."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # read when the QApplication starts
    app = QApplication.instance() or QApplication([])
    window = MainWindow(context.settings.llm.max_image_side)
    window.set_ready(True)
    window.show()
    bridge = EventBridge()
    bridge.arrived.connect(window.apply)
    meter = StallMeter()
    try:
        for clip in clips:
            source = ClipSource(np.concatenate([clip, np.zeros(8_000, np.float32)]))
            microphone = Microphone(source=source)
            engine = build_engine(context, stages, output, bridge, microphone)
            loop = QEventLoop()
            ended: list[TurnEnded] = []

            def end(event: Event, loop: QEventLoop = loop, ended: list[TurnEnded] = ended) -> None:
                if isinstance(event, TurnEnded):
                    ended.append(event)
                    loop.quit()

            bridge.arrived.connect(end)
            engine.start()
            microphone.start()
            window.set_level_source(partial(getattr, microphone, "level"))
            try:
                meter.start()
                engine.press()
                QTimer.singleShot(int((len(clip) / 16_000 + RELEASE_AFTER_S) * 1000), engine.release)
                QTimer.singleShot(TURN_TIMEOUT_MS, loop.quit)
                loop.exec()
                meter.stop()
            finally:
                bridge.arrived.disconnect(end)
                window.set_level_source(None)
                engine.close()
                microphone.close()
            if not ended or ended[0].error is not None:
                reason = ended[0].error if ended else "no answer in time"
                raise AssistantError(f"A GUI benchmark turn failed: {reason}", "See the log file.")
        return round(meter.worst_ms, 1)
    finally:
        window.close()
        window.deleteLater()
        app.processEvents()
