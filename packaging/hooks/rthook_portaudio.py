"""Runtime hook: sounddevice finds PortAudio with ``ctypes.util.find_library("portaudio")``, which
looks only at the system's libraries; the bundle's own copy (collected by the sounddevice hook into the
top of the bundle) comes first, so the bundle runs where libportaudio2 is not installed."""

import ctypes.util
import os
import sys

_system_find_library = ctypes.util.find_library
_BUNDLED = os.path.join(getattr(sys, "_MEIPASS", ""), "libportaudio.so.2")


def _find_library(name):
    if name == "portaudio" and os.path.isfile(_BUNDLED):
        return _BUNDLED
    return _system_find_library(name)


ctypes.util.find_library = _find_library
