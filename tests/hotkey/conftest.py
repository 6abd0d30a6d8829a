"""A private X display (Xvfb) for the pynput tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.xserver import XServer, XUnavailable


@pytest.fixture(scope="module")
def x_display() -> Iterator[str]:
    """A private Xvfb as ``DISPLAY`` for the module's tests: key presses made there never reach the
    desktop of whoever runs the tests. Under CI a missing Xvfb fails the tests; elsewhere it skips them."""
    server = XServer()
    try:
        server.start()
    except XUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc), pytrace=False)
        pytest.skip(str(exc))
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("DISPLAY", server.display)
            yield server.display
    finally:
        server.stop()
