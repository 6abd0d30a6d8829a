"""``desktop-assistant history`` end to end: turns kept by real ``ask`` subprocesses, then read back."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from desktop_assistant.bench.ollama_api import OllamaTestServer, RecordedRequest
from desktop_assistant.store.history import HistoryStore, history_folder
from tests.cli.test_ask import one_error_line

pytestmark = [pytest.mark.cli, pytest.mark.model, pytest.mark.ollama]

REPLY = "Paris is the capital of France."
FIRST = "What is the capital of France?"
SECOND = "And what about Spain?"


def cli(home: Path, *args: str | Path, host: str = "http://127.0.0.1:9") -> subprocess.CompletedProcess[str]:
    """Run ``desktop-assistant ARGS`` in ``home`` with stdin closed to input."""
    env = {**os.environ, "DESKTOP_ASSISTANT_HOME": str(home), "OLLAMA_HOST": host}
    return subprocess.run(
        [sys.executable, "-m", "desktop_assistant", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return proc.stdout


def kokoro_loads(home: Path) -> int:
    """How many times the log says Kokoro loaded in ``home``."""
    return sum(log.read_text().count("Kokoro loaded") for log in (home / "logs").iterdir() if log.is_file())


@dataclass(frozen=True)
class Kept:
    """The home the asks below kept their turns in, and what the server and the asks saw."""

    home: Path
    conversation_id: str
    first: dict[str, object]
    second: subprocess.CompletedProcess[str]
    unkept: subprocess.CompletedProcess[str]
    unknown: subprocess.CompletedProcess[str]
    chats: list[RecordedRequest]
    loads_before_unknown: int
    loads_after_unknown: int


@pytest.fixture(scope="module")
def kept(model_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kept]:
    """Four asks in a home of its own (the models shared): a turn, its follow-up with --conversation, a
    turn with --no-history and one naming an unknown conversation."""
    home = tmp_path_factory.mktemp("history-home")
    shutil.copytree(model_home / "config", home / "config")
    (home / "models").symlink_to(model_home / "models")
    with OllamaTestServer(reply=REPLY) as server:
        first = cli(home, "ask", "--text", FIRST, "--json", host=server.url)
        report = json.loads(ok(first))
        conversation_id = report["conversation_id"]
        second = cli(home, "ask", "--text", SECOND, "--conversation", conversation_id, host=server.url)
        unkept = cli(home, "ask", "--text", "A secret question", "--no-history", host=server.url)
        before = kokoro_loads(home)
        unknown = cli(home, "ask", "--text", "Hello", "--conversation", "nope", host=server.url)
        yield Kept(
            home,
            conversation_id,
            report,
            second,
            unkept,
            unknown,
            [chat for chat in server.requests_to("/api/chat") if chat.body.get("messages")],
            before,
            kokoro_loads(home),
        )


def test_ask_says_where_the_turn_is_kept(kept: Kept) -> None:
    assert kept.first["reply"] == REPLY and isinstance(kept.first["turn_id"], str)
    cid = kept.conversation_id
    assert ok(kept.second).splitlines() == [
        REPLY,
        f"Kept in conversation {cid} (continue with --conversation {cid})",
    ]
    assert ok(kept.unkept).splitlines() == [REPLY]


def test_the_follow_up_sent_the_first_exchange(kept: Kept) -> None:
    first, second, _unkept = kept.chats
    assert [m["role"] for m in first.body["messages"]] == ["system", "user"]
    messages = second.body["messages"]
    assert [(m["role"], m["content"]) for m in messages[1:]] == [
        ("user", FIRST),
        ("assistant", REPLY),
        ("user", SECOND),
    ]


def test_an_unknown_conversation_is_one_line_before_any_model_loads(kept: Kept) -> None:
    line = one_error_line(kept.unknown)
    assert "No conversation 'nope' in the history" in line
    assert kept.unknown.stdout == ""
    assert kept.loads_before_unknown == 3
    assert kept.loads_after_unknown == 3


def test_list_show_and_search(kept: Kept) -> None:
    (line,) = ok(cli(kept.home, "history", "list")).splitlines()
    assert line.startswith(kept.conversation_id + "  ")
    assert "2 turns" in line and line.endswith(FIRST)

    shown = ok(cli(kept.home, "history", "show", kept.conversation_id))
    assert shown.startswith(f"# {FIRST}\n")
    assert f"**You** (typed): {FIRST}" in shown and f"**You** (typed): {SECOND}" in shown
    assert shown.count(f"**Assistant:** {REPLY}") == 2
    assert "Timings: " in shown

    found = ok(cli(kept.home, "history", "search", "spain")).splitlines()
    assert found[0].startswith(kept.conversation_id) and found[0].endswith(FIRST)
    assert "[Spain]" in found[1]
    assert ok(cli(kept.home, "history", "search", "secret")) == "Nothing in the history matches 'secret'.\n"


def test_export_as_json_and_markdown(kept: Kept, tmp_path: Path) -> None:
    out = tmp_path / "history.json"
    said = ok(cli(kept.home, "history", "export", kept.conversation_id, "--format", "json", "--out", out))
    assert said == f"Exported 1 conversation to {out}.\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    (conversation,) = json.loads(out.read_text())["conversations"]
    assert conversation["id"] == kept.conversation_id
    turns = conversation["turns"]
    assert [(t["question"], t["reply"], t["source"]) for t in turns] == [
        (FIRST, REPLY, "typed"),
        (SECOND, REPLY, "typed"),
    ]
    assert turns[0]["id"] == kept.first["turn_id"]
    assert all(t["incomplete"] is False and t["error"] is None and t["ended_at"] for t in turns)
    assert turns[0]["models"]["llm"] == "gemma3:4b"

    everything = json.loads(ok(cli(kept.home, "history", "export", "--format", "json")))
    assert [c["id"] for c in everything["conversations"]] == [kept.conversation_id]
    markdown = ok(cli(kept.home, "history", "export", "--format", "md"))
    assert markdown.startswith(f"# {FIRST}\n") and f"**You** (typed): {SECOND}" in markdown


def test_unknown_ids_and_a_bad_out_are_one_line(kept: Kept, tmp_path: Path) -> None:
    assert "No conversation 'nope'" in one_error_line(cli(kept.home, "history", "show", "nope"))
    assert "No conversation 'nope'" in one_error_line(cli(kept.home, "history", "export", "nope"))
    bad = cli(kept.home, "history", "export", "--out", tmp_path / "no" / "such" / "dir.md")
    assert "Cannot write" in one_error_line(bad)


def test_delete_then_the_history_is_empty(kept: Kept) -> None:
    assert ok(cli(kept.home, "history", "delete", kept.conversation_id)) == (
        f"Deleted conversation {kept.conversation_id}.\n"
    )
    assert ok(cli(kept.home, "history", "list")) == "No conversations in the history yet.\n"
    assert "No conversation" in one_error_line(cli(kept.home, "history", "delete", kept.conversation_id))
    assert ok(cli(kept.home, "history", "delete", "--all")) == "Deleted 0 conversations.\n"


def test_history_off_says_so_and_still_reads_what_was_kept(tmp_path: Path) -> None:
    ok(cli(tmp_path, "config", "set", "history.enabled", "false"))
    proc = cli(tmp_path, "history", "list")
    assert proc.returncode == 0
    assert proc.stdout == "No conversations in the history yet.\n"
    assert "History is off" in proc.stderr and "history.enabled" in proc.stderr
    assert not (tmp_path / "data" / "history").exists()
    # Kept while it was on: still listed, and it can be deleted with history off.
    store = HistoryStore(history_folder(tmp_path / "data"))
    store.begin_turn("c0ffee", "t1", "typed", "kept before it was turned off")
    store.close()
    listed = cli(tmp_path, "history", "list")
    assert listed.returncode == 0 and "kept before it was turned off" in listed.stdout
    deleted = cli(tmp_path, "history", "delete", "--all")
    assert deleted.returncode == 0 and deleted.stdout == "Deleted 1 conversation.\n"
