"""Widgets are tested on Qt's offscreen platform: real widgets, no display needed."""

from __future__ import annotations

import os

# Set before pytest-qt creates the QApplication; the Xvfb tests run the app as a subprocess instead.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
