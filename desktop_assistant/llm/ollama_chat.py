"""``ChatModel`` on an Ollama server through the official ``ollama`` client.

Every failure of the server or the connection becomes an ``LLMError`` (``ReplyInterrupted``
when a reply is cut mid-way) with one line and a hint; no httpx or ollama exception escapes.
Each request runs on a reader thread that a cancel or ``close()`` abandons (``llm/abortable.py``).
"""

from __future__ import annotations

import re
import ssl
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import httpx
import ollama

from desktop_assistant.config.settings import LlmSettings
from desktop_assistant.errors import LLMError, ReplyInterrupted
from desktop_assistant.llm.abortable import AbortableRequests, RequestAbandoned
from desktop_assistant.llm.base import ChatMessage, TokenCounts
from desktop_assistant.llm.ollama_host import ollama_start_hint, open_client

T = TypeVar("T")

BACKEND = "ollama"
# The keyring name of the API key a remote Ollama (or a proxy in front of one) may require.
API_KEY_SECRET = "ollama_api_key"
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
# What the client raises: httpx failures (the streaming path does not wrap them), the plain path's
# ConnectionError, Ollama's error answers, and json / pydantic errors for answers it cannot read.
CLIENT_ERRORS = (httpx.HTTPError, ConnectionError, ollama.ResponseError, ValueError)


def sees_images(capabilities: Sequence[str] | None) -> bool | None:
    """Whether a model's ``/api/show`` capabilities include vision; None from servers too old to say."""
    return None if capabilities is None else "vision" in capabilities


def keep_alive_value(text: str) -> str | float:
    """Ollama reads a bare number as seconds (``-1``: forever) and text as a duration (``30m``)."""
    text = text.strip()
    if _NUMBER.fullmatch(text):
        return float(text) if "." in text else int(text)
    return text


class OllamaChat:
    """Streams replies from one Ollama model; ``model`` overrides ``settings.model``.

    ``api_key``, when given, is sent as a Bearer token (for a remote server behind authentication).
    Every request runs where a cancel or ``close()`` can abandon it at once, hanging up its
    connection so the server stops generating (see ``llm/abortable.py``); calls may come from any thread.
    """

    def __init__(self, settings: LlmSettings, model: str | None = None, api_key: str | None = None) -> None:
        self._settings = settings
        self._model = (model or settings.model).strip()
        if not self._model:
            raise LLMError("No Ollama model is chosen", "Set llm.model or pass --model NAME.")
        self._requests = AbortableRequests("ollama-reader")
        self.host, self._client = open_client(settings, api_key, **self._requests.client_options())

    @property
    def model(self) -> str:
        """The model name replies come from."""
        return self._model

    @property
    def backend(self) -> str:
        """Who runs the model: ``ollama``."""
        return BACKEND

    def answerer(self, cancel: threading.Event | None = None) -> OllamaChat:
        """The model that answers the next request: this one."""
        return self

    def close(self) -> None:
        """Abandon every request in flight (from any thread: each fails with ``LLMError``), then close
        the client; any call afterwards fails with ``LLMError``."""
        self._requests.close()
        self._client.close()  # type: ignore[no-untyped-call]

    def check_ready(self, needs_vision: bool, cancel: threading.Event | None = None) -> None:
        """Raise ``LLMError`` unless the server is up, has the model and (if asked) it sees images;
        also once ``cancel`` is set or ``close()`` is called while it waits for the answer."""
        shown = self._call(lambda: self._client.show(self._model), cancel)
        # Servers older than the "capabilities" field cannot tell; let the chat itself decide.
        if needs_vision and sees_images(shown.capabilities) is False:
            raise LLMError(
                f"Model '{self._model}' cannot see images",
                "Choose a vision model, e.g. 'ollama pull gemma3:4b' and --model gemma3:4b.",
            )

    def load(self) -> None:
        """Ask the server to load the model now (an empty chat), so the first reply starts sooner;
        ``LLMError`` if that fails or ``close()`` is called meanwhile."""
        self._call(
            lambda: self._client.chat(
                self._model, messages=[], stream=False, keep_alive=self._keep_alive(), options=self._options()
            ),
            None,
        )

    def stream_reply(
        self,
        messages: Sequence[ChatMessage],
        cancel: threading.Event | None = None,
        on_counts: Callable[[TokenCounts], None] | None = None,
    ) -> Iterator[str]:
        """Yield the reply's text deltas. Once ``cancel`` is set the generator ends within about
        50 ms, even before the first token, and the HTTP connection is hung up; nothing is sent
        if it is set already. ``on_counts`` gets the token counts of the done line, if it has them.

        A stream cut mid-reply (by the server or ``close()``) raises ``ReplyInterrupted`` carrying the
        text that arrived; ``close()`` before any text, ``LLMError``.
        """
        wire = [_wire_message(m) for m in messages]

        def start() -> Iterator[ollama.ChatResponse]:
            return self._client.chat(
                self._model,
                messages=wire,
                stream=True,
                keep_alive=self._keep_alive(),
                options=self._options(),
            )

        parts = self._requests.stream(start, cancel)
        received: list[str] = []
        finished = False
        try:
            while True:
                try:
                    part = next(parts, None)
                except RequestAbandoned as exc:
                    if exc.closed:
                        raise self._closed_error("".join(received)) from None
                    return
                except CLIENT_ERRORS as exc:
                    raise self._mapped(exc, partial="".join(received)) from exc
                if part is None:
                    if finished:
                        return
                    raise _cut_off("".join(received))
                if part.done and not finished:
                    finished = True
                    counts = token_counts(part)
                    if counts is not None and on_counts is not None:
                        on_counts(counts)
                delta = part.message.content
                if delta:
                    received.append(delta)
                    yield delta
        finally:
            # Hangs the connection up unless the stream ended by itself: the server stops generating.
            parts.close()

    def _call(self, request: Callable[[], T], cancel: threading.Event | None) -> T:
        """``request()`` run where it can be abandoned, every failure an ``LLMError``."""
        try:
            return self._requests.call(request, cancel)
        except RequestAbandoned as exc:
            if exc.closed:
                raise self._closed_error("") from None
            raise LLMError(f"The request to Ollama at {self.host} was cancelled", "Ask again.") from None
        except CLIENT_ERRORS as exc:
            raise self._mapped(exc, partial=None) from exc

    def _keep_alive(self) -> str | float:
        return keep_alive_value(self._settings.keep_alive)

    def _options(self) -> dict[str, Any]:
        return {"num_ctx": self._settings.num_ctx, "temperature": self._settings.temperature}

    def _mapped(self, exc: Exception, partial: str | None) -> LLMError:
        """The ``LLMError`` for a client failure; ``partial`` is None outside a reply stream."""
        return client_error(exc, self.host, self._settings.timeout_s, self._model, partial)

    def _closed_error(self, partial: str) -> LLMError:
        hint = "The assistant closed its connection to Ollama; start it again to ask."
        if partial:
            return ReplyInterrupted("The reply was cut off", hint, partial=partial)
        return LLMError(f"The connection to Ollama at {self.host} is closed", hint)


def token_counts(part: ollama.ChatResponse) -> TokenCounts | None:
    """The counts of a done line; None when it has neither. Ollama leaves a zero count out
    (a prompt served wholly from its cache), so a missing one of the two is 0."""
    if part.prompt_eval_count is None and part.eval_count is None:
        return None
    return TokenCounts(prompt=part.prompt_eval_count or 0, reply=part.eval_count or 0)


def client_error(
    exc: Exception, host: str, timeout_s: float, model: str = "", partial: str | None = None
) -> LLMError:
    """The ``LLMError`` for a failure of the client talking to ``host`` (about ``model``, if any);
    ``partial`` is the reply text so far inside a reply stream, else None."""
    refused_certificate = _certificate_error(exc)
    if refused_certificate is not None:
        return LLMError(
            f"The certificate of Ollama at {host} is not trusted ({refused_certificate})",
            "Give the server a certificate a trusted authority signed, or use this machine's Ollama.",
        )
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | ConnectionError):
        return LLMError(f"Cannot reach Ollama at {host}", ollama_start_hint())
    if isinstance(exc, ollama.ResponseError):
        return _response_error(exc, host, model, partial)
    if isinstance(exc, httpx.TransportError) and partial:
        return _cut_off(partial)
    if isinstance(exc, httpx.TimeoutException):
        return LLMError(
            f"Ollama at {host} did not answer within {timeout_s:g} s",
            "It may still be loading the model: try again, or raise llm.timeout_s.",
        )
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError) and partial is not None:
        return _cut_off(partial)
    # What is left: json or pydantic errors, or transport failures such as a wrong scheme.
    return LLMError(
        f"The server at {host} does not answer like Ollama ({type(exc).__name__})",
        "Check that OLLAMA_HOST / llm.host points at an Ollama server.",
    )


def _response_error(exc: ollama.ResponseError, host: str, model: str, partial: str | None) -> LLMError:
    if exc.status_code == 404 and model:
        return LLMError(f"Model '{model}' is not available on {host}", f"Run 'ollama pull {model}'.")
    if exc.status_code in (401, 403):
        return LLMError(
            f"Ollama at {host} refused the request ({exc.status_code}: {exc.error})",
            "Check the API key in the settings (Assistant page).",
        )
    if exc.status_code < 0:
        # An error line inside a stream: the server gave up mid-reply.
        if partial:
            return _cut_off(partial)
        return LLMError(f"Ollama failed: {exc.error}", "Check the Ollama server's log, then ask again.")
    return LLMError(
        f"Ollama answered {exc.status_code}: {exc.error}",
        "Check the Ollama server's log, then ask again.",
    )


def _certificate_error(exc: BaseException) -> str | None:
    """The reason, when the failure (or one it arose from) is TLS refusing the server's certificate."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_message or "certificate verify failed"
        seen = seen.__cause__ or seen.__context__
    return None


def _wire_message(message: ChatMessage) -> dict[str, Any]:
    wire: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.images:
        # The client base64-encodes bytes for the wire.
        wire["images"] = [image.data for image in message.images]
    return wire


def _cut_off(partial: str) -> ReplyInterrupted:
    return ReplyInterrupted("The reply was cut off", "Ollama stopped mid-reply; ask again.", partial=partial)
