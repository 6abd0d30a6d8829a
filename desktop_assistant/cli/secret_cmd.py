"""``desktop-assistant secret set NAME | delete NAME``: secrets live in the OS keyring only."""

from __future__ import annotations

import argparse
import getpass
import sys

from desktop_assistant.config.secrets import SecretStore


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``secret`` command and its sub-commands."""
    parser = subparsers.add_parser(
        "secret",
        help="store or delete a secret in the OS keyring",
        description="Store or delete a secret (such as an API key) in the OS keyring, never in a file.",
    )
    actions = parser.add_subparsers(dest="secret_action", metavar="ACTION", required=True)
    set_ = actions.add_parser(
        "set", help="store a secret read from standard input (prompted for, unechoed, on a terminal)"
    )
    set_.add_argument("name", metavar="NAME")
    delete = actions.add_parser("delete", help="delete a stored secret")
    delete.add_argument("name", metavar="NAME")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Carry out one ``secret`` action; errors are raised as ``SecretStoreError``."""
    store = SecretStore()
    name: str = args.name
    if args.secret_action == "set":
        store.set(name, _read_value(name))
        print(f"Secret '{name}' stored in the keyring.")
    else:
        store.delete(name)
        print(f"Secret '{name}' deleted from the keyring.")
    return 0


def _read_value(name: str) -> str:
    """The secret from standard input, surrounding whitespace (the trailing newline) stripped."""
    if sys.stdin.isatty():
        # At a terminal, prompt without echo so the value never shows on screen or in scrollback.
        try:
            return getpass.getpass(f"Value for '{name}': ").strip()
        except EOFError:
            return ""
    return sys.stdin.read().strip()
