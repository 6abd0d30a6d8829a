"""The history's files beside the database: full copies and thumbnails of the images asked about, all
readable by the owner only."""

from __future__ import annotations

import io
import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from desktop_assistant.llm.base import PreparedImage

log = logging.getLogger(__name__)

THUMBNAIL_SIDE = 160
_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg"}


def owner_only_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (SQLite gives its WAL the database's mode),
    and take group and other access away from one that does."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(descriptor)
    os.chmod(path, 0o600)


def write_owner_only(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, mode 0600."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mkstemp: mode 0600
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class SavedImage:
    """An image of a turn and the names of its files in the images folder (None: not kept)."""

    position: int
    image: PreparedImage
    file: str | None
    thumbnail: str | None


class ImageFiles:
    """The images folder: ``<turn>-<n>.png|jpg`` as sent to the model and ``<turn>-<n>-thumb.png``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def save(self, turn_id: str, position: int, image: PreparedImage, keep: bool) -> SavedImage:
        """Write the image's copy and thumbnail (when ``keep``); a failure keeps the turn without them."""
        if not keep:
            return SavedImage(position, image, None, None)
        name = f"{turn_id}-{position}"
        file = name + _EXTENSIONS.get(image.mime, ".img")
        thumbnail = f"{name}-thumb.png"
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_owner_only(self.folder / file, image.data)
            write_owner_only(self.folder / thumbnail, _thumbnail(image.data))
        except OSError as exc:
            log.warning("The image %s could not be kept in the history: %s", image.source, exc)
            return SavedImage(position, image, None, None)
        return SavedImage(position, image, file, thumbnail)

    @staticmethod
    def row(saved: SavedImage) -> tuple[object, ...]:
        """The columns of an ``images`` row after the turn id."""
        image = saved.image
        return (
            saved.position,
            image.source,
            image.mime,
            image.width,
            image.height,
            saved.file,
            saved.thumbnail,
        )

    def path(self, name: str | None) -> Path | None:
        """The file a row names, if any."""
        return None if name is None else self.folder / name

    def remove(self, names: Iterable[str]) -> None:
        """Remove the named files (ones already gone are fine)."""
        for name in names:
            (self.folder / name).unlink(missing_ok=True)

    def remove_strays(self) -> None:
        """Remove every file of the folder (after all conversations are deleted)."""
        if self.folder.is_dir():
            self.remove(entry.name for entry in self.folder.iterdir() if entry.is_file())


def _thumbnail(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        out = io.BytesIO()
        image.save(out, format="PNG")
    return out.getvalue()
