"""pynput picks its backend module by name at run time. The contrib hook finds them by importing
pynput, which fails where no X display is open (a build machine, CI): name them instead."""

import sys

_BACKENDS = {
    "linux": [
        "keyboard._xorg",
        "mouse._xorg",
        "_util.xorg",
        "_util.xorg_keysyms",
        "keyboard._uinput",
        "_util.uinput",
    ],
    "darwin": ["keyboard._darwin", "mouse._darwin", "_util.darwin", "_util.darwin_vks"],
    "win32": ["keyboard._win32", "mouse._win32", "_util.win32", "_util.win32_vks"],
}
hiddenimports = [f"pynput.{name}" for name in _BACKENDS.get(sys.platform, [])]
