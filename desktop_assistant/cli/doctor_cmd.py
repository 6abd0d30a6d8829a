"""``desktop-assistant doctor [--json]``: one line per check, ✓ or ✗ with its fix; status 0 when all pass."""

from __future__ import annotations

import argparse
import json
import os

from desktop_assistant.doctor.check import Check, run_checks
from desktop_assistant.doctor.checkup import doctor_probes


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``doctor`` command."""
    parser = subparsers.add_parser(
        "doctor",
        help="check sound, models, Ollama, hotkey, tray, keyring and disk, with the fix for each failure",
        description=(
            "Check everything the assistant needs, one line each: ✓, or ✗ with what to do. "
            "Exit status 0 when every check passes, 1 otherwise."
        ),
    )
    parser.add_argument(
        "--json", action="store_true", help="print a JSON list of {name, ok, detail, fix} instead"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run every check, printing each line as its check finishes (the models take seconds to load)."""
    as_json: bool = args.json
    checks = run_checks(doctor_probes(os.environ), None if as_json else _print_line)
    failed = sum(not check.ok for check in checks)
    if as_json:
        print(json.dumps([check.as_json() for check in checks], ensure_ascii=False, indent=2))
    elif failed:
        print(f"{failed} of {len(checks)} checks failed.")
    else:
        print(f"All {len(checks)} checks passed.")
    return 1 if failed else 0


def _print_line(check: Check) -> None:
    print(check.line(), flush=True)
