"""The loopback Ollama server, checked with the real ``ollama`` client."""

from __future__ import annotations

import http.client
import json
import select
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import ollama
import pytest

from desktop_assistant.bench.ollama_api import OllamaTestServer, prompt_token_count, split_tokens

pytestmark = pytest.mark.ollama

USER = [{"role": "user", "content": "Hello?"}]


def test_split_tokens_keeps_leading_spaces_and_splits_punctuation() -> None:
    text = "Sure. It's 5 o'clock, friend!\nNext  "
    tokens = split_tokens(text)
    assert tokens == ["Sure", ".", " It's", " 5", " o'clock", ",", " friend", "!", "\nNext", "  "]
    assert "".join(tokens) == text


def test_version_and_tags(ollama_server: OllamaTestServer) -> None:
    ollama_server.add_model("llama3.2:1b")
    assert httpx.get(f"{ollama_server.url}/api/version").json() == {"version": "0.11.4"}
    with ollama.Client(host=ollama_server.url) as client:
        listed = client.list().models
    assert [m.model for m in listed] == ["gemma3:4b", "llama3.2:1b"]
    assert listed[0].details is not None
    assert listed[0].details.family == "gemma3"
    assert listed[0].size == 3_338_801_804


def test_show_reports_vision_capability(ollama_server: OllamaTestServer) -> None:
    ollama_server.add_model("llama3.2")
    with ollama.Client(host=ollama_server.url) as client:
        seer = client.show("gemma3:4b")
        blind = client.show("llama3.2:latest")
    assert seer.capabilities == ["completion", "vision"]
    assert blind.capabilities == ["completion"]
    assert seer.modelinfo is not None
    assert seer.modelinfo["general.architecture"] == "gemma3"
    assert ollama_server.requests_to("/api/show")[0].body == {"model": "gemma3:4b"}


def test_streamed_chat_sends_tokens_in_order_then_done(ollama_server: OllamaTestServer) -> None:
    ollama_server.reply = "Sure. Paris is the capital, of course!"
    with ollama.Client(host=ollama_server.url) as client:
        parts = list(client.chat("gemma3:4b", messages=USER, stream=True))
    assert [p.message.content for p in parts[:-1]] == split_tokens(ollama_server.reply)
    assert [p.done for p in parts] == [False] * (len(parts) - 1) + [True]
    assert parts[-1].message.content == ""
    assert parts[-1].done_reason == "stop"
    assert parts[-1].eval_count == len(parts) - 1
    assert ollama_server.wait_for_streams()
    assert ollama_server.chat_streams[0].outcome == "completed"


def test_the_done_line_carries_prompt_and_reply_counts(ollama_server: OllamaTestServer) -> None:
    ollama_server.reply = "Paris, of course."
    messages = [{"role": "system", "content": "Be brief."}, *USER]
    with ollama.Client(host=ollama_server.url) as client:
        done = list(client.chat("gemma3:4b", messages=messages, stream=True))[-1]
        whole = client.chat("gemma3:4b", messages=messages, stream=False)
    # Each message's tokens plus one for its role: "Be", " brief", "." and "Hello", "?"; the reply is
    # "Paris", ",", " of", " course", ".".
    assert prompt_token_count(messages) == 7
    for answer in (done, whole):
        assert answer.done is True
        assert (answer.prompt_eval_count, answer.eval_count) == (7, 5)


def test_the_load_answer_carries_no_counts(ollama_server: OllamaTestServer) -> None:
    with ollama.Client(host=ollama_server.url) as client:
        answer = client.chat("gemma3:4b", messages=[], stream=False)
    assert answer.done_reason == "load"
    assert (answer.prompt_eval_count, answer.eval_count) == (None, None)


def test_chat_without_streaming_answers_one_object(ollama_server: OllamaTestServer) -> None:
    ollama_server.reply = "One piece."
    with ollama.Client(host=ollama_server.url) as client:
        answer = client.chat("gemma3:4b", messages=USER, stream=False)
    assert answer.message.content == "One piece."
    assert answer.done is True
    assert answer.eval_count == 3
    assert ollama_server.chat_streams == []


def test_reply_callable_receives_the_messages_and_requests_are_recorded(
    ollama_server: OllamaTestServer,
) -> None:
    ollama_server.reply = lambda messages: f"You said: {messages[-1]['content']}"
    with ollama.Client(host=ollama_server.url) as client:
        parts = client.chat(
            "gemma3:4b",
            messages=[{"role": "user", "content": "ping", "images": [b"\x89PNG"]}],
            stream=True,
            options={"temperature": 0.5},
            keep_alive="5m",
        )
        text = "".join(p.message.content or "" for p in parts)
    assert text == "You said: ping"
    body = ollama_server.requests_to("/api/chat")[0].body
    assert body["model"] == "gemma3:4b"
    assert body["messages"] == [{"role": "user", "content": "ping", "images": ["iVBORw=="]}]
    assert body["options"] == {"temperature": 0.5}
    assert body["keep_alive"] == "5m"
    assert body["stream"] is True


def test_empty_chat_is_a_load_request(ollama_server: OllamaTestServer) -> None:
    with ollama.Client(host=ollama_server.url) as client:
        answer = client.chat("gemma3:4b", messages=[], stream=False)
    assert answer.done_reason == "load"
    assert answer.message.content == ""
    assert ollama_server.requests_to("/api/chat")[0].body["messages"] == []


def test_pull_streams_progress_and_adds_the_model(ollama_server: OllamaTestServer) -> None:
    with ollama.Client(host=ollama_server.url) as client:
        progress = list(client.pull("llama3.2:1b", stream=True))
        listed = [m.model for m in client.list().models]
        shown = client.show("llama3.2:1b")
    statuses = [p.status for p in progress]
    assert statuses[0] == "pulling manifest"
    assert statuses[-3:] == ["verifying sha256 digest", "writing manifest", "success"]
    layers: dict[str, list[tuple[int, int]]] = {}
    for p in progress:
        if p.digest:
            layers.setdefault(p.digest, []).append((p.completed or 0, p.total or 0))
    assert len(layers) == 3
    assert len({lines[0][1] for lines in layers.values()}) == 3  # three sizes
    for lines in layers.values():
        done = [completed for completed, _ in lines]
        assert len(lines) >= 3 and done[0] == 0 and done == sorted(done) and done[-1] == lines[0][1]
    assert listed == ["gemma3:4b", "llama3.2:1b"]
    assert shown.capabilities == ["completion"]


def test_delete_removes_a_model_and_404s_an_unknown_one(ollama_server: OllamaTestServer) -> None:
    with ollama.Client(host=ollama_server.url) as client:
        client.delete("gemma3:4b")
        listed = [m.model for m in client.list().models]
        with pytest.raises(ollama.ResponseError) as caught:
            client.delete("gemma3:4b")
    assert listed == []
    assert caught.value.status_code == 404
    assert [r.body for r in ollama_server.requests_to("/api/delete")] == [{"model": "gemma3:4b"}] * 2


def test_pull_of_an_unknown_model_fails(ollama_server: OllamaTestServer) -> None:
    with ollama.Client(host=ollama_server.url) as client, pytest.raises(ollama.ResponseError) as caught:
        list(client.pull("nosuch:7b", stream=True))
    assert caught.value.error == "pull model manifest: file does not exist"
    assert "nosuch:7b" not in ollama_server.models


def test_missing_model_is_404_on_show_and_chat(ollama_server: OllamaTestServer) -> None:
    with ollama.Client(host=ollama_server.url) as client:
        with pytest.raises(ollama.ResponseError) as shown:
            client.show("nosuch:7b")
        with pytest.raises(ollama.ResponseError) as chatted:
            list(client.chat("nosuch:7b", messages=USER, stream=True))
    for caught in (shown, chatted):
        assert caught.value.status_code == 404
        assert caught.value.error == 'model "nosuch:7b" not found, try pulling it first'


def test_die_after_tokens_drops_the_connection_mid_stream(ollama_server: OllamaTestServer) -> None:
    ollama_server.reply = "one two three four five"
    ollama_server.die_after_tokens = 2
    received: list[str] = []
    with ollama.Client(host=ollama_server.url) as client, pytest.raises(httpx.RemoteProtocolError):
        for part in client.chat("gemma3:4b", messages=USER, stream=True):
            received.append(part.message.content or "")
    assert received == ["one", " two"]
    assert ollama_server.wait_for_streams()
    assert ollama_server.chat_streams[0].outcome == "died"


def test_http_error_answers_every_chat(ollama_server: OllamaTestServer) -> None:
    ollama_server.http_error = (503, "server busy")
    with ollama.Client(host=ollama_server.url) as client, pytest.raises(ollama.ResponseError) as caught:
        list(client.chat("gemma3:4b", messages=USER, stream=True))
    assert (caught.value.status_code, caught.value.error) == (503, "server busy")


def test_stream_error_replaces_the_done_line(ollama_server: OllamaTestServer) -> None:
    ollama_server.reply = "Half"
    ollama_server.stream_error = "runner crashed"
    received: list[str] = []
    with ollama.Client(host=ollama_server.url) as client, pytest.raises(ollama.ResponseError) as caught:
        for part in client.chat("gemma3:4b", messages=USER, stream=True):
            received.append(part.message.content or "")
    assert received == ["Half"]
    assert caught.value.error == "runner crashed"


def test_end_without_done_closes_the_stream_cleanly(ollama_server: OllamaTestServer) -> None:
    ollama_server.reply = "Cut here"
    ollama_server.end_without_done = True
    with ollama.Client(host=ollama_server.url) as client:
        parts = list(client.chat("gemma3:4b", messages=USER, stream=True))
    assert [(p.message.content, p.done) for p in parts] == [("Cut", False), (" here", False)]


def test_a_client_that_closes_early_is_recorded_as_abandoned(ollama_server: OllamaTestServer) -> None:
    ollama_server.reply = " ".join(["word"] * 200)
    # Paced so the server is still streaming when the client leaves.
    ollama_server.tokens_per_s = 100
    with ollama.Client(host=ollama_server.url) as client:
        stream = client.chat("gemma3:4b", messages=USER, stream=True)
        first = [next(stream).message.content for _ in range(3)]
        stream.close()
    assert first == ["word", " word", " word"]
    assert ollama_server.wait_for_streams()
    assert ollama_server.chat_streams[0].outcome == "abandoned"
    assert ollama_server.chat_streams[0].tokens_sent < 200


def test_a_client_timeout_during_the_first_token_delay_is_seen(ollama_server: OllamaTestServer) -> None:
    ollama_server.first_token_delay_s = 60.0
    with ollama.Client(host=ollama_server.url, timeout=0.2) as client, pytest.raises(httpx.ReadTimeout):
        list(client.chat("gemma3:4b", messages=USER, stream=True))
    assert ollama_server.wait_for_streams()
    assert ollama_server.chat_streams[0].outcome == "abandoned"
    assert ollama_server.chat_streams[0].tokens_sent == 0


def test_stop_ends_a_stream_in_progress_and_idle_connections() -> None:
    threads_before = set(threading.enumerate())
    server = OllamaTestServer(first_token_delay_s=60.0).start()
    failures: list[BaseException] = []
    client = ollama.Client(host=server.url)
    client.list()  # leaves an idle keep-alive connection open in the client's pool

    def read_stream() -> None:
        try:
            list(client.chat("gemma3:4b", messages=USER, stream=True))
        except httpx.HTTPError as exc:
            failures.append(exc)

    reader = threading.Thread(target=read_stream)
    reader.start()
    assert server.wait_for(lambda s: bool(s.chat_streams))
    server.stop()
    reader.join(timeout=5.0)
    client.close()  # type: ignore[no-untyped-call]
    assert server.chat_streams[0].outcome == "stopped"
    assert [type(f) for f in failures] == [httpx.RemoteProtocolError]
    assert set(threading.enumerate()) == threads_before


def test_received_at_is_when_the_request_arrived(ollama_server: OllamaTestServer) -> None:
    with ollama.Client(host=ollama_server.url) as client:
        before = time.perf_counter()
        client.show("gemma3:4b")
        between = time.perf_counter()
        list(client.chat("gemma3:4b", messages=USER, stream=True))
        after = time.perf_counter()
    show, chat = ollama_server.requests
    assert before < show.received_at < between < chat.received_at < after
    assert (show.hung_up_at, chat.hung_up_at) == (None, None)


def test_first_token_delays_are_used_in_order_then_the_default(ollama_server: OllamaTestServer) -> None:
    ollama_server.first_token_delays = [60.0, 0.0]
    ollama_server.first_token_delay_s = 60.0
    with ollama.Client(host=ollama_server.url, timeout=0.3) as client:
        with pytest.raises(httpx.ReadTimeout):
            list(client.chat("gemma3:4b", messages=USER, stream=True))
        text = "".join(p.message.content or "" for p in client.chat("gemma3:4b", messages=USER, stream=True))
        with pytest.raises(httpx.ReadTimeout):
            client.chat("gemma3:4b", messages=USER, stream=False)
    assert text == ollama_server.reply
    assert ollama_server.first_token_delays == []
    assert ollama_server.wait_for_streams()
    assert [c.outcome for c in ollama_server.chat_streams] == ["abandoned", "completed"]
    assert ollama_server.wait_for(lambda s: s.requests_to("/api/chat")[2].hung_up_at is not None, 1.0)


def test_a_load_does_not_use_a_first_token_delay(ollama_server: OllamaTestServer) -> None:
    ollama_server.first_token_delays = [0.0]
    ollama_server.first_token_delay_s = 60.0
    with ollama.Client(host=ollama_server.url, timeout=5.0) as client:
        client.chat("gemma3:4b", messages=[], stream=False)
        list(client.chat("gemma3:4b", messages=USER, stream=True))
    assert ollama_server.first_token_delays == []


def post_chat(url: str, body: dict[str, object]) -> socket.socket:
    """A raw connection that has sent one ``/api/chat`` request (no client library in between)."""
    host, port = url.removeprefix("http://").split(":")
    conn = socket.create_connection((host, int(port)))
    data = json.dumps(body).encode()
    head = f"POST /api/chat HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(data)}\r\n\r\n"
    conn.sendall(head.encode() + data)
    return conn


@pytest.mark.parametrize("messages", [USER, []], ids=["chat", "load"])
def test_silent_chats_are_never_answered_until_the_client_hangs_up(
    ollama_server: OllamaTestServer, messages: list[dict[str, str]]
) -> None:
    ollama_server.silent_chats = True
    with post_chat(ollama_server.url, {"model": "gemma3:4b", "messages": messages}) as conn:
        assert ollama_server.wait_for(lambda s: bool(s.chat_streams))
        readable, _, _ = select.select([conn], [], [], 0.3)
        assert readable == [], "the server answered something"
        hung_up_at = time.perf_counter()
        conn.shutdown(socket.SHUT_RDWR)
    assert ollama_server.wait_for_streams(timeout=1.0)
    stream = ollama_server.chat_streams[0]
    assert stream.outcome == "abandoned"
    assert stream.tokens_sent == 0
    assert stream.request.hung_up_at is not None and stream.request.hung_up_at >= hung_up_at


def test_silent_shows_are_never_answered_until_the_client_hangs_up(ollama_server: OllamaTestServer) -> None:
    ollama_server.silent_shows = True
    with ollama.Client(host=ollama_server.url, timeout=0.3) as client, pytest.raises(httpx.ReadTimeout):
        client.show("gemma3:4b")
    assert ollama_server.wait_for(lambda s: s.requests_to("/api/show")[0].hung_up_at is not None, 1.0)
    assert ollama_server.chat_streams == []


def test_stop_ends_silent_requests_at_once() -> None:
    threads_before = set(threading.enumerate())
    server = OllamaTestServer(silent_chats=True, silent_shows=True).start()
    connections = [post_chat(server.url, {"model": "gemma3:4b", "messages": USER})]
    host, port = server.url.removeprefix("http://").split(":")
    show = http.client.HTTPConnection(host, int(port), timeout=5.0)
    show.request("POST", "/api/show", body=json.dumps({"model": "gemma3:4b"}))
    assert server.wait_for(lambda s: len(s.requests) == 2)
    started = time.perf_counter()
    server.stop()
    assert time.perf_counter() - started < 1.0
    for conn in connections:
        conn.close()
    show.close()
    assert [c.outcome for c in server.chat_streams] == ["stopped"]
    assert [r.hung_up_at for r in server.requests] == [None, None]
    assert set(threading.enumerate()) == threads_before


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is a hard kill on Windows")
def test_script_mode_serves_until_terminated() -> None:
    command = [sys.executable, "-m", "desktop_assistant.bench.ollama_api", "--port", "0"]
    command += ["--reply", "Hi there."]
    command += ["--model", "tiny:1b", "--model", "seer:2b:vision"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.startswith("Listening on http://127.0.0.1:")
            url = line.split()[-1]
            with ollama.Client(host=url) as client:
                names = [m.model for m in client.list().models]
                capabilities = client.show("seer:2b").capabilities
                parts = client.chat("tiny:1b", messages=USER, stream=True)
                text = "".join(p.message.content or "" for p in parts)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=10) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
    assert names == ["seer:2b", "tiny:1b"]
    assert capabilities == ["completion", "vision"]
    assert text == "Hi there."
