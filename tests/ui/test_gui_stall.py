"""Never frozen: the GUI thread's largest stall during a full held-key turn with the real models.

The figure against its 50 ms goal is the benchmark's (``gui_stall_ms_max``); this test prints it and
fails only when the GUI thread was blocked for as long as a model call takes (Whisper or Kokoro on
the GUI thread would stall it for 300 ms or more).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from pytestqt.qtbot import QtBot

from desktop_assistant.app import Context
from desktop_assistant.audio.files import read_audio
from desktop_assistant.audio.output import CollectingOutput
from desktop_assistant.bench.ollama_api import OllamaTestServer
from desktop_assistant.config.settings import Settings
from desktop_assistant.config.store import AppPaths
from desktop_assistant.core.engine import Stages
from desktop_assistant.llm.ollama_chat import OllamaChat
from desktop_assistant.stt.faster_whisper import FasterWhisperTranscriber
from desktop_assistant.tts.kokoro import KokoroSynthesizer
from desktop_assistant.ui.stall_turns import gui_stall_ms
from tests.models_home import speech_file

pytestmark = [pytest.mark.gui, pytest.mark.model, pytest.mark.ollama]

# A model call on the GUI thread costs at least this much on the slowest machine we test on.
FROZEN_MS = 300


def test_the_gui_thread_never_stalls_during_a_turn(
    qtbot: QtBot,
    ollama_server: OllamaTestServer,
    transcriber: FasterWhisperTranscriber,
    synthesizer: KokoroSynthesizer,
) -> None:
    ollama_server.reply = "Sure. He asks what you can do for your country, **not** the other way round."
    ollama_server.tokens_per_s = 40
    settings = Settings()
    context = Context(
        AppPaths.resolve(), replace(settings, llm=replace(settings.llm, host=ollama_server.url))
    )
    stages = Stages(transcriber, OllamaChat(context.settings.llm, "gemma3:4b"), synthesizer)
    clip = read_audio(speech_file(), 16_000)[: 3 * 16_000]
    try:
        stall = gui_stall_ms(context, stages, CollectingOutput(synthesizer.sample_rate), [clip])
    finally:
        stages.chat.close()
    print(f"GUI thread's largest stall during the turn: {stall} ms")
    chats = ollama_server.requests_to("/api/chat")
    assert chats and "fellow americans" in chats[-1].body["messages"][-1]["content"].lower()
    assert 0 < stall < FROZEN_MS
