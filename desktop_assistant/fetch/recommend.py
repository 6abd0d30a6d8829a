"""Which downloadable models suit this machine: the one rule install.sh, doctor and the first run share."""

from __future__ import annotations

import os

from desktop_assistant.fetch import catalog as kinds
from desktop_assistant.fetch.catalog import Catalog, CatalogEntry

KOKORO_MODEL = "kokoro-v1.0"
KOKORO_VOICES = "kokoro-voices-v1.0"
# small.en is about three times slower than base.en: worth it from four cores and 8 GB on.
SMALL_WHISPER_CORES = 4
SMALL_WHISPER_MEMORY = 8_000_000_000


def machine_memory() -> int | None:
    """Physical memory in bytes, where the OS tells (Linux, macOS); None elsewhere."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def recommended_whisper(cores: int | None = None, memory: int | None = None) -> str:
    """The catalog name of the Whisper model this machine suits: small.en from four cores and 8 GB."""
    cores = cores if cores is not None else os.cpu_count() or 1
    memory = memory if memory is not None else machine_memory() or 0
    if cores >= SMALL_WHISPER_CORES and memory >= SMALL_WHISPER_MEMORY:
        return "whisper-small.en"
    return "whisper-base.en"


def recommended_entries(catalog: Catalog) -> list[CatalogEntry]:
    """What a new install downloads, in order: Whisper, the Kokoro model, its voices. A catalog without
    a recommended entry (a private mirror's own) offers its first entry of that kind instead."""
    wanted = (
        (recommended_whisper(), kinds.WHISPER),
        (KOKORO_MODEL, kinds.KOKORO_MODEL),
        (KOKORO_VOICES, kinds.KOKORO_VOICES),
    )
    return [_named_or_first(catalog, name, kind) for name, kind in wanted]


def _named_or_first(catalog: Catalog, name: str, kind: str) -> CatalogEntry:
    """The entry ``name``, else the catalog's first of ``kind``; a catalog with none names ``name``."""
    of_kind = catalog.of_kind(kind)
    return next((e for e in of_kind if e.name == name), of_kind[0] if of_kind else catalog.get(name))
