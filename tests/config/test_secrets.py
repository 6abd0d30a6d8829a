"""Secrets in the keyring, through ``SecretStore`` and the ``secret`` command, over an in-memory backend."""

from __future__ import annotations

import argparse
import io
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.errors
import pytest
from keyring.backend import KeyringBackend

from desktop_assistant.cli import secret_cmd
from desktop_assistant.config.secrets import SERVICE, SecretStore
from desktop_assistant.errors import SecretStoreError

NO_KEYRING = (
    "No keyring backend is available to keep secrets. Install and unlock a keyring such as GNOME Keyring "
    "or KWallet (macOS Keychain and Windows Credential Locker work out of the box)."
)


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps passwords in a dict, so tests touch no real keyring."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.passwords.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


class BrokenKeyring(KeyringBackend):
    """A keyring whose every call fails the way a backend's own library would."""

    priority = 1

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.error


@contextmanager
def use_keyring(backend: KeyringBackend) -> Iterator[KeyringBackend]:
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def memory() -> Iterator[KeyringBackend]:
    with use_keyring(MemoryKeyring()) as backend:
        yield backend


def run_secret(argv: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch) -> int:
    parser = argparse.ArgumentParser(prog="desktop-assistant")
    secret_cmd.register(parser.add_subparsers(dest="command", required=True))
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    args = parser.parse_args(argv)
    status: int = args.func(args)
    return status


def test_set_get_delete(memory: MemoryKeyring) -> None:
    store = SecretStore()
    assert store.get("api-key") is None
    store.set("api-key", "sk-1")
    store.set("api-key", "sk-2")
    assert memory.passwords == {(SERVICE, "api-key"): "sk-2"}
    assert store.get("api-key") == "sk-2"
    store.delete("api-key")
    assert memory.passwords == {}


def test_deleting_a_missing_secret_is_a_clear_error(memory: MemoryKeyring) -> None:
    with pytest.raises(SecretStoreError) as caught:
        SecretStore().delete("nothing")
    assert caught.value.line() == (
        "No secret named 'nothing' is stored. Run 'desktop-assistant secret set NAME' to store one."
    )


def test_empty_value_and_empty_name_are_refused(memory: MemoryKeyring) -> None:
    with pytest.raises(SecretStoreError, match="Refusing to store an empty secret 'k'"):
        SecretStore().set("k", "")
    with pytest.raises(SecretStoreError, match="A secret needs a name"):
        SecretStore().set(" ", "v")
    assert memory.passwords == {}


def test_no_backend_gives_the_hint() -> None:
    with use_keyring(keyring.backends.fail.Keyring()):
        with pytest.raises(SecretStoreError) as caught:
            SecretStore().get("k")
        assert caught.value.line() == NO_KEYRING


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (keyring.errors.NoKeyringError("none"), NO_KEYRING),
        (
            keyring.errors.KeyringLocked("locked"),
            "The keyring could not store the secret 'k': locked. Install and unlock",
        ),
        (
            ConnectionRefusedError("bus gone"),
            "The keyring could not store the secret 'k': bus gone. Install and",
        ),
    ],
)
def test_backend_errors_become_secret_store_errors(error: Exception, message: str) -> None:
    with use_keyring(BrokenKeyring(error)):
        with pytest.raises(SecretStoreError) as caught:
            SecretStore().set("k", "v")
        assert caught.value.line().startswith(message)


def test_cli_set_reads_stdin_and_never_shows_the_value(
    memory: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("DESKTOP_ASSISTANT_HOME", str(tmp_path))
    with caplog.at_level(logging.DEBUG):
        assert run_secret(["secret", "set", "api-key"], "  sk-secret-123\n", monkeypatch) == 0
    assert memory.passwords == {(SERVICE, "api-key"): "sk-secret-123"}
    out = capsys.readouterr()
    assert out.out == "Secret 'api-key' stored in the keyring.\n"
    assert out.err == ""
    assert "sk-secret" not in caplog.text
    assert list(tmp_path.iterdir()) == []


def test_cli_set_keeps_a_multi_line_value(memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    run_secret(["secret", "set", "cert"], "line one\nline two\n", monkeypatch)
    assert memory.passwords[(SERVICE, "cert")] == "line one\nline two"


def test_cli_refuses_an_empty_value(memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SecretStoreError, match="Refusing to store an empty secret 'api-key'"):
        run_secret(["secret", "set", "api-key"], " \n", monkeypatch)
    assert memory.passwords == {}


def test_cli_delete(
    memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    memory.passwords[(SERVICE, "api-key")] = "sk"
    assert run_secret(["secret", "delete", "api-key"], "", monkeypatch) == 0
    assert capsys.readouterr().out == "Secret 'api-key' deleted from the keyring.\n"
    assert memory.passwords == {}
    with pytest.raises(SecretStoreError, match="No secret named 'api-key' is stored"):
        run_secret(["secret", "delete", "api-key"], "", monkeypatch)
