"""The pynput tests run on the session's private Xvfb."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.xserver import XServer


@pytest.fixture(scope="module")
def x_display(xserver: XServer) -> Iterator[str]:
    """The private Xvfb as ``DISPLAY`` for the module's tests."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DISPLAY", xserver.display)
        yield xserver.display
