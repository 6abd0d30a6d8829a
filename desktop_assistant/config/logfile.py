"""Logging to a rotating file, with warnings also shown on standard error as one plain line."""

from __future__ import annotations

import logging
import re
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

from desktop_assistant.errors import ConfigError

LOG_FILE_NAME = "desktop-assistant.log"
FILE_FORMAT = "%(asctime)s %(levelname)-7s [%(threadName)s] %(name)s: %(message)s"

# Handler names mark the handlers this module owns, so a second call replaces rather than adds.
_FILE_HANDLER = "desktop-assistant-file"
_STDERR_HANDLER = "desktop-assistant-stderr"


# An Authorization header's value (any scheme), in any of the shapes a record may carry it (a header
# line, a dict, httpcore's byte pairs), and a bare Bearer token anywhere.
_HEADER = re.compile(
    r"""(\bauthorization['"]?\s*[:=,]\s*(?:b?['"])?)(?:(?:bearer|basic|token)\s+)?[^\s'",;)\]}]+""",
    re.IGNORECASE,
)
_BEARER = re.compile(r"""(\bbearer\s+)[^\s'",;)\]}]+""", re.IGNORECASE)
MASK = "***"


def mask_credentials(text: str) -> str:
    """``text`` with every Authorization header value and Bearer token replaced by ``***``."""
    return _BEARER.sub(rf"\g<1>{MASK}", _HEADER.sub(rf"\g<1>{MASK}", text))


class CredentialFilter(logging.Filter):
    """Masks credentials in a record's message and arguments before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = mask_credentials(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        # A traceback quotes source lines and exception text; formatters reuse ``exc_text`` once set.
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = record.exc_text or logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_credentials(record.exc_text)
        return True


class _PlainFormatter(logging.Formatter):
    """``warning: <message>``: the level in lower case, as the CLI writes its own ``error:`` lines."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


def configure_logging(
    log_dir: Path, verbose: bool = False, max_bytes: int = 1_000_000, backup_count: int = 3
) -> Path:
    """Log to ``log_dir/desktop-assistant.log`` (rotated) and warnings to stderr; return the log path.

    INFO and above go to the file (DEBUG with ``verbose``). Calling again replaces this module's
    handlers instead of adding more, so the root logger never writes a record twice.
    """
    log_path = log_dir / LOG_FILE_NAME
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        file_handler = RotatingFileHandler(
            log_path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8"
        )
    except OSError as exc:
        raise ConfigError(
            f"Cannot open the log file {log_path}: {exc}",
            "Check that the folder is writable, or point DESKTOP_ASSISTANT_HOME elsewhere.",
        ) from None
    file_handler.set_name(_FILE_HANDLER)
    file_handler.setFormatter(logging.Formatter(FILE_FORMAT))
    file_handler.addFilter(CredentialFilter())

    stderr_handler = logging.StreamHandler(sys.stderr)
    stderr_handler.set_name(_STDERR_HANDLER)
    stderr_handler.setLevel(logging.WARNING)
    stderr_handler.setFormatter(_PlainFormatter())
    # Libraries' warnings (phonemizer's word-count notes, say) belong in the log file, not the terminal.
    stderr_handler.addFilter(logging.Filter("desktop_assistant"))
    stderr_handler.addFilter(CredentialFilter())

    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() in (_FILE_HANDLER, _STDERR_HANDLER)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(file_handler)
    root.addHandler(stderr_handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    return log_path
