"""The command line: ``desktop-assistant COMMAND``; every failure is one line on stderr and status 2."""

from __future__ import annotations

import argparse
import logging
import sys
from importlib.metadata import PackageNotFoundError, version

from desktop_assistant.cli import (
    app_cmds,
    ask,
    bench_cmd,
    config_cmd,
    doctor_cmd,
    history_cmd,
    models_cmd,
    secret_cmd,
)
from desktop_assistant.config.logfile import configure_logging
from desktop_assistant.config.store import AppPaths
from desktop_assistant.errors import AssistantError

log = logging.getLogger("desktop_assistant")


def package_version() -> str:
    """The installed version of the package."""
    try:
        return version("desktop-assistant")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The full command-line parser."""
    parser = argparse.ArgumentParser(
        prog="desktop-assistant", description="A private, local push-to-talk voice assistant."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check that this install works (window, audio, models, Ollama client, keyring) and exit 0 or 1",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail to the log file")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (app_cmds, ask, doctor_cmd, history_cmd, models_cmd, config_cmd, secret_cmd, bench_cmd):
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command and return its exit status."""
    args = build_parser().parse_args(argv)
    func = getattr(args, "func", app_cmds.run_app)
    try:
        configure_logging(AppPaths.resolve().log_dir, verbose=args.verbose)
        if args.self_test:
            from desktop_assistant.selftest import run_self_test

            log.info("command: --self-test")
            return run_self_test()
        log.info("command: %s", args.command or "run")
        return int(func(args))
    except AssistantError as exc:
        log.info("failed: %s", exc.line())
        print(f"error: {exc.line()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130


def gui_main() -> None:
    """Entry point of the GUI script."""
    sys.exit(main(["run"]))


if __name__ == "__main__":
    sys.exit(main())
