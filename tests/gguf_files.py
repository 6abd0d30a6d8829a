"""Small GGUF files for the library, download and doctor tests: a real header (the magic bytes, version 3,
the key-value section with ``general.name``) followed by padding, so a test can choose the size."""

from __future__ import annotations

import struct
from pathlib import Path


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def gguf_bytes(name: str, padding: int = 0) -> bytes:
    """A GGUF header naming the model ``name`` (after an array key, as real files have), then zeros."""
    keys = [
        _string("general.architecture") + struct.pack("<I", 8) + _string("llama"),
        _string("general.languages") + struct.pack("<IIQ", 9, 8, 2) + _string("en") + _string("fr"),
        _string("general.size_label") + struct.pack("<I", 8) + _string("1M"),
        _string("llama.block_count") + struct.pack("<II", 4, 2),
        _string("general.name") + struct.pack("<I", 8) + _string(name),
    ]
    header = b"GGUF" + struct.pack("<IQQ", 3, 0, len(keys)) + b"".join(keys)
    return header + bytes(padding)


def write_gguf(path: Path, name: str, padding: int = 0) -> Path:
    """``gguf_bytes(name, padding)`` written at ``path`` (its folder made)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gguf_bytes(name, padding))
    return path
