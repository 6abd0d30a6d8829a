"""The conversation window: the transcript, a question box, hold-to-talk, Stop and pending images.

It knows nothing of the engine: it shows the events it is given (``apply``) and emits what the user
asks for. It never does model or network work; images are prepared on the tray's worker thread.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import QHBoxLayout, QMainWindow, QPushButton, QSplitter, QVBoxLayout, QWidget

from desktop_assistant.core.events import (
    Event,
    GuardApplied,
    ModelChosen,
    ProblemReported,
    ReplyDelta,
    State,
    StateChanged,
    TranscriptReady,
    TurnEnded,
)
from desktop_assistant.llm.base import PreparedImage
from desktop_assistant.ui.answered_by import answered_by
from desktop_assistant.ui.compose_box import ComposeBox
from desktop_assistant.ui.current_turn import CurrentTurn
from desktop_assistant.ui.history_panel import HistoryPanel
from desktop_assistant.ui.hold_button import HoldButton
from desktop_assistant.ui.image_tray import ImageTray, PendingImage, carries_images
from desktop_assistant.ui.status_line import StatusLine
from desktop_assistant.ui.transcript_view import TranscriptView


class MainWindow(QMainWindow):
    """The conversation window.

    The app feeds engine events to ``apply`` and answers the signals: ``ask_typed(text, images)``,
    ``hold_pressed``/``hold_released``, ``stop_requested``, ``settings_requested`` and
    ``retry_requested(Retry)``. Images the app sends with a turn (``images_sent``) stay pending until that
    turn's transcript arrives. ``history`` is the conversation list beside the transcript.
    """

    ask_typed = Signal(str, object)
    hold_pressed = Signal()
    hold_released = Signal()
    stop_requested = Signal()
    settings_requested = Signal()
    retry_requested = Signal(object)

    def __init__(self, max_image_side: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hide_on_close = False
        self._turns = CurrentTurn()
        # How each live turn was asked ("typed" or "spoken"), and a retried turn's images, until it ends.
        self._sources: dict[str, str] = {}
        self._resent: dict[str, tuple[PendingImage, ...]] = {}
        self._ready = False
        self._state = State.IDLE
        # The model that answers the current turn, as the status line names it while it thinks and speaks.
        self._answerer = ""
        self._talk_text = self.tr("Hold to talk")
        self._state_texts = {
            State.IDLE: self.tr("Ready"),  # shown as "Not ready" until set_ready(True)
            State.RECORDING: self.tr("Listening…"),
            State.TRANSCRIBING: self.tr("Transcribing…"),
            State.THINKING: self.tr("Thinking…"),
            State.SPEAKING: self.tr("Speaking…"),
        }
        self.setWindowTitle(self.tr("Desktop Assistant"))
        self.setAcceptDrops(True)
        self.transcript = TranscriptView(self)
        self.history = HistoryPanel(self)
        self.status_line = StatusLine(self)
        self.compose = ComposeBox(self)
        self.send_button = self._button(self.tr("Send"), self.tr("Send the typed question"))
        self.talk_button = HoldButton(self._talk_text, self)
        self.talk_button.setAccessibleName(self.tr("Hold to talk"))
        self.talk_button.setToolTip(self.tr("Hold with the mouse or the Space key while you speak"))
        self.stop_button = self._button(self.tr("Stop"), self.tr("Stop the answer (Esc)"))
        self.tray = ImageTray(max_image_side, self)
        self.settings_button = self._button(self.tr("Settings…"), self.tr("Open the settings (Ctrl+,)"))
        self._lay_out()
        self._connect()
        self.set_ready(False, self.tr("Starting…"))

    # ----- the app's side -----------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        """Show one engine event (a slot for ``EventBridge.arrived``). Only the current turn changes the
        window's state; a late end of an older turn still closes that turn's entry."""
        previous = self._turns.turn_id
        current = self._turns.admit(event)
        if isinstance(event, TurnEnded):
            self.tray.forget(event.turn_id)
            self._resent.pop(event.turn_id, None)
            self.transcript.end_turn(event, self._sources.pop(event.turn_id, "spoken"))
            if current and event.error:
                self.status_line.show_message(event.error, error=True)
            return
        if not current:
            return
        if event.turn_id != previous:
            self.status_line.clear_message()  # a new turn: the last turn's problem is over
            self._answerer = ""
        if isinstance(event, StateChanged):
            self._apply_state(event.state)
        elif isinstance(event, TranscriptReady):
            images = self.tray.take_sent(event.turn_id) + self._resent.pop(event.turn_id, ())
            self.transcript.add_question(event.turn_id, event.text, images, event.cues)
        elif isinstance(event, ReplyDelta):
            self.transcript.append_reply(event.turn_id, event.text)
        elif isinstance(event, GuardApplied):
            self.transcript.mark_guarded(event.turn_id, event.action)
        elif isinstance(event, ProblemReported):
            self.status_line.show_message(event.line, error=True)
        elif isinstance(event, ModelChosen):
            self._answerer = answered_by(event.model, event.backend)
            self._apply_state(self._state)

    def pending_images(self) -> tuple[PreparedImage, ...]:
        """The images waiting to go with the next question."""
        return self.tray.pending()

    def images_sent(self, turn_id: str, images: Sequence[PreparedImage], source: str = "spoken") -> None:
        """``images`` went with turn ``turn_id``, asked as ``source``: they leave the tray when its
        transcript is shown."""
        self._sources[turn_id] = source
        if self.transcript.turn(turn_id) is None:
            self.tray.mark_sent(turn_id, images)
        else:
            # A typed turn's transcript can arrive before the app reports its images.
            self.transcript.add_images(turn_id, self.tray.take(images))

    def retried(self, turn_id: str, images: Sequence[PendingImage], source: str) -> None:
        """Turn ``turn_id`` asks a failed question again, as ``source``, with ``images`` (not the tray's)."""
        self._sources[turn_id] = source
        if self.transcript.turn(turn_id) is None:
            self._resent[turn_id] = tuple(images)
        else:
            self.transcript.add_images(turn_id, images)

    def show_status(self, line: str, error: bool = False) -> None:
        """Show a line not tied to a turn; an error stays until the next turn starts or is dismissed."""
        self.status_line.show_message(line, error)

    def set_level_source(self, source: Callable[[], float] | None) -> None:
        """The microphone's RMS level (0..1), sampled by the meter while recording."""
        self.status_line.meter.set_source(source)

    def set_ready(self, ready: bool, line: str = "") -> None:
        """Enable talking and sending once the models are loaded; ``line`` says what is going on."""
        self._ready = ready
        self.send_button.setEnabled(ready)
        self.talk_button.setEnabled(ready)
        self._apply_state(self._state)
        if line:
            self.status_line.show_message(line)
        elif ready:
            self.status_line.clear_info()

    def set_hint(self, how_to_talk: str) -> None:
        """What the empty conversation says, starting with ``how_to_talk`` (which key to hold)."""
        self.transcript.hint.setText(
            how_to_talk
            + "\n"
            + self.tr("Or hold the Talk button, or type a question below.")
            + "\n"
            + self.tr("Paste (Ctrl+V) or drop a screenshot to ask about it.")
        )

    def copy_conversation(self) -> None:
        """Put the whole conversation on the clipboard as plain text (Ctrl+Shift+C)."""
        QGuiApplication.clipboard().setText(self.transcript.as_text())
        self.status_line.flash(self.tr("Conversation copied to the clipboard."))

    def shutdown(self) -> None:
        """Stop the image worker and the meter (done on a close that is not a hide)."""
        self.status_line.meter.stop()
        self.tray.shutdown()

    # ----- Qt events ----------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.hide_on_close:
            event.ignore()
            self.hide()
            return
        self.shutdown()
        super().closeEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if carries_images(event.mimeData()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if carries_images(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        if self.tray.add_mime(event.mimeData()):
            event.acceptProposedAction()

    # ----- inside -------------------------------------------------------------------------------

    def _button(self, text: str, tip: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setAccessibleName(text.rstrip("…"))
        button.setToolTip(tip)
        button.setAutoDefault(False)
        return button

    def _lay_out(self) -> None:
        question = QHBoxLayout()
        question.addWidget(self.compose, 1)
        question.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        controls = QHBoxLayout()
        controls.addWidget(self.talk_button)
        controls.addWidget(self.stop_button)
        controls.addWidget(self.tray, 1)
        controls.addWidget(self.settings_button)
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.transcript, 1)
        column.addWidget(self.status_line)
        column.addLayout(question)
        column.addLayout(controls)
        conversation = QWidget(self)
        conversation.setLayout(column)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.history)
        splitter.addWidget(conversation)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([240, 660])
        central = QWidget(self)
        outer = QVBoxLayout(central)
        outer.addWidget(splitter)
        self.setCentralWidget(central)
        chain = (
            self.history.new_button,
            self.history.search,
            self.history.conversations,
            self.compose,
            self.send_button,
            self.talk_button,
            self.stop_button,
            self.tray.add_button,
            self.settings_button,
            self.status_line.dismiss_button,
        )
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)
        self.compose.setFocus()
        self.resize(900, 720)

    def _connect(self) -> None:
        self.compose.submitted.connect(self._send)
        self.compose.images_offered.connect(self.tray.add_mime)
        self.send_button.clicked.connect(self._send)
        self.talk_button.held.connect(self.hold_pressed)
        self.talk_button.let_go.connect(self.hold_released)
        self.stop_button.clicked.connect(self.stop_requested)
        self.settings_button.clicked.connect(self.settings_requested)
        self.tray.failed.connect(self._image_failed)
        self.transcript.retry_requested.connect(self.retry_requested)
        QShortcut(QKeySequence("Ctrl+N"), self).activated.connect(self.history.new_requested)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self).activated.connect(
            self.history.focus_search
        )
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self).activated.connect(self.stop_requested)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Paste), self).activated.connect(self._paste)
        QShortcut(QKeySequence("Ctrl+Shift+C"), self).activated.connect(self.copy_conversation)
        QShortcut(QKeySequence("Ctrl+,"), self).activated.connect(self.settings_requested)

    def _send(self) -> None:
        text = self.compose.toPlainText().strip()
        if text and self.send_button.isEnabled():
            self.ask_typed.emit(text, self.tray.pending())
            self.compose.clear()

    def _paste(self) -> None:
        # Reached only outside the question box, which pastes by itself: text goes into the box.
        mime = QGuiApplication.clipboard().mimeData()
        if mime is not None and not self.tray.add_mime(mime):
            self.compose.setFocus()
            self.compose.paste()

    def _image_failed(self, line: str) -> None:
        self.status_line.show_message(line, error=True)

    def _apply_state(self, state: State) -> None:
        self._state = state
        recording = state is State.RECORDING
        idle_unready = state is State.IDLE and not self._ready
        text = self.tr("Not ready") if idle_unready else self._state_texts[state]
        if self._answerer and state in (State.THINKING, State.SPEAKING):
            text = self.tr("{state} ({model})").format(state=text, model=self._answerer)
        self.status_line.show_state(text)
        self.stop_button.setEnabled(state is not State.IDLE)
        self.talk_button.setText(self._state_texts[state] if recording else self._talk_text)
        if recording:
            self.status_line.meter.start()
        else:
            self.status_line.meter.stop()
