"""Pending images for the next question: added by drop, paste or a file picker, shown as removable
thumbnails. Decoding and downscaling run on one worker thread, never on the GUI thread."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QMimeData, QObject, Qt, Signal
from PySide6.QtGui import QImage, QImageWriter, QPalette, QPixmap
from PySide6.QtWidgets import QFileDialog, QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

from desktop_assistant.errors import ImageError
from desktop_assistant.llm.base import PreparedImage
from desktop_assistant.llm.images import prepare_image, prepare_image_bytes

log = logging.getLogger(__name__)

THUMBNAIL_SIDE = 48
# Encoded formats taken as they are, before asking Qt to re-encode a decoded clipboard image.
_ENCODED_IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif", "image/bmp", "image/tiff")
_PNG_COMPRESSION = 1
_FILE_FILTER = "*.png *.jpg *.jpeg *.webp *.gif *.bmp *.tif *.tiff"


@dataclass(frozen=True, eq=False)
class PendingImage:
    """A prepared image with its thumbnail and the name the user knows it by."""

    image: PreparedImage
    thumbnail: QImage
    name: str


def carries_images(mime: QMimeData) -> bool:
    """Whether ``mime`` holds local files or image data the tray would take."""
    return bool(local_files(mime)) or mime.hasImage() or any(map(mime.hasFormat, _ENCODED_IMAGE_TYPES))


def local_files(mime: QMimeData) -> list[Path]:
    """The local files among ``mime``'s URLs."""
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()] if mime.hasUrls() else []


def _png_bytes(image: QImage) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QImageWriter(buffer, b"png")
    # The bytes are decoded again at once: fast beats small.
    writer.setCompression(_PNG_COMPRESSION)
    writer.write(image)
    return bytes(buffer.data().data())


class ImagePreparer(QObject):
    """Prepares images on one worker thread; results arrive on the GUI thread through queued signals."""

    prepared = Signal(object)
    failed = Signal(str)

    def __init__(self, max_side: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._max_side = max_side
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="image-preparer")
        self._closed = False

    def prepare_file(self, path: Path) -> None:
        """Prepare the image file at ``path``."""
        self._submit(path.name, lambda: prepare_image(path, self._max_side))

    def prepare_bytes(self, data: bytes, name: str) -> None:
        """Prepare an encoded image (e.g. pasted PNG data)."""
        self._submit(name, lambda: prepare_image_bytes(data, name, self._max_side))

    def prepare_qimage(self, image: QImage, name: str) -> None:
        """Prepare a decoded image (a screenshot on the clipboard); it is encoded on the worker too."""
        self._submit(name, lambda: prepare_image_bytes(_png_bytes(image), name, self._max_side))

    def shutdown(self) -> None:
        """Drop queued work, wait for the image in progress and stop the worker thread."""
        self._closed = True
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _submit(self, name: str, prepare: Callable[[], PreparedImage]) -> None:
        if not self._closed:
            self._executor.submit(self._run, name, prepare)

    def _run(self, name: str, prepare: Callable[[], PreparedImage]) -> None:
        try:
            image = prepare()
        except ImageError as exc:
            self.failed.emit(exc.line())
            return
        except Exception:
            log.exception("preparing image %s failed", name)
            self.failed.emit(ImageError(f"Image '{name}' could not be read", "Try another image.").line())
            return
        thumbnail = QImage.fromData(image.data).scaled(
            THUMBNAIL_SIDE,
            THUMBNAIL_SIDE,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        self.prepared.emit(PendingImage(image, thumbnail, name))


class _Thumbnail(QFrame):
    """One pending image: its thumbnail and a remove button."""

    remove_clicked = Signal(object)

    def __init__(self, entry: PendingImage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry = entry
        picture = QLabel(self)
        picture.setPixmap(QPixmap.fromImage(entry.thumbnail))
        picture.setToolTip(f"{entry.name} ({entry.image.width}x{entry.image.height})")
        picture.setAccessibleName(self.tr("Image {name}").format(name=entry.name))
        self.remove_button = QToolButton(self)
        self.remove_button.setText("✕")
        self.remove_button.setToolTip(self.tr("Remove image {name}").format(name=entry.name))
        self.remove_button.setAccessibleName(self.tr("Remove image {name}").format(name=entry.name))
        self.remove_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.remove_button.clicked.connect(self._on_remove)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(picture)
        layout.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)
        self.setFrameShape(QFrame.Shape.StyledPanel)

    def _on_remove(self) -> None:
        self.remove_clicked.emit(self)


class ImageTray(QWidget):
    """The images waiting to go with the next question.

    Images stay here until the turn they were sent with has its transcript (``take_sent``), so a
    discarded tap does not lose them. ``failed`` carries one line for the status line.
    """

    failed = Signal(str)

    def __init__(self, max_side: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._preparer = ImagePreparer(max_side, self)
        self._preparer.prepared.connect(self._add)
        self._preparer.failed.connect(self.failed)
        self._thumbnails: list[_Thumbnail] = []
        self._sent: dict[str, tuple[PreparedImage, ...]] = {}
        self._pasted = 0
        self.add_button = QPushButton(self.tr("Add image…"), self)
        self.add_button.setAccessibleName(self.tr("Add image"))
        self.add_button.setToolTip(self.tr("Choose image files to ask about"))
        self.add_button.clicked.connect(self._pick_files)
        self._hint = QLabel(self.tr("Drop or paste (Ctrl+V) images to ask about them"), self)
        self._hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._row = QHBoxLayout()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.add_button)
        layout.addLayout(self._row)
        layout.addWidget(self._hint)
        layout.addStretch(1)

    def add_files(self, paths: Iterable[Path]) -> None:
        """Prepare each file in the background; a bad one reports through ``failed``."""
        for path in paths:
            self._preparer.prepare_file(path)

    def add_mime(self, mime: QMimeData) -> bool:
        """Take the local image files or the image in ``mime`` (a drop or the clipboard).

        Returns whether there was anything to take.
        """
        files = local_files(mime)
        if files:
            self.add_files(files)
            return True
        encoded = next((kind for kind in _ENCODED_IMAGE_TYPES if mime.hasFormat(kind)), None)
        if encoded is not None:
            self._preparer.prepare_bytes(bytes(mime.data(encoded).data()), self._pasted_name())
            return True
        if mime.hasImage():
            image = QImage(mime.imageData())
            if not image.isNull():
                self._preparer.prepare_qimage(image, self._pasted_name())
                return True
        return False

    def pending(self) -> tuple[PreparedImage, ...]:
        """The images that go with the next question, in the order they were added."""
        return tuple(thumbnail.entry.image for thumbnail in self._thumbnails)

    def remove_buttons(self) -> list[QToolButton]:
        """Each thumbnail's remove button, in the tray's order."""
        return [thumbnail.remove_button for thumbnail in self._thumbnails]

    def mark_sent(self, turn_id: str, images: Sequence[PreparedImage]) -> None:
        """``images`` went with turn ``turn_id``; they leave the tray once its transcript arrives."""
        self._sent[turn_id] = tuple(images)

    def take_sent(self, turn_id: str) -> tuple[PendingImage, ...]:
        """Remove and return the images sent with ``turn_id`` that are still in the tray."""
        return self.take(self._sent.pop(turn_id, ()))

    def take(self, images: Sequence[PreparedImage]) -> tuple[PendingImage, ...]:
        """Remove and return the tray's entries for ``images``."""
        taken = [thumbnail for thumbnail in self._thumbnails if thumbnail.entry.image in images]
        for thumbnail in taken:
            self._remove(thumbnail)
        return tuple(thumbnail.entry for thumbnail in taken)

    def forget(self, turn_id: str) -> None:
        """Turn ``turn_id`` ended: its images, if still here, stay pending for the next question."""
        self._sent.pop(turn_id, None)

    def shutdown(self) -> None:
        """Stop the worker thread (the window is closing)."""
        self._preparer.shutdown()

    def _pasted_name(self) -> str:
        self._pasted += 1
        return self.tr("pasted image {number}").format(number=self._pasted)

    def _pick_files(self) -> None:
        dialog = QFileDialog(self, self.tr("Add images"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        images = self.tr("Images ({patterns})").format(patterns=_FILE_FILTER)
        dialog.setNameFilters([images, self.tr("All files (*)")])
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.filesSelected.connect(self._files_picked)
        dialog.open()

    def _files_picked(self, files: list[str]) -> None:
        self.add_files(Path(name) for name in files)

    def _add(self, entry: PendingImage) -> None:
        thumbnail = _Thumbnail(entry, self)
        thumbnail.remove_clicked.connect(self._remove_clicked)
        previous = self._thumbnails[-1].remove_button if self._thumbnails else self.add_button
        self._row.addWidget(thumbnail)
        QWidget.setTabOrder(previous, thumbnail.remove_button)
        self._thumbnails.append(thumbnail)
        self._hint.hide()

    def _remove_clicked(self, thumbnail: _Thumbnail) -> None:
        index = self._thumbnails.index(thumbnail)
        self._remove(thumbnail)
        if self._thumbnails:
            self._thumbnails[min(index, len(self._thumbnails) - 1)].remove_button.setFocus()
        else:
            self.add_button.setFocus()

    def _remove(self, thumbnail: _Thumbnail) -> None:
        self._thumbnails.remove(thumbnail)
        thumbnail.hide()
        thumbnail.deleteLater()
        self._hint.setVisible(not self._thumbnails)
