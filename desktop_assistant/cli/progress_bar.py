"""Download progress in the terminal: a tqdm bar per file (bytes, rate, time left) on standard error.

Where standard error is not a terminal (a script, CI, ``install.sh`` piped to a log) the bar would be
noise, so each file gets a line when it starts and one when it is done. A file that is already complete
(installed and verified before) gets neither.
"""

from __future__ import annotations

import sys
from typing import TextIO

from tqdm import tqdm

from desktop_assistant.fetch.progress import human_bytes


class TerminalProgress:
    """``fetch.progress.Progress`` on a terminal."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._bar: tqdm[None] | None = None
        self._label = ""
        self._interactive = self._stream.isatty()

    def begin(self, label: str, total_bytes: int, done_bytes: int = 0) -> None:
        """Start a bar for ``label``; the same label again (an Ollama pull finding a layer) resizes it."""
        if label == self._label and self._bar is not None:
            self._bar.total = total_bytes
            self._bar.refresh()
            return
        self.close()
        if total_bytes and done_bytes >= total_bytes:
            return  # already here and verified: nothing to show, the command's summary says so
        self._label = label
        if not self._interactive:
            resumed = f", resuming at {human_bytes(done_bytes)}" if done_bytes else ""
            print(f"Downloading {label} ({human_bytes(total_bytes)}{resumed})…", file=self._stream)
            return
        self._bar = tqdm(
            total=total_bytes,
            initial=done_bytes,
            desc=label,
            unit="B",
            unit_scale=True,
            unit_divisor=1000,
            file=self._stream,
            leave=True,
            dynamic_ncols=True,
        )

    def advance(self, n_bytes: int) -> None:
        """Move the bar on by ``n_bytes``."""
        if self._bar is not None:
            self._bar.update(n_bytes)

    def end(self) -> None:
        """The file is complete: finish its bar (or print the done line)."""
        if self._label and self._bar is None:
            print(f"{self._label}: done", file=self._stream)
        self.close()

    def close(self) -> None:
        """Take the bar off the screen without saying the file is done (a failure or a cancel)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self._label = ""
