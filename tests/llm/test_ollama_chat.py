"""``OllamaChat`` with the real ``ollama`` client against the loopback Ollama server."""

from __future__ import annotations

import base64
import io
import threading
import time
from collections.abc import Callable, Iterator

import ollama
import pytest
from PIL import Image

from desktop_assistant.bench.ollama_api import OllamaTestServer, prompt_token_count, split_tokens
from desktop_assistant.cancel import CancelToken
from desktop_assistant.config.settings import LlmSettings
from desktop_assistant.errors import LLMError, ReplyInterrupted
from desktop_assistant.llm import abortable
from desktop_assistant.llm.base import ChatMessage, TokenCounts
from desktop_assistant.llm.images import prepare_image_bytes
from desktop_assistant.llm.ollama_chat import OllamaChat, keep_alive_value, token_counts
from desktop_assistant.llm.ollama_host import DEFAULT_HOST, ollama_start_hint

pytestmark = pytest.mark.ollama

QUESTION = (ChatMessage("user", "What is the capital of France?"),)
UNREACHABLE_HINT = ollama_start_hint()
# Generous bounds: an abort takes about 50 ms; the point is "not the 10 s the server holds back".
PROMPT_S = 0.5
CLOSED_HINT = "The assistant closed its connection to Ollama; start it again to ask."


@pytest.fixture
def make_chat() -> Iterator[type[OllamaChat]]:
    """``OllamaChat`` whose instances are closed after the test."""
    made: list[OllamaChat] = []

    class ClosingChat(OllamaChat):
        def __init__(self, settings: LlmSettings, model: str | None = None) -> None:
            super().__init__(settings, model)
            made.append(self)

    yield ClosingChat
    for chat in made:
        chat.close()


def assert_llm_error(caught: pytest.ExceptionInfo[LLMError], message: str, hint: str) -> None:
    assert (caught.value.message, caught.value.hint) == (message, hint)


def test_streams_the_reply_token_by_token(
    ollama_server: OllamaTestServer, make_chat: type[OllamaChat]
) -> None:
    ollama_server.reply = "Sure. Paris is the capital of France."
    chat = make_chat(LlmSettings(host=ollama_server.url))
    deltas = list(chat.stream_reply(QUESTION))
    assert deltas == split_tokens(ollama_server.reply)
    assert "".join(deltas) == ollama_server.reply
    assert ollama_server.wait_for_streams()
    assert ollama_server.chat_streams[0].outcome == "completed"


def test_sends_model_messages_images_options_and_keep_alive(
    ollama_server: OllamaTestServer, make_chat: type[OllamaChat]
) -> None:
    out = io.BytesIO()
    Image.new("RGB", (12, 8), (10, 200, 30)).save(out, format="PNG")
    image = prepare_image_bytes(out.getvalue(), "pasted")
    messages = [
        ChatMessage("system", "You are brief."),
        ChatMessage("user", "Hi"),
        ChatMessage("assistant", "Hello."),
        ChatMessage("user", "What colour is this?", images=(image,)),
    ]
    settings = LlmSettings(host=ollama_server.url, num_ctx=8192, temperature=0.2, keep_alive="1h")
    list(make_chat(settings).stream_reply(messages))
    body = ollama_server.requests_to("/api/chat")[0].body
    assert body["model"] == "gemma3:4b"
    assert body["messages"] == [
        {"role": "system", "content": "You are brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello."},
        {
            "role": "user",
            "content": "What colour is this?",
            "images": [base64.b64encode(image.data).decode()],
        },
    ]
    assert body["options"] == {"num_ctx": 8192, "temperature": 0.2}
    assert body["keep_alive"] == "1h"
    assert body["stream"] is True


@pytest.mark.parametrize(
    ("text", "value"), [("30m", "30m"), (" 1h ", "1h"), ("-1", -1), ("300", 300), ("2.5", 2.5)]
)
def test_keep_alive_numbers_are_sent_as_seconds(text: str, value: str | float) -> None:
    assert keep_alive_value(text) == value
    assert type(keep_alive_value(text)) is type(value)


def test_a_numeric_keep_alive_reaches_the_server_as_a_number(
    ollama_server: OllamaTestServer, make_chat: type[OllamaChat]
) -> None:
    list(make_chat(LlmSettings(host=ollama_server.url, keep_alive="-1")).stream_reply(QUESTION))
    assert ollama_server.requests_to("/api/chat")[0].body["keep_alive"] == -1


def test_the_model_override_wins_over_settings(
    ollama_server: OllamaTestServer, make_chat: type[OllamaChat]
) -> None:
    ollama_server.add_model("llama3.2:1b")
    chat = make_chat(LlmSettings(host=ollama_server.url, model="gemma3:4b"), model="llama3.2:1b")
    assert chat.model == "llama3.2:1b"
    list(chat.stream_reply(QUESTION))
    assert ollama_server.requests_to("/api/chat")[0].body["model"] == "llama3.2:1b"


def test_no_model_at_all_is_an_error() -> None:
    with pytest.raises(LLMError) as caught:
        OllamaChat(LlmSettings(model=" "))
    assert_llm_error(caught, "No Ollama model is chosen", "Set llm.model or pass --model NAME.")


def test_host_comes_from_ollama_host_when_the_setting_is_empty(
    ollama_server: OllamaTestServer, make_chat: type[OllamaChat], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", ollama_server.url)
    chat = make_chat(LlmSettings(host=""))
    assert chat.host == ollama_server.url
    assert "".join(chat.stream_reply(QUESTION)) == ollama_server.reply


def test_the_host_setting_wins_over_ollama_host(
    ollama_server: OllamaTestServer,
    make_chat: type[OllamaChat],
    monkeypatch: pytest.MonkeyPatch,
    closed_port_url: str,
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", closed_port_url)
    chat = make_chat(LlmSettings(host=ollama_server.url))
    assert chat.host == ollama_server.url
    chat.check_ready(needs_vision=True)


def test_the_default_host_without_setting_or_environment(
    make_chat: type[OllamaChat], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    assert make_chat(LlmSettings()).host == DEFAULT_HOST == "http://127.0.0.1:11434"


def test_an_invalid_host_is_an_error() -> None:
    with pytest.raises(LLMError) as caught:
        OllamaChat(LlmSettings(host="http://127.0.0.1:99999"))
    assert_llm_error(
        caught,
        "'http://127.0.0.1:99999' is not a valid Ollama address",
        "Set OLLAMA_HOST or llm.host to a URL such as http://127.0.0.1:11434.",
    )


def test_a_server_that_is_down_cannot_be_reached(closed_port_url: str, make_chat: type[OllamaChat]) -> None:
    chat = make_chat(LlmSettings(host=closed_port_url))
    message = f"Cannot reach Ollama at {closed_port_url}"
    for attempt in (
        lambda: chat.check_ready(needs_vision=False),
        lambda: list(chat.stream_reply(QUESTION)),
        chat.load,
    ):
        with pytest.raises(LLMError) as caught:
            attempt()
        assert type(caught.value) is LLMError
        assert_llm_error(caught, message, UNREACHABLE_HINT)


def test_a_missing_model_asks_for_a_pull(
    ollama_server: OllamaTestServer, make_chat: type[OllamaChat]
) -> None:
    chat = make_chat(LlmSettings(host=ollama_server.url, model="nosuch:7b"))
    for attempt in (lambda: chat.check_ready(needs_vision=False), lambda: list(chat.stream_reply(QUESTION))):
        with pytest.raises(LLMError) as caught:
            attempt()
        assert_llm_error(
            caught,
            f"Model 'nosuch:7b' is not available on {ollama_server.url}",
            "Run 'ollama pull nosuch:7b'.",
        )


def test_other_http_errors_carry_status_and_message(
    ollama_server: OllamaTestServer, make_chat: type[OllamaChat]
) -> None:
    ollama_server.http_error = (500, "model requires more system memory")
    with pytest.raises(LLMError) as caught:
        list(make_chat(LlmSettings(host=ollama_server.url)).stream_reply(QUESTION))
    assert_llm_error(
        caught,
        "Ollama answered 500: model requires more system memory",
        "Check the Ollama server's log, then ask again.",
    )


def test_a_stream_dying_mid_reply_keeps_the_partial_text(
    ollama_server: OllamaTestServer, make_chat: type[OllamaChat]
) -> None:
    ollama_server.reply = "One two three four five six."
    ollama_server.die_after_tokens = 3
    received: list[str] = []
    with pytest.raises(ReplyInterrupted) as caught:
        for delta in make_chat(LlmSettings(host=ollama_server.url)).stream_reply(QUESTION):
            received.append(delta)
    assert received == ["One", " two", " three"]
    assert caught.value.partial == "One two three"
    assert_llm_error(caught, "The reply was cut off", "Ollama stopped mid-reply; ask again.")


def test_a_stream_ending_without_its_done_line_is_cut_off(
    ollama_server: OllamaTestServer, make_chat: type[OllamaChat]
) -> None:
    ollama_server.reply = "Almost there"
    ollama_server.end_without_done = True
    with pytest.raises(ReplyInterrupted) as caught:
        list(make_chat(LlmSettings(host=ollama_server.url)).stream_reply(QUESTION))
    assert caught.value.partial == "Almost there"


def test_an_error_line_mid_reply_is_cut_off(
    ollama_server: OllamaTestServer, make_chat: type[OllamaChat]
) -> None:
    ollama_server.reply = "Half an"
    ollama_server.stream_error = "runner process has terminated"
    with pytest.raises(ReplyInterrupted) as caught:
        list(make_chat(LlmSettings(host=ollama_server.url)).stream_reply(QUESTION))
    assert caught.value.partial == "Half an"


def test_an_error_line_before_any_text_is_a_failure(
    ollama_server: OllamaTestServer, make_chat: type[OllamaChat]
) -> None:
    ollama_server.reply = ""
    ollama_server.stream_error = "runner process has terminated"
    with pytest.raises(LLMError) as caught:
        list(make_chat(LlmSettings(host=ollama_server.url)).stream_reply(QUESTION))
    assert type(caught.value) is LLMError
    assert_llm_error(
        caught,
        "Ollama failed: runner process has terminated",
        "Check the Ollama server's log, then ask again.",
    )


def test_no_first_token_within_the_timeout(
    ollama_server: OllamaTestServer, make_chat: type[OllamaChat]
) -> None:
    ollama_server.first_token_delay_s = 60.0
    with pytest.raises(LLMError) as caught:
        list(make_chat(LlmSettings(host=ollama_server.url, timeout_s=1.0)).stream_reply(QUESTION))
    assert_llm_error(
        caught,
        f"Ollama at {ollama_server.url} did not answer within 1 s",
        "It may still be loading the model: try again, or raise llm.timeout_s.",
    )
    assert ollama_server.wait_for_streams()
    assert ollama_server.chat_streams[0].outcome == "abandoned"


def test_cancel_stops_the_stream_and_closes_the_connection(
    ollama_server: OllamaTestServer, make_chat: type[OllamaChat]
) -> None:
    ollama_server.reply = " ".join(["word"] * 200)
    # Paced so the server is still generating when the client cancels.
    ollama_server.tokens_per_s = 100
    cancel = threading.Event()
    received: list[str] = []
    for delta in make_chat(LlmSettings(host=ollama_server.url)).stream_reply(QUESTION, cancel):
        received.append(delta)
        if len(received) == 3:
            cancel.set()
    assert received == ["word", " word", " word"]
    assert ollama_server.wait_for_streams()
    assert ollama_server.chat_streams[0].outcome == "abandoned"
    assert ollama_server.chat_streams[0].tokens_sent < 200


def test_a_cancel_set_before_the_start_sends_nothing(
    ollama_server: OllamaTestServer, make_chat: type[OllamaChat]
) -> None:
    cancel = threading.Event()
    cancel.set()
    assert list(make_chat(LlmSettings(host=ollama_server.url)).stream_reply(QUESTION, cancel)) == []
    assert ollama_server.requests_to("/api/chat") == []


def test_check_ready_with_and_without_vision(
    ollama_server: OllamaTestServer, make_chat: type[OllamaChat]
) -> None:
    ollama_server.add_model("llama3.2:1b", vision=False)
    make_chat(LlmSettings(host=ollama_server.url, model="gemma3:4b")).check_ready(needs_vision=True)
    blind = make_chat(LlmSettings(host=ollama_server.url, model="llama3.2:1b"))
    blind.check_ready(needs_vision=False)
    with pytest.raises(LLMError) as caught:
        blind.check_ready(needs_vision=True)
    assert_llm_error(
        caught,
        "Model 'llama3.2:1b' cannot see images",
        "Choose a vision model, e.g. 'ollama pull gemma3:4b' and --model gemma3:4b.",
    )
    assert [r.body for r in ollama_server.requests_to("/api/show")] == [
        {"model": "gemma3:4b"},
        {"model": "llama3.2:1b"},
        {"model": "llama3.2:1b"},
    ]


def test_load_sends_an_empty_chat(ollama_server: OllamaTestServer, make_chat: type[OllamaChat]) -> None:
    make_chat(LlmSettings(host=ollama_server.url, keep_alive="10m", num_ctx=2048)).load()
    body = ollama_server.requests_to("/api/chat")[0].body
    assert body["model"] == "gemma3:4b"
    assert body["messages"] == []
    assert body["keep_alive"] == "10m"
    assert body["options"] == {"num_ctx": 2048, "temperature": 0.7}
    assert ollama_server.chat_streams == []


class Attempt:
    """Runs ``work`` on a thread of its own, as the LLM worker would, noting when and how it ended."""

    def __init__(self, work: Callable[[], object]) -> None:
        self.result: object = None
        self.error: BaseException | None = None
        self.ended_at = 0.0
        self._work = work
        self._thread = threading.Thread(target=self._run, name="test-attempt")
        self._thread.start()

    def _run(self) -> None:
        try:
            self.result = self._work()
        except BaseException as exc:
            self.error = exc
        self.ended_at = time.perf_counter()

    def still_waiting_after(self, seconds: float) -> bool:
        self._thread.join(seconds)
        return self._thread.is_alive()

    def join(self) -> None:
        self._thread.join(10.0)
        assert not self._thread.is_alive(), "the attempt did not end"


def assert_readers_end() -> None:
    """Every reader thread the chat started ends by itself, promptly."""
    readers = [t for t in threading.enumerate() if t.name == "ollama-reader"]
    for reader in readers:
        reader.join(PROMPT_S)
    assert [r for r in readers if r.is_alive()] == []


def test_a_cancel_before_the_first_token_ends_at_once_and_the_next_question_goes_straight_out(
    ollama_server: OllamaTestServer, make_chat: type[OllamaChat]
) -> None:
    ollama_server.reply = "Paris."
    # A cold model load: the first chat's first token takes 10 s, the next chat answers at once.
    ollama_server.first_token_delays = [10.0]
    chat = make_chat(LlmSettings(host=ollama_server.url))
    cancel = threading.Event()
    first = Attempt(lambda: list(chat.stream_reply(QUESTION, cancel)))
    assert first.still_waiting_after(1.0)
    cancelled_at = time.perf_counter()
    cancel.set()
    first.join()
    assert first.error is None and first.result == []
    assert first.ended_at - cancelled_at < PROMPT_S
    # The server sees the hang-up (Ollama stops generating then).
    assert ollama_server.wait_for(lambda s: s.chat_streams[0].outcome == "abandoned", timeout=1.0)
    hung_up_at = ollama_server.chat_streams[0].request.hung_up_at
    assert hung_up_at is not None and hung_up_at - cancelled_at < 1.0
    assert_readers_end()

    asked_at = time.perf_counter()
    deltas = list(chat.stream_reply(QUESTION))
    second = ollama_server.requests_to("/api/chat")[1]
    assert second.received_at - asked_at < 0.1
    assert deltas == split_tokens("Paris.")
    assert ollama_server.wait_for_streams()
    assert [c.outcome for c in ollama_server.chat_streams] == ["abandoned", "completed"]


def test_a_cancel_before_the_headers_ends_at_once_and_hangs_up(
    ollama_server: OllamaTestServer, make_chat: type[OllamaChat]
) -> None:
    ollama_server.silent_chats = True
    chat = make_chat(LlmSettings(host=ollama_server.url))
    cancel = threading.Event()
    attempt = Attempt(lambda: list(chat.stream_reply(QUESTION, cancel)))
    assert ollama_server.wait_for(lambda s: bool(s.chat_streams))
    assert attempt.still_waiting_after(0.3)
    cancelled_at = time.perf_counter()
    cancel.set()
    attempt.join()
    assert attempt.error is None and attempt.result == []
    assert attempt.ended_at - cancelled_at < PROMPT_S
    assert ollama_server.wait_for(lambda s: s.chat_streams[0].outcome == "abandoned", timeout=1.0)
    assert_readers_end()


def test_a_cancel_token_wakes_the_wait_and_hangs_up_without_polling(
    ollama_server: OllamaTestServer, make_chat: type[OllamaChat], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A plain event is only looked at every WAIT_S; a token is heard the moment it is set.
    monkeypatch.setattr(abortable, "WAIT_S", 60.0)
    ollama_server.first_token_delays = [10.0]
    chat = make_chat(LlmSettings(host=ollama_server.url))
    cancel = CancelToken()
    attempt = Attempt(lambda: list(chat.stream_reply(QUESTION, cancel)))
    assert ollama_server.wait_for(lambda s: bool(s.chat_streams))
    assert attempt.still_waiting_after(0.3)
    cancelled_at = time.perf_counter()
    cancel.set()
    attempt.join()
    assert attempt.error is None and attempt.result == []
    assert attempt.ended_at - cancelled_at < PROMPT_S
    assert ollama_server.wait_for(lambda s: s.chat_streams[0].outcome == "abandoned", timeout=1.0)
    hung_up_at = ollama_server.chat_streams[0].request.hung_up_at
    assert hung_up_at is not None and hung_up_at - cancelled_at < PROMPT_S
    assert_readers_end()


def test_leaving_the_stream_early_hangs_up(
    ollama_server: OllamaTestServer, make_chat: type[OllamaChat]
) -> None:
    ollama_server.reply = " ".join(["word"] * 200)
    ollama_server.tokens_per_s = 100
    stream = make_chat(LlmSettings(host=ollama_server.url)).stream_reply(QUESTION)
    assert next(stream) == "word"
    stream.close()
    assert ollama_server.wait_for_streams()
    assert ollama_server.chat_streams[0].outcome == "abandoned"
    assert ollama_server.chat_streams[0].tokens_sent < 200
    assert_readers_end()


def test_check_ready_ends_once_cancelled_even_without_an_answer(
    ollama_server: OllamaTestServer, make_chat: type[OllamaChat]
) -> None:
    ollama_server.silent_shows = True
    chat = make_chat(LlmSettings(host=ollama_server.url))
    cancel = threading.Event()
    attempt = Attempt(lambda: chat.check_ready(needs_vision=True, cancel=cancel))
    assert ollama_server.wait_for(lambda s: bool(s.requests_to("/api/show")))
    assert attempt.still_waiting_after(0.3)
    cancelled_at = time.perf_counter()
    cancel.set()
    attempt.join()
    assert attempt.ended_at - cancelled_at < PROMPT_S
    assert type(attempt.error) is LLMError
    assert attempt.error.line() == f"The request to Ollama at {ollama_server.url} was cancelled. Ask again."
    assert ollama_server.wait_for(lambda s: s.requests_to("/api/show")[0].hung_up_at is not None, 1.0)
    assert_readers_end()


@pytest.mark.parametrize("stuck", ["load", "check_ready", "stream_reply"])
def test_close_ends_a_call_stuck_in_another_thread(
    ollama_server: OllamaTestServer, make_chat: type[OllamaChat], stuck: str
) -> None:
    ollama_server.silent_chats = ollama_server.silent_shows = True
    chat = make_chat(LlmSettings(host=ollama_server.url))
    calls: dict[str, Callable[[], object]] = {
        "load": chat.load,
        "check_ready": lambda: chat.check_ready(needs_vision=False),
        "stream_reply": lambda: list(chat.stream_reply(QUESTION)),
    }
    attempt = Attempt(calls[stuck])
    assert ollama_server.wait_for(lambda s: len(s.requests) == 1)
    assert attempt.still_waiting_after(0.3)
    closed_at = time.perf_counter()
    chat.close()
    attempt.join()
    assert attempt.ended_at - closed_at < PROMPT_S
    assert type(attempt.error) is LLMError
    assert (attempt.error.message, attempt.error.hint) == (
        f"The connection to Ollama at {ollama_server.url} is closed",
        CLOSED_HINT,
    )
    assert ollama_server.wait_for(lambda s: s.requests[0].hung_up_at is not None, timeout=1.0)
    assert_readers_end()


def test_close_mid_reply_keeps_the_partial_text(
    ollama_server: OllamaTestServer, make_chat: type[OllamaChat]
) -> None:
    ollama_server.reply = " ".join(["word"] * 200)
    ollama_server.tokens_per_s = 100
    chat = make_chat(LlmSettings(host=ollama_server.url))
    stream = chat.stream_reply(QUESTION)
    assert next(stream) == "word"
    chat.close()
    with pytest.raises(ReplyInterrupted) as caught:
        list(stream)
    assert caught.value.partial.startswith("word")
    assert caught.value.hint == CLOSED_HINT
    assert ollama_server.wait_for_streams()
    assert ollama_server.chat_streams[0].outcome == "abandoned"


def test_nothing_is_sent_once_closed(ollama_server: OllamaTestServer, make_chat: type[OllamaChat]) -> None:
    chat = make_chat(LlmSettings(host=ollama_server.url))
    chat.close()
    for attempt in (chat.load, lambda: chat.check_ready(False), lambda: list(chat.stream_reply(QUESTION))):
        with pytest.raises(LLMError) as caught:
            attempt()
        assert caught.value.hint == CLOSED_HINT
    assert ollama_server.requests == []


def test_on_counts_gets_the_models_token_counts(
    ollama_server: OllamaTestServer, make_chat: type[OllamaChat]
) -> None:
    ollama_server.reply = "Sure. Paris is the capital."
    counts: list[TokenCounts] = []
    deltas = list(
        make_chat(LlmSettings(host=ollama_server.url)).stream_reply(QUESTION, on_counts=counts.append)
    )
    sent = ollama_server.requests_to("/api/chat")[0].body["messages"]
    assert counts == [TokenCounts(prompt=prompt_token_count(sent), reply=len(deltas))]
    assert counts[0].prompt > 0 and counts[0].reply == len(split_tokens(ollama_server.reply))


def test_on_counts_is_not_called_without_a_done_line(
    ollama_server: OllamaTestServer, make_chat: type[OllamaChat]
) -> None:
    ollama_server.end_without_done = True
    counts: list[TokenCounts] = []
    with pytest.raises(ReplyInterrupted):
        list(make_chat(LlmSettings(host=ollama_server.url)).stream_reply(QUESTION, on_counts=counts.append))
    assert counts == []


def test_token_counts_of_a_done_line() -> None:
    def done(**counts: int) -> ollama.ChatResponse:
        return ollama.ChatResponse(model="m", done=True, message=ollama.Message(role="assistant"), **counts)

    assert token_counts(done()) is None
    assert token_counts(done(prompt_eval_count=12, eval_count=3)) == TokenCounts(12, 3)
    # Ollama leaves a zero out: a prompt served wholly from its cache.
    assert token_counts(done(eval_count=3)) == TokenCounts(0, 3)
