"""What the security tests share: a keyring in memory, a home with the packaged models, and a scan of
every file under a folder for a secret."""

from __future__ import annotations

import base64
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.config.test_secrets import MemoryKeyring, use_keyring


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """The process's keyring for the test: one in memory (``tests/config``'s); the earlier one afterwards."""
    with use_keyring(MemoryKeyring()) as backend:
        assert isinstance(backend, MemoryKeyring)
        yield backend


@pytest.fixture
def home(model_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A DESKTOP_ASSISTANT_HOME of the test's own: the packaged models' settings copied, their models
    folder linked; root logging as it was afterwards (``main`` adds the log file's handlers)."""
    root = tmp_path / "home"
    shutil.copytree(model_home / "config", root / "config")
    root.joinpath("models").symlink_to(model_home / "models", target_is_directory=True)
    monkeypatch.setenv("DESKTOP_ASSISTANT_HOME", str(root))
    logger = logging.getLogger()
    handlers, level = list(logger.handlers), logger.level
    try:
        yield root
    finally:
        for handler in [h for h in logger.handlers if h not in handlers]:
            logger.removeHandler(handler)
            handler.close()
        logger.setLevel(level)


def files_holding(folder: Path, secret: str) -> list[str]:
    """Every file under ``folder`` (links followed) holding ``secret``, as text or in base64."""
    needles = (
        secret.encode(),
        base64.b64encode(secret.encode()),
        base64.b64encode(b"Bearer " + secret.encode()),
    )
    found: list[str] = []
    scanned = 0
    for dirpath, _dirs, names in os.walk(folder, followlinks=True):
        for name in names:
            data = Path(dirpath, name).read_bytes()
            scanned += 1
            if any(needle in data for needle in needles):
                found.append(str(Path(dirpath, name).relative_to(folder)))
    assert scanned > 0, f"nothing to scan under {folder}"
    return found
