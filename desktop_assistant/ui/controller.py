"""The desktop app's wiring: window, tray, hotkeys and command socket in; engine commands out.

Everything here runs on the GUI thread. The models load on one background thread (the window is usable,
"Loading models…", meanwhile); engine events arrive through the ``EventBridge``; hotkey backends may call
from their own threads and are marshalled through a queued signal. What the controller drives (how to
open the runtime, the settings dialog's services, the hotkey backend) is handed in by the composition
root as ``AppServices``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from desktop_assistant.app import Context, Runtime
from desktop_assistant.config.settings import Settings, UiSettings
from desktop_assistant.config.store import SettingsStore
from desktop_assistant.core.events import Event, ModelChosen, ProblemReported, State, StateChanged, TurnEnded
from desktop_assistant.errors import AssistantError, ModelFileError
from desktop_assistant.fetch.catalog import OLLAMA
from desktop_assistant.hotkey.base import HotkeyBackend, HotkeyError
from desktop_assistant.hotkey.push_to_talk import PushToTalk
from desktop_assistant.setup_needs import SetupNeed
from desktop_assistant.tts.kokoro import KokoroSynthesizer
from desktop_assistant.ui.bridge import EventBridge
from desktop_assistant.ui.current_turn import CurrentTurn
from desktop_assistant.ui.first_run_gate import FirstRunGate
from desktop_assistant.ui.first_run_services import FirstRunServices
from desktop_assistant.ui.history_binding import HistoryBinding
from desktop_assistant.ui.main_window import MainWindow
from desktop_assistant.ui.runtime_loader import OpenRuntime, RuntimeLoader
from desktop_assistant.ui.settings_dialog import SettingsDialog
from desktop_assistant.ui.settings_services import SettingsServices
from desktop_assistant.ui.tray import TrayIcon
from desktop_assistant.ui.turn_view import Retry

log = logging.getLogger(__name__)

# Quitting waits this long, in all, for a load in progress and the engine's stages.
QUIT_S = 2.5


@dataclass(frozen=True)
class AppServices:
    """What the controller is handed: how to open the runtime for the settings (keeping its turns in the
    history given, if any), the settings dialog's services, the hotkey backend for the ``ui``
    settings (None: only ``ptt`` and the window), and the first-run dialog's services (None: no
    first-run dialog, as in the benchmark's app)."""

    open_runtime: OpenRuntime
    settings_services: Callable[[Context, KokoroSynthesizer | None], SettingsServices]
    hotkeys: Callable[[UiSettings, Callable[[HotkeyError], None]], HotkeyBackend | None]
    first_run: Callable[[Context], FirstRunServices] | None = None


class QtCall:
    """A callback scheduled on the GUI thread's event loop; ``cancel()`` before it fires drops it."""

    def __init__(self, parent: QObject, delay_s: float, callback: Callable[[], None]) -> None:
        self._timer = QTimer(parent)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(callback)
        self._timer.timeout.connect(self._timer.deleteLater)  # one timer per hold: gone once it fired
        self._timer.start(int(delay_s * 1000))

    def cancel(self) -> None:
        """Drop the call if it has not fired yet."""
        self._timer.stop()
        self._timer.deleteLater()


class QtScheduler:
    """``PushToTalk``'s scheduler on the GUI thread."""

    def __init__(self, parent: QObject) -> None:
        self._parent = parent

    def call_later(self, delay_s: float, callback: Callable[[], None]) -> QtCall:
        """Run ``callback`` on the GUI thread after ``delay_s``."""
        return QtCall(self._parent, delay_s, callback)


class AppController(QObject):
    """Turns what the user does (hotkey, window, tray, ``ptt``) into engine commands, and engine events
    into what the window and tray show."""

    _hotkey = Signal(str)  # "press" or "release", from a backend's thread

    def __init__(
        self, context: Context, window: MainWindow, tray: TrayIcon | None, services: AppServices
    ) -> None:
        super().__init__()
        self._context = context
        self._services = services
        self._store = SettingsStore(context.paths)
        self._window = window
        self._tray = tray
        self._tray_turn = CurrentTurn()
        self._bridge = EventBridge(self)
        self._bridge.arrived.connect(window.apply)
        self._bridge.arrived.connect(self._observe)
        self._runtime: Runtime | None = None
        self._loader = RuntimeLoader(services.open_runtime, self)
        self._loader.loaded.connect(self._on_loaded)
        self._first_run = FirstRunGate(self._store, window, self)
        self._first_run.closed.connect(self._first_run_closed)
        # A line to show once the models are loaded (what the first-run dialog left for later).
        self._when_ready = ""
        # The engine settings of the runtime loaded (or loading) now.
        self._loaded_settings = self._engine_settings(context.settings)
        self._closing = False
        self._backend: HotkeyBackend | None = None
        self._ptt = self._push_to_talk(context.settings)
        self._dialog: SettingsDialog | None = None
        self._history = HistoryBinding(context, window.history, window.transcript, self._show_error, self)
        self._hotkey.connect(self._on_hotkey)
        window.hold_pressed.connect(lambda: self._ptt.press())
        window.hold_released.connect(lambda: self._ptt.release())
        window.stop_requested.connect(self.stop)
        window.ask_typed.connect(self._ask_typed)
        window.settings_requested.connect(self.open_settings)
        window.retry_requested.connect(self._retry)
        if tray is not None:
            tray.show_requested.connect(self.show_window)
            tray.talk_requested.connect(lambda: self._ptt.toggle())
            tray.stop_requested.connect(self.stop)
            tray.settings_requested.connect(self.open_settings)

    # ----- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Show the last conversation, and start loading the models and listening to the hotkey."""
        self._history.start()
        self._load(self._context, None)
        self._offer_first_run()
        # After the "Loading models…" line, so a hotkey problem stays on screen.
        self._start_hotkeys(self._context.settings)

    def shutdown(self) -> bool:
        """Stop the hotkeys, abandon a load in progress, and close the engine and devices, all within
        about ``QUIT_S``; False when a model still loading or a stage still busy was left behind."""
        self._closing = True
        deadline = time.monotonic() + QUIT_S
        self._stop_hotkeys()
        self._first_run.close()
        ended, pending = self._loader.stop(deadline)
        if not ended:
            log.warning("Quitting while the models are still loading")
            return False
        runtimes = [self._runtime, pending]
        self._runtime = None
        self._history.attach(None)
        stopped = True
        for runtime in runtimes:
            if runtime is not None:
                stopped = runtime.close(max(deadline - time.monotonic(), 0.1)) and stopped
        self._history.close()  # after the engines, whose writers may still be finishing a turn
        return stopped

    def command(self, name: str) -> str | None:
        """A command from the local socket (``ptt``, a second launch); None or a one-line error."""
        if name == "show":
            self.show_window()
        elif name == "press":
            self._ptt.press()
        elif name == "release":
            self._ptt.release()
        elif name == "toggle":
            self._ptt.toggle()
        return None

    # ----- what the user asks for ------------------------------------------------------------

    def show_window(self) -> None:
        """Bring the conversation window to the front."""
        self._window.showNormal()
        self._window.raise_()
        self._window.activateWindow()

    def stop(self) -> None:
        """Stop the turn in progress (the Stop button, Escape, the tray)."""
        if self._runtime is not None:
            self._runtime.engine.cancel()

    def open_settings(self) -> None:
        """Show the settings dialog; what it saves applies when it closes."""
        if self._dialog is not None:
            self._dialog.raise_()
            self._dialog.activateWindow()
            return
        synthesizer = self._runtime.stages.synthesizer if self._runtime is not None else None
        kokoro = synthesizer if isinstance(synthesizer, KokoroSynthesizer) else None
        services = self._services.settings_services(self._context, kokoro)
        self._dialog = SettingsDialog(self._store, services, self._window)
        self._dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._dialog.finished.connect(self._settings_closed)
        self._dialog.show()

    # ----- PushToTalk's target ---------------------------------------------------------------

    def start_talking(self) -> None:
        """The key went down: start recording, with the images waiting in the window."""
        if self._runtime is None:
            self._window.show_status(self.tr("Still loading the models; try again in a moment."), error=True)
            return
        images = self._window.pending_images()
        try:
            turn = self._runtime.engine.press(images)
        except AssistantError as exc:
            self._window.show_status(exc.line(), error=True)
            return
        if turn is not None:
            self._window.images_sent(turn.id, images, "spoken")

    def stop_talking(self) -> None:
        """The key went up: the recording is the question."""
        if self._runtime is not None:
            self._runtime.engine.release()

    def drop_talking(self) -> None:
        """A tap, not a hold: throw the recording away (a tap during a reply has already stopped it)."""
        if self._runtime is not None:
            self._runtime.engine.cancel()

    # ----- internals -------------------------------------------------------------------------

    def _ask_typed(self, text: str, images: object) -> None:
        if self._runtime is None:
            self._window.show_status(self.tr("Still loading the models; try again in a moment."), error=True)
            return
        sent = tuple(images) if isinstance(images, tuple) else ()
        turn = self._runtime.engine.ask_text(text, sent)
        self._window.images_sent(turn.id, sent, "typed")

    def _retry(self, retry: Retry) -> None:
        """A failed turn's Retry: the same question and images again, as a new turn."""
        if self._runtime is None:
            self._window.show_status(self.tr("Still loading the models; try again in a moment."), error=True)
            return
        images = tuple(entry.image for entry in retry.images)
        turn = self._runtime.engine.ask_text(retry.question, images, source=retry.source, cues=retry.cues)
        self._window.retried(turn.id, retry.images, retry.source)

    def _load(self, context: Context, old: Runtime | None) -> None:
        """Close ``old`` and open a runtime for ``context`` on a background thread."""
        self._loaded_settings = self._engine_settings(context.settings)
        self._window.set_ready(False, self.tr("Loading models…"))
        self._loader.start(context, self._bridge, self._history.runtime_history(), old)

    def _offer_first_run(self) -> None:
        """Show the first-run dialog if something is missing (checked off the GUI thread)."""
        if self._services.first_run is not None:
            services = self._services.first_run(self._context)
            self._first_run.check(services, self._services.settings_services(self._context, None))

    def _on_loaded(self, result: Runtime | AssistantError) -> None:
        if not self._closing and self._engine_settings(self._context.settings) != self._loaded_settings:
            # The settings changed while these models loaded: load again for the new ones.
            if not isinstance(result, AssistantError):
                result.close()
            self._load(self._context, None)
            return
        if isinstance(result, AssistantError):
            self._window.set_ready(False, result.line())
            self._show_error(result.line())
            if isinstance(result, ModelFileError):
                self._offer_first_run()
            return
        if self._closing:
            result.close()
            return
        self._runtime = result
        self._history.attach(result.engine)
        log.info("Models loaded; ready to talk")
        microphone = result.microphone
        self._window.set_level_source((lambda: microphone.level) if microphone is not None else None)
        self._window.set_ready(True)
        for notice in result.notices:
            self._show_error(notice.line())
        if self._when_ready:
            self._show_error(self._when_ready)
            self._when_ready = ""

    def _first_run_closed(self, missing: list[SetupNeed]) -> None:
        """Load what the dialog installed; Ollama still missing is said once the models are ready (the
        models' own failures are said by the load)."""
        ollama = next((need for need in missing if need.kind == OLLAMA), None)
        self._when_ready = ollama.line() if ollama is not None else ""
        self._apply_settings(reload=self._runtime is None)
        if self._when_ready and self._runtime is not None and not self._loader.busy:
            self._show_error(self._when_ready)
            self._when_ready = ""

    def _settings_closed(self) -> None:
        self._dialog = None
        self._apply_settings(reload=False)

    def _apply_settings(self, reload: bool) -> None:
        """Re-read the settings file (a dialog changed it) and reload the models if engine settings
        changed, or if ``reload`` (the last load failed and the first-run dialog may have fixed it)."""
        try:
            settings = self._store.load()
        except AssistantError as exc:
            self._show_error(exc.line())
            return
        old = self._context.settings
        if settings != old:
            self._context = Context(self._context.paths, settings)
            self._history.apply_settings(self._context)
        # Everything in [ui] but start_at_login (a file outside the app) is how the hotkey works.
        if replace(settings.ui, start_at_login=old.ui.start_at_login) != old.ui:
            self._stop_hotkeys()
            self._ptt = self._push_to_talk(settings)
            self._start_hotkeys(settings)
        changed = self._engine_settings(settings) != self._loaded_settings
        if (changed or reload) and not self._loader.busy and not self._closing:
            runtime, self._runtime = self._runtime, None
            self._history.attach(None)
            self._load(self._context, runtime)

    @staticmethod
    def _engine_settings(settings: Settings) -> tuple[object, ...]:
        return (settings.audio, settings.stt, settings.llm, settings.tts, settings.text, settings.history)

    def _push_to_talk(self, settings: Settings) -> PushToTalk:
        ui = settings.ui
        return PushToTalk(self, ui.min_press_ms / 1000, ui.max_hold_s, QtScheduler(self))

    def _start_hotkeys(self, settings: Settings) -> None:
        if settings.ui.hotkey_backend == "ptt":
            hint = self.tr(
                "Bind a key to 'desktop-assistant ptt press' and 'ptt release'; hold it and speak."
            )
        else:
            hint = self.tr("Hold {keys} and speak; let go when you are done.").format(keys=settings.ui.hotkey)
        self._window.set_hint(hint)
        try:
            self._backend = self._services.hotkeys(settings.ui, self._hotkey_failed)
            if self._backend is not None:
                self._backend.start(lambda: self._hotkey.emit("press"), lambda: self._hotkey.emit("release"))
        except HotkeyError as exc:
            self._backend = None
            self._show_error(exc.line())

    def _stop_hotkeys(self) -> None:
        if self._backend is not None:
            self._backend.stop()
            self._backend = None

    def _hotkey_failed(self, error: HotkeyError) -> None:
        """The backend stopped after it started (the portal session was declined or lost)."""
        self._backend = None
        self._show_error(error.line())

    def _on_hotkey(self, what: str) -> None:
        if what == "press":
            self._ptt.press()
        else:
            self._ptt.release()

    def _observe(self, event: Event) -> None:
        if isinstance(event, TurnEnded):
            how = "interrupted" if event.interrupted else event.error or "answered"
            log.info("Turn ended (%s): first audio %s ms", how, event.timings_ms.get("first_audio"))
        elif isinstance(event, ProblemReported):
            log.warning("%s", event.line)
        if self._tray is None or not self._tray_turn.admit(event):
            return
        if isinstance(event, StateChanged):
            self._tray.set_state(event.state)
        elif isinstance(event, ModelChosen):
            self._tray.set_answerer(event.model, event.backend)
        elif isinstance(event, TurnEnded) and event.error is not None:
            self._tray.set_state(State.IDLE, event.error)
            self._notify_hidden(event.error)
        elif isinstance(event, ProblemReported):
            self._notify_hidden(event.line)

    def _notify_hidden(self, line: str) -> None:
        """A desktop notification for ``line`` when the window is not there to show it."""
        if self._tray is not None and not self._window.isVisible():
            self._tray.notify(self.tr("Desktop Assistant"), line)

    def _show_error(self, line: str) -> None:
        log.warning("%s", line)
        self._window.show_status(line, error=True)
        self._notify_hidden(line)
