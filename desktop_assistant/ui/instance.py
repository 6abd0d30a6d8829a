"""One running app per user: a lock file that survives crashes, and a local socket for commands.

The first launch takes the ``QLockFile`` (a lock left by a crashed app is stale and taken over) and
listens on a ``QLocalServer``; a later launch, or ``desktop-assistant ptt``, connects, sends one command
line and reads one reply line. Commands: ``show``, ``press``, ``release``, ``toggle``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QCoreApplication, QLockFile, QObject
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from desktop_assistant.config.store import AppPaths
from desktop_assistant.errors import AssistantError

COMMANDS = ("show", "press", "release", "toggle")
REPLY_TIMEOUT_MS = 2000
MAX_LINE = 64


def server_name(paths: AppPaths) -> str:
    """A socket name per configuration folder (so a test home never meets the user's app), short enough for
    the 108-byte limit of Unix socket paths."""
    digest = hashlib.sha256(str(paths.config_dir).encode()).hexdigest()[:16]
    return f"desktop-assistant-{digest}"


def lock_path(paths: AppPaths) -> Path:
    """Where the single-instance lock lives."""
    return paths.data_dir / "app.lock"


class InstanceGuard(QObject):
    """Holds the lock and serves commands; ``handler(command)`` runs on the GUI thread and returns None
    for success or a one-line error."""

    def __init__(self, paths: AppPaths, handler: Callable[[str], str | None]) -> None:
        super().__init__()
        self._paths = paths
        self._handler = handler
        lock_file = lock_path(paths)
        lock_file.parent.mkdir(parents=True, exist_ok=True)
        self._lock = QLockFile(str(lock_file))
        # Staleness by age is off: a lock is stale only when the process that wrote it is gone.
        self._lock.setStaleLockTime(0)
        self._server = QLocalServer(self)
        self._server.newConnection.connect(self._accept)

    def acquire(self) -> bool:
        """Take the lock and start serving; False when another instance holds it."""
        if not self._lock.tryLock(0):
            return False
        name = server_name(self._paths)
        # A socket file left by a crashed app would make listen() fail; we hold the lock, so it is stale.
        QLocalServer.removeServer(name)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not self._server.listen(name):
            self._lock.unlock()
            raise AssistantError(
                QCoreApplication.translate("InstanceGuard", "Cannot open the command socket: {0}").format(
                    self._server.errorString()
                ),
                QCoreApplication.translate("InstanceGuard", "Check the permissions of the temporary folder."),
            )
        return True

    def release(self) -> None:
        """Stop serving and drop the lock."""
        self._server.close()
        if self._lock.isLocked():
            self._lock.unlock()

    def _accept(self) -> None:
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._serve(s))
            socket.disconnected.connect(socket.deleteLater)
            if socket.canReadLine():
                self._serve(socket)

    def _serve(self, socket: QLocalSocket) -> None:
        if not socket.canReadLine():
            if socket.bytesAvailable() > MAX_LINE:
                socket.abort()
            return
        command = bytes(socket.readLine(MAX_LINE).data()).decode("utf-8", "replace").strip()
        error = self._handler(command) if command in COMMANDS else f"unknown command {command!r}"
        reply = "ok\n" if error is None else f"error: {error}\n"
        socket.write(QByteArray(reply.encode("utf-8")))
        socket.flush()
        socket.disconnectFromServer()


def send_command(paths: AppPaths, command: str) -> str | None:
    """Send ``command`` to the running app and return its error line (None for success).

    Raises ``AssistantError`` when no app is running.
    """
    socket = QLocalSocket()
    socket.connectToServer(server_name(paths))
    if not socket.waitForConnected(REPLY_TIMEOUT_MS):
        raise AssistantError(
            QCoreApplication.translate("InstanceGuard", "Desktop Assistant is not running"),
            QCoreApplication.translate("InstanceGuard", "Start it with: desktop-assistant run"),
        )
    socket.write(QByteArray(f"{command}\n".encode()))
    socket.flush()
    reply = b""
    while not reply.endswith(b"\n") and socket.waitForReadyRead(REPLY_TIMEOUT_MS):
        reply += bytes(socket.readAll().data())
    socket.disconnectFromServer()
    text = reply.decode("utf-8", "replace").strip()
    if text == "ok":
        return None
    if not text:
        return QCoreApplication.translate("InstanceGuard", "the app did not answer")
    return text.removeprefix("error: ")
