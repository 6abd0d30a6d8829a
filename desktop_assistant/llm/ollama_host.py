"""Where the Ollama server is, whether it is safe to talk to, and a client for it.

Questions, images and the API key travel to the server, so a host that is not this machine is only
spoken to over https (TLS verified, httpx's default) unless ``llm.allow_insecure`` says otherwise.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import shutil
import sys
from typing import Any

import httpx
import ollama

from desktop_assistant.config.settings import LlmSettings
from desktop_assistant.errors import LLMError

DEFAULT_HOST = "http://127.0.0.1:11434"
# A down remote host should fail in seconds, while a reply may legitimately take minutes.
CONNECT_TIMEOUT_S = 10.0
INSTALL_URL = "https://ollama.com"

_log = logging.getLogger(__name__)


def resolve_host(configured: str) -> str:
    """The server URL: the setting, else ``OLLAMA_HOST``, else Ollama's default address."""
    return configured.strip() or os.environ.get("OLLAMA_HOST", "").strip() or DEFAULT_HOST


def ollama_start_hint(platform: str = sys.platform) -> str:
    """How to start Ollama on ``platform`` (a ``sys.platform`` value), and where to get it when it
    is not installed."""
    if platform.startswith("win"):
        start = "Start Ollama from the Start menu"
    elif platform == "darwin":
        start = "Open the Ollama app, or run 'ollama serve'"
    else:
        start = "Run 'ollama serve' (or 'systemctl start ollama' where it is installed as a service)"
    if shutil.which("ollama") is None:
        start = f"Install Ollama from {INSTALL_URL}, then: {start[0].lower()}{start[1:]}"
    return f"{start}; or set OLLAMA_HOST / llm.host to another server."


def insecure_host_warning(settings: LlmSettings) -> str | None:
    """The warning to show while questions go unencrypted to another machine (plain http to a host
    other than this one, allowed by ``llm.allow_insecure``); None when the connection is safe or
    refused anyway."""
    host = resolve_host(settings.host)
    if not settings.allow_insecure or not _plain_http_elsewhere(host):
        return None
    return f"Questions go to Ollama at {host} unencrypted (llm.allow_insecure is on)"


def open_client(
    settings: LlmSettings, api_key: str | None = None, **options: Any
) -> tuple[str, ollama.Client]:
    """The resolved host and a client for it; an API key travels as a Bearer token on every request.

    Plain http to another machine is refused with ``LLMError`` unless ``llm.allow_insecure`` is on
    (then it is logged as a warning). ``options`` go on to ``httpx.Client`` (e.g.
    ``AbortableRequests.client_options()``).
    """
    host = resolve_host(settings.host)
    try:
        elsewhere = _plain_http_elsewhere(host)
    except (ValueError, httpx.InvalidURL) as exc:
        raise _invalid(host) from exc
    if elsewhere and not settings.allow_insecure:
        raise LLMError(
            f"Ollama at {host} is not this machine and the connection is not encrypted",
            "Use an https:// address, or set llm.allow_insecure true on a network you trust.",
        )
    warning = insecure_host_warning(settings)
    if warning is not None:
        _log.warning("%s", warning)
    timeout = httpx.Timeout(settings.timeout_s, connect=min(settings.timeout_s, CONNECT_TIMEOUT_S))
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
    try:
        return host, ollama.Client(host=host, timeout=timeout, headers=headers, **options)
    except (ValueError, httpx.InvalidURL) as exc:
        raise _invalid(host) from exc


def is_this_machine(hostname: str) -> bool:
    """Whether ``hostname`` names this machine: ``localhost``, a loopback address (127.0.0.0/8, ::1),
    or the unspecified address (0.0.0.0, ::, or none), which connects here too."""
    name = hostname.strip("[]").lower()
    # An empty host is how OLLAMA_HOST=":11434" reads; the client fills in 127.0.0.1.
    if not name or name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _plain_http_elsewhere(host: str) -> bool:
    """Whether ``host`` (a URL, or ``host[:port]`` as OLLAMA_HOST may be) is plain http to another machine."""
    url = httpx.URL(host if "://" in host else f"http://{host}")
    return url.scheme == "http" and not is_this_machine(url.host)


def _invalid(host: str) -> LLMError:
    return LLMError(
        f"'{host}' is not a valid Ollama address",
        "Set OLLAMA_HOST or llm.host to a URL such as http://127.0.0.1:11434.",
    )
