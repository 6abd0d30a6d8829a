"""``desktop-assistant history list | show ID | search TEXT | delete ID|--all | export [ID]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from desktop_assistant.app import Context, open_history
from desktop_assistant.errors import AssistantError, first_line
from desktop_assistant.store.history import DATABASE_NAME, HistoryStore, history_folder
from desktop_assistant.store.history_export import EMPTY_MARKDOWN, as_json, as_markdown, collect, transcript
from desktop_assistant.store.history_files import write_owner_only
from desktop_assistant.store.history_records import MATCH_END, MATCH_START

EMPTY = EMPTY_MARKDOWN.strip()


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``history`` command and its sub-commands."""
    parser = subparsers.add_parser(
        "history",
        help="list, show, search, delete or export past conversations",
        description="The conversations kept in the history (history.enabled).",
    )
    actions = parser.add_subparsers(dest="history_action", metavar="ACTION", required=True)
    actions.add_parser("list", help="every conversation, the most recent first")
    show = actions.add_parser("show", help="one conversation as a transcript")
    show.add_argument("id", metavar="ID")
    search = actions.add_parser("search", help="turns whose question or reply holds every word")
    search.add_argument("text", nargs="+", metavar="TEXT")
    delete = actions.add_parser("delete", help="remove one conversation, or all of them")
    which = delete.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", metavar="ID")
    which.add_argument("--all", action="store_true", help="remove every conversation (asks nothing)")
    export = actions.add_parser("export", help="write one conversation, or all, as Markdown or JSON")
    export.add_argument("id", nargs="?", metavar="ID", help="the conversation (default: all)")
    export.add_argument("--format", choices=("md", "json"), default="md", help="default: md")
    export.add_argument("--out", type=Path, metavar="FILE", help="write to FILE (mode 0600), not stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Carry out one ``history`` action on the history store. With history off, what was kept before
    can still be read, exported and deleted (nothing new is kept)."""
    context = Context.load()
    store = open_history(context)
    if store is None:
        print(
            "History is off (history.enabled = false): new turns are not kept."
            " Turn it on with 'desktop-assistant config set history.enabled true'.",
            file=sys.stderr,
        )
        folder = history_folder(context.paths.data_dir)
        if not (folder / DATABASE_NAME).exists():
            print(EMPTY)
            return 0
        store = HistoryStore(folder)
    action: Callable[[HistoryStore, argparse.Namespace], None] = _ACTIONS[args.history_action]
    try:
        action(store, args)
    finally:
        store.close()
    return 0


def _list(store: HistoryStore, args: argparse.Namespace) -> None:
    conversations = store.conversations()
    if not conversations:
        print(EMPTY)
    for c in conversations:
        turns = f"{c.turn_count} turn{'' if c.turn_count == 1 else 's'}"
        print(f"{c.id}  {_date(c.updated_at)}  {turns:>9}  {c.title}")


def _show(store: HistoryStore, args: argparse.Namespace) -> None:
    (conversation,) = collect(store, args.id)
    print(transcript(conversation), end="")


def _search(store: HistoryStore, args: argparse.Namespace) -> None:
    text = " ".join(args.text)
    hits = store.search(text)
    if not hits:
        print(f"Nothing in the history matches '{text}'.")
    for hit in hits:
        snippet = " ".join(hit.snippet.replace(MATCH_START, "[").replace(MATCH_END, "]").split())
        print(f"{hit.conversation_id}  {_date(hit.created_at)}  {hit.title}")
        print(f"    {snippet}")


def _delete(store: HistoryStore, args: argparse.Namespace) -> None:
    if args.all:
        count = store.delete_all()
        print(f"Deleted {count} conversation{'' if count == 1 else 's'}.")
        return
    store.delete(args.id)
    print(f"Deleted conversation {args.id}.")


def _export(store: HistoryStore, args: argparse.Namespace) -> None:
    conversations = collect(store, args.id)
    text = as_json(conversations) if args.format == "json" else as_markdown(conversations)
    if args.out is None:
        sys.stdout.write(text)
        return
    try:
        # Owner-only: the export holds everything the history does.
        write_owner_only(args.out, text.encode())
    except OSError as exc:
        raise AssistantError(f"Cannot write {args.out}: {first_line(exc)}", "Choose another --out.") from exc
    count = len(conversations)
    print(f"Exported {count} conversation{'' if count == 1 else 's'} to {args.out}.")


_ACTIONS: dict[str, Callable[[HistoryStore, argparse.Namespace], None]] = {
    "list": _list,
    "show": _show,
    "search": _search,
    "delete": _delete,
    "export": _export,
}


def _date(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")
