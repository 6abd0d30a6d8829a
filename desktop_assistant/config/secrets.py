"""Secrets (API keys, tokens) kept in the OS keyring; never in the settings file, the logs or history."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import keyring
import keyring.backends.fail
import keyring.errors

from desktop_assistant.errors import SecretStoreError, first_line

SERVICE = "desktop-assistant"
NO_KEYRING_HINT = (
    "Install and unlock a keyring such as GNOME Keyring or KWallet "
    "(macOS Keychain and Windows Credential Locker work out of the box)."
)

_log = logging.getLogger(__name__)
_T = TypeVar("_T")


class SecretStore:
    """Get, set and delete named secrets under one keyring service."""

    def __init__(self, service: str = SERVICE) -> None:
        self._service = service

    def get(self, name: str) -> str | None:
        """The secret called ``name``, or None when none is stored."""
        return self._call("read", name, lambda: keyring.get_password(self._service, name))

    def set(self, name: str, value: str) -> None:
        """Store ``value`` as the secret called ``name``, replacing any earlier one."""
        if not value:
            raise SecretStoreError(
                f"Refusing to store an empty secret '{name}'", "Give the value on standard input."
            )
        self._call("store", name, lambda: keyring.set_password(self._service, name, value))
        _log.info("Secret '%s' stored in the keyring", name)

    def delete(self, name: str) -> None:
        """Remove the secret called ``name``; it is an error if none is stored."""
        if self.get(name) is None:
            raise SecretStoreError(
                f"No secret named '{name}' is stored",
                "Run 'desktop-assistant secret set NAME' to store one.",
            )
        self._call("delete", name, lambda: keyring.delete_password(self._service, name))
        _log.info("Secret '%s' deleted from the keyring", name)

    def _call(self, action: str, name: str, operation: Callable[[], _T]) -> _T:
        if not name.strip():
            raise SecretStoreError("A secret needs a name", "Give a name such as 'ollama-api-key'.")
        backend = keyring.get_keyring()
        if isinstance(backend, keyring.backends.fail.Keyring):
            raise _no_keyring()
        try:
            return operation()
        except keyring.errors.NoKeyringError:
            raise _no_keyring() from None
        # Backends (Secret Service over D-Bus, KWallet, macOS, Windows) raise their own exception types.
        except Exception as exc:
            raise SecretStoreError(
                f"The keyring could not {action} the secret '{name}': {first_line(exc)}",
                NO_KEYRING_HINT,
            ) from None


def _no_keyring() -> SecretStoreError:
    return SecretStoreError("No keyring backend is available to keep secrets", NO_KEYRING_HINT)
