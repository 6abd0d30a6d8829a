"""The Ollama API key lives in the keyring only: it travels to the server on every request and is
written nowhere under the app's home (settings, logs at DEBUG, the history database, the models)."""

from __future__ import annotations

import io
import json
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_assistant.__main__ import main
from desktop_assistant.bench.ollama_api import OllamaTestServer
from desktop_assistant.config.logfile import LOG_FILE_NAME, configure_logging
from desktop_assistant.llm.ollama_chat import API_KEY_SECRET
from desktop_assistant.store.history import DATABASE_NAME
from tests.config.test_secrets import MemoryKeyring
from tests.security.conftest import files_holding

pytestmark = [pytest.mark.cli, pytest.mark.model, pytest.mark.ollama]


def test_a_token_goes_to_the_server_and_nowhere_on_disk(
    home: Path,
    memory_keyring: MemoryKeyring,
    ollama_server: OllamaTestServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    token = "sk-" + secrets.token_urlsafe(24)
    monkeypatch.setenv("OLLAMA_HOST", ollama_server.url)
    monkeypatch.setattr(sys, "stdin", io.StringIO(token + "\n"))
    for name in ("httpx", "httpcore"):
        monkeypatch.setattr(logging.getLogger(name), "level", logging.DEBUG)
    assert main(["secret", "set", API_KEY_SECRET]) == 0
    assert memory_keyring.passwords == {("desktop-assistant", API_KEY_SECRET): token}
    for question in ("What is the capital of France?", "And of Spain?"):
        assert main(["--verbose", "ask", "--text", question, "--json"]) == 0
        assert json.loads(capsys.readouterr().out.splitlines()[-1])["error"] is None
    log = (home / "logs" / LOG_FILE_NAME).read_text()
    assert "DEBUG" in log and "httpx" in log  # the scan below reads a log that had its chance
    assert list(home.rglob(DATABASE_NAME)), "the turns were kept in the history"
    assert len(ollama_server.requests_to("/api/chat")) >= 2
    assert {r.headers.get("authorization") for r in ollama_server.requests} == {f"Bearer {token}"}
    assert files_holding(home, token) == []


def test_with_no_keyring_the_cli_says_so_and_writes_the_token_nowhere(tmp_path: Path) -> None:
    token = "sk-" + secrets.token_urlsafe(24)
    home = tmp_path / "home"
    env = {
        **os.environ,
        "DESKTOP_ASSISTANT_HOME": str(home),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "HOME": str(tmp_path),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "desktop_assistant", "--verbose", "secret", "set", API_KEY_SECRET],
        input=token + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "error: No keyring backend is available to keep secrets. Install and unlock a keyring such as "
        "GNOME Keyring or KWallet (macOS Keychain and Windows Credential Locker work out of the box)."
    ]
    assert proc.stdout == ""
    assert files_holding(tmp_path, token) == []


def test_the_log_masks_authorization_and_bearer_values(tmp_path: Path) -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    log_path = configure_logging(tmp_path, verbose=True)
    log = logging.getLogger("httpx")
    try:
        log.debug("request headers: %s", {"Authorization": "Bearer sk-in-args"})
        log.debug("Authorization: Bearer sk-in-message")
        log.debug("raw %r", [(b"authorization", b"Bearer sk-in-bytes")])
        log.debug("token %s sent", "bearer sk-bare")
        try:
            raise RuntimeError("refused Authorization: Basic c2staW4tZXhjZXB0aW9u")
        except RuntimeError:
            log.exception("request failed")
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(level)
    text = log_path.read_text()
    for secret in ("sk-in-args", "sk-in-message", "sk-in-bytes", "sk-bare", "c2staW4tZXhjZXB0aW9u"):
        assert secret not in text
    assert text.count("***") == 6  # the traceback quotes its line and the exception: two
    assert "request headers: {'Authorization': '***'}" in text
    assert "Authorization: ***" in text
