"""``desktop-assistant run`` (the tray app, the default) and ``desktop-assistant ptt``, which drives it.

Qt is imported only when one of these runs, so the headless commands start without it.
"""

from __future__ import annotations

import argparse

from desktop_assistant.config.store import AppPaths
from desktop_assistant.errors import AssistantError

PTT_ACTIONS = ("press", "release", "toggle")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``run`` and ``ptt`` commands."""
    subparsers.add_parser("run", help="the tray app (the default)").set_defaults(func=run_app)
    ptt = subparsers.add_parser(
        "ptt",
        help="push-to-talk in the running app (for compositor key bindings)",
        description=(
            "Drive push-to-talk in the running app: bind 'ptt press' to a key's press and 'ptt release' to "
            "its release (Sway: bindsym --release; Hyprland: bindr), or 'ptt toggle' to one key."
        ),
    )
    ptt.add_argument("action", choices=PTT_ACTIONS)
    ptt.set_defaults(func=run_ptt)


def run_app(args: argparse.Namespace) -> int:
    """Start the desktop app, or show the window of the one already running."""
    from desktop_assistant.ui.app import run_app as start

    return start()


def run_ptt(args: argparse.Namespace) -> int:
    """Send one push-to-talk action to the running app."""
    from desktop_assistant.ui.instance import send_command

    error = send_command(AppPaths.resolve(), args.action)
    if error is not None:
        raise AssistantError(f"The running app refused '{args.action}': {error}")
    return 0
