"""Several writers on one history at once: the app's engine (the real ``Engine`` and ``HistoryLog`` in this
process, typed turns against the loopback Ollama) and ``ask --text`` processes (the real CLI), all
keeping their turns in the same ``history.sqlite3`` while the replies stream slowly."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from desktop_assistant.app import Context, build_engine, history_log
from desktop_assistant.bench.ollama_api import OllamaTestServer
from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.core.engine import Stages
from desktop_assistant.core.events import TurnEnded
from desktop_assistant.llm.ollama_chat import OllamaChat
from desktop_assistant.store.history import HistoryStore, history_folder
from desktop_assistant.store.history_records import TurnRecord
from tests.core.fakes import FakeEars, FakeOutput, FakeVoice, Recorder

pytestmark = [pytest.mark.cli, pytest.mark.model, pytest.mark.ollama]

REPLY = "First, the history keeps this. Then it keeps that, one sentence at a time. Last, it keeps the end."
ASKS = 3
ENGINE_TURNS_AT_LEAST = 3
ENGINE_TURNS_AT_MOST = 40
ASK_TIMEOUT_S = 240.0
TURN_TIMEOUT_S = 30.0


def home_with_models(home: Path, model_home: Path) -> Path:
    """A fresh ``DESKTOP_ASSISTANT_HOME`` with the test models and settings of ``model_home``."""
    (home / "config").mkdir(parents=True)
    shutil.copy(model_home / "config" / "settings.toml", home / "config" / "settings.toml")
    (home / "models").symlink_to(model_home / "models")
    return home


def start_ask(home: Path, host: str, question: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DESKTOP_ASSISTANT_HOME": str(home), "OLLAMA_HOST": host}
    return subprocess.Popen(
        [sys.executable, "-m", "desktop_assistant", "ask", "--text", question, "--json", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )


def overlaps(a: TurnRecord, b: TurnRecord) -> bool:
    assert a.ended_at is not None and b.ended_at is not None
    return a.created_at < b.ended_at and b.created_at < a.ended_at


def test_the_app_and_ask_processes_write_one_history_at_once(
    model_home: Path, ollama_server: OllamaTestServer, tmp_path: Path
) -> None:
    ollama_server.reply = REPLY
    ollama_server.tokens_per_s = 12  # a reply streams for about 2 s, kept at each sentence
    home = home_with_models(tmp_path / "home", model_home)
    paths = AppPaths.resolve({"DESKTOP_ASSISTANT_HOME": str(home)})
    settings = SettingsStore(paths).load()
    context = Context(paths, replace(settings, llm=replace(settings.llm, host=ollama_server.url)))
    store = HistoryStore(history_folder(paths.data_dir))
    chat = OllamaChat(context.settings.llm)
    stages = Stages(FakeEars({0: ""}), chat, FakeVoice())
    turn_log = history_log(context, stages, store)
    recorder = Recorder()
    engine = build_engine(context, stages, FakeOutput(), recorder, turn_log=turn_log)
    turn_log.start()
    engine.start()
    asks: list[subprocess.Popen[str]] = []
    engine_turns: list[TurnEnded] = []
    try:
        # The first engine turn creates the conversation the last ask continues.
        asks += [start_ask(home, ollama_server.url, f"Ask number {n}?") for n in range(ASKS - 1)]
        engine.ask_text("Engine question 0?")
        engine_turns.append(wait_turn(recorder, 1))
        conversation_id = engine.conversation.id
        asks.append(
            start_ask(
                home, ollama_server.url, "Ask in the app's conversation?", "--conversation", conversation_id
            )
        )
        # The engine keeps asking while any ask runs, so their writes overlap.
        while len(engine_turns) < ENGINE_TURNS_AT_LEAST or any(a.poll() is None for a in asks):
            assert len(engine_turns) < ENGINE_TURNS_AT_MOST, "the ask processes never finished"
            engine.ask_text(f"Engine question {len(engine_turns)}?")
            engine_turns.append(wait_turn(recorder, len(engine_turns) + 1))
        reports = []
        for ask in asks:
            out, err = ask.communicate(timeout=ASK_TIMEOUT_S)
            assert ask.returncode == 0, err
            assert "Traceback" not in err
            reports.append(json.loads(out))
    finally:
        for ask in asks:
            if ask.poll() is None:
                ask.kill()
                ask.communicate()
        engine.close()
        assert turn_log.close()
        chat.close()
        store.close()

    assert all(t.reply == REPLY and t.error is None for t in engine_turns)
    reader = HistoryStore(history_folder(paths.data_dir))
    try:
        assert reader.integrity() == "ok"
        summaries = {c.id: c for c in reader.conversations()}
        assert set(summaries) == {
            conversation_id,
            reports[0]["conversation_id"],
            reports[1]["conversation_id"],
        }
        assert reports[2]["conversation_id"] == conversation_id

        every = {t.id: t for c in summaries for t in reader.turns(c)}
        expected = [t.turn_id for t in engine_turns] + [r["turn_id"] for r in reports]
        assert sorted(every) == sorted(expected)  # every turn is there, once
        for turn in every.values():
            assert turn.ended_at is not None and not turn.cut_short, turn
            assert turn.reply == REPLY and turn.spoken == REPLY and turn.heard == REPLY, turn
            assert turn.error is None and not turn.interrupted, turn
            assert turn.source == "typed" and turn.models["llm"] == "gemma3:4b"
            assert turn.timings_ms["total"] is not None
        mine = reader.turns(conversation_id)
        questions = [t.question for t in mine]
        assert questions.count("Ask in the app's conversation?") == 1
        assert [q for q in questions if q.startswith("Engine")] == [
            f"Engine question {n}?" for n in range(len(engine_turns))
        ]
        for n in range(ASKS - 1):
            (theirs,) = reader.turns(reports[n]["conversation_id"])
            assert theirs.question == f"Ask number {n}?"
        # The writers did overlap: each ask's turn streamed while an engine turn streamed.
        engine_records = [every[t.turn_id] for t in engine_turns]
        for report in reports:
            assert any(overlaps(every[report["turn_id"]], e) for e in engine_records), report
        # The ask that continued the app's conversation was sent the turns stored before it.
        (continued,) = [
            r.body
            for r in ollama_server.requests_to("/api/chat")
            if _asked(r.body) == "Ask in the app's conversation?"
        ]
        assert "Engine question 0?" in [m["content"] for m in continued["messages"]]
    finally:
        reader.close()
    assert summaries[conversation_id].turn_count == len(mine)


def _asked(body: dict[str, object]) -> str | None:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return None
    return str(messages[-1]["content"])


def wait_turn(recorder: Recorder, count: int) -> TurnEnded:
    with recorder.changed:
        ready = recorder.changed.wait_for(lambda: len(recorder.of(TurnEnded)) >= count, TURN_TIMEOUT_S)
        assert ready, f"turn {count} never ended: {recorder.events[-5:]}"
        ended = recorder.of(TurnEnded)[count - 1]
    assert isinstance(ended, TurnEnded)
    return ended
