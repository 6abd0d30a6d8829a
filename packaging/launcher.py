"""The frozen app's entry point (``desktop-assistant.spec``): the command line, and the app's own
child processes, which it starts as ``sys.executable -m desktop_assistant.MODULE ...`` (the Kokoro
rewrite, the self-test's window check): a frozen binary has no ``-m``, so this runs the module."""

from __future__ import annotations

import runpy
import sys


def main() -> int:
    """``desktop-assistant ARGS``, or ``-m desktop_assistant.MODULE ARGS`` run as ``python -m`` would."""
    argv = sys.argv[1:]
    if len(argv) >= 2 and argv[0] == "-m" and argv[1].startswith("desktop_assistant."):
        sys.argv = [argv[1], *argv[2:]]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    from desktop_assistant.__main__ import main as command_line

    return command_line()


if __name__ == "__main__":
    sys.exit(main())
