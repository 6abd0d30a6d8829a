"""``desktop-assistant config list | get KEY | set KEY VALUE | path``."""

from __future__ import annotations

import argparse
import json

from desktop_assistant.config.autostart import follow_setting
from desktop_assistant.config.settings import all_keys, parse_value
from desktop_assistant.config.store import AppPaths, SettingsStore


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``config`` command and its sub-commands."""
    parser = subparsers.add_parser(
        "config",
        help="show or change settings",
        description="Show or change settings. Keys are dotted (llm.model); a list is given comma-separated.",
    )
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION", required=True)
    actions.add_parser("list", help="every setting and its value")
    get = actions.add_parser("get", help="the value of one setting")
    get.add_argument("key", metavar="KEY")
    set_ = actions.add_parser("set", help="change one setting")
    set_.add_argument("key", metavar="KEY")
    set_.add_argument("value", metavar="VALUE")
    actions.add_parser("path", help="where settings, data, models and logs live")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Carry out one ``config`` action; errors are raised as ``ConfigError``."""
    paths = AppPaths.resolve()
    store = SettingsStore(paths)
    action: str = args.config_action
    if action == "list":
        settings = store.load()
        for key in all_keys():
            print(f"{key} = {shown(settings.get(key))}")
        for key in store.unknown_keys:
            print(f"{key}  (unknown: kept in the file, ignored)")
    elif action == "get":
        print(plain(store.load().get(args.key)))
    elif action == "set":
        value = parse_value(args.key, args.value)
        store.load()  # a broken settings file is reported before anything outside it changes
        follow_setting(args.key, value)
        settings = store.set(args.key, value)
        print(f"{args.key} = {shown(settings.get(args.key))}")
    else:
        print(f"settings: {paths.config_file}")
        print(f"data: {paths.data_dir}")
        print(f"models: {paths.models_dir}")
        print(f"logs: {paths.log_dir}")
    return 0


def shown(value: object) -> str:
    """A value as ``config list`` shows it: text quoted on one line, a list comma-separated."""
    if isinstance(value, str):
        # JSON quoting keeps an empty value visible and a multi-line persona on one line.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, tuple):
        return ", ".join(value) if value else "(none)"
    return str(value)


def plain(value: object) -> str:
    """A value as ``config get`` prints it: bare text, a list comma-separated, as ``config set`` takes it."""
    if isinstance(value, tuple):
        return ", ".join(value)
    return str(value)
