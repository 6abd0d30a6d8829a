"""What a GGUF file (llama.cpp's model format) says of itself, read from its header without loading it.

Imports refuse a file that does not start with the magic bytes, and doctor names the built-in model by
the header's ``general.name``: both cost a few kilobytes of reading, never the model's load.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

from desktop_assistant.errors import ModelFileError

MAGIC = b"GGUF"
SUFFIX = ".gguf"
NAME_KEY = "general.name"
# The general.* keys come first; a header that has not named the model by then never will.
MAX_KEYS = 64
# No string in a sound header is this long: a length past it is a damaged file, not a string to read.
MAX_STRING = 1 << 20
# Value types of the GGUF key-value section, by their byte widths (fixed-size ones) or kind.
_FIXED = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING = 8
_ARRAY = 9


def is_gguf(path: Path) -> bool:
    """Whether ``path`` is a file that starts with the GGUF magic bytes."""
    try:
        with path.open("rb") as handle:
            return handle.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def gguf_name(path: Path) -> str:
    """The model's ``general.name`` from the header; empty where the header does not give one.

    A file that is not GGUF, or whose header ends early, is a ``ModelFileError``.
    """
    try:
        with path.open("rb") as handle:
            if handle.read(len(MAGIC)) != MAGIC:
                raise ModelFileError(f"{path.name} is not a GGUF model file", _AGAIN)
            _version, _tensors, keys = struct.unpack("<IQQ", _read(handle, 20))
            for _ in range(min(keys, MAX_KEYS)):
                key = _string(handle)
                kind = _u32(handle)
                if key == NAME_KEY and kind == _STRING:
                    return _string(handle)
                _skip(handle, kind)
    except OSError as exc:
        raise ModelFileError(f"Cannot read {path} ({exc.strerror or exc})", _AGAIN) from None
    except _Truncated:
        damaged = f"The GGUF file {path.name} is damaged (its header is cut short or garbled)"
        raise ModelFileError(damaged, _AGAIN) from None
    return ""


_AGAIN = "Import or download the model again."


class _Truncated(Exception):
    """The header ended before what it announced, or announced what no sound header holds."""


def _read(handle: BinaryIO, size: int) -> bytes:
    data = handle.read(size)
    if len(data) != size:
        raise _Truncated
    return data


def _u32(handle: BinaryIO) -> int:
    value: int = struct.unpack("<I", _read(handle, 4))[0]
    return value


def _string(handle: BinaryIO) -> str:
    return _read(handle, _length(handle)).decode("utf-8", errors="replace")


def _length(handle: BinaryIO) -> int:
    (length,) = struct.unpack("<Q", _read(handle, 8))
    if length > MAX_STRING:
        raise _Truncated
    return int(length)


def _skip(handle: BinaryIO, kind: int) -> None:
    """Read past one value of type ``kind`` (an array's items included)."""
    if kind in _FIXED:
        _read(handle, _FIXED[kind])
    elif kind == _STRING:
        _read(handle, _length(handle))
    elif kind == _ARRAY:
        item = _u32(handle)
        (count,) = struct.unpack("<Q", _read(handle, 8))
        if item in _FIXED:
            handle.seek(_FIXED[item] * count, 1)
        else:
            for _ in range(count):
                _skip(handle, item)
    else:
        raise _Truncated
