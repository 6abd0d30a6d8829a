"""Images for the model: validate, decode fully, orient, flatten, downscale and re-encode.

Screenshots stay lossless (PNG) while small enough; photos and large results become JPEG.
Every failure is an ``ImageError`` with one line and a hint.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from desktop_assistant.errors import ImageError
from desktop_assistant.llm.base import PreparedImage

SUPPORTED_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")
MAX_FILE_BYTES = 50 * 1024 * 1024
# Below Pillow's own bomb threshold, so Pillow never warns about an image this module accepts.
MAX_PIXELS = 80_000_000
MAX_PNG_BYTES = 4 * 1024 * 1024
JPEG_QUALITY = 90
_FORMATS_HINT = "Use a PNG, JPEG, WEBP, GIF, BMP or TIFF image."


def prepare_image(path: Path, max_side: int = 1568) -> PreparedImage:
    """Read the image at ``path`` and prepare it for the model (see ``prepare_image_bytes``)."""
    if path.is_dir():
        raise ImageError(f"'{path}' is a folder, not an image", "Choose an image file.")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _too_many_bytes(str(path), size)
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImageError(f"Image not found: '{path}'", "Check the path and try again.") from None
    except PermissionError:
        raise ImageError(
            f"Cannot read '{path}': permission denied", "Check the file's permissions."
        ) from None
    except OSError as exc:
        raise ImageError(
            f"Cannot read '{path}': {exc.strerror or exc}", "Check the file and try again."
        ) from exc
    return prepare_image_bytes(data, str(path), max_side)


def prepare_image_bytes(data: bytes, source: str, max_side: int = 1568) -> PreparedImage:
    """Check and re-encode an encoded image (e.g. pasted data); ``source`` names it in messages.

    The result is RGB with EXIF orientation applied and transparency flattened on white, its
    longest side at most ``max_side`` pixels: PNG when that stays under ``MAX_PNG_BYTES`` and the
    original was not a JPEG, otherwise JPEG.
    """
    if len(data) > MAX_FILE_BYTES:
        raise _too_many_bytes(source, len(data))
    image, original_format = _decode(data, source)
    try:
        image = _to_rgb(ImageOps.exif_transpose(image))
        image = _fit(image, max_side)
    except (OSError, ValueError) as exc:
        raise ImageError(
            f"Image '{source}' cannot be converted for the model ({exc})",
            "Save it as PNG or JPEG and try again.",
        ) from exc
    data_out, mime = _encode(image, lossless=original_format != "JPEG")
    return PreparedImage(data=data_out, mime=mime, width=image.width, height=image.height, source=source)


def _decode(data: bytes, source: str) -> tuple[Image.Image, str]:
    """Open from the header, check type and pixel count, then decode every byte of the first frame."""
    try:
        # Scoped here (not process-wide) so a bomb is refused at the header, not decoded.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(source, None) from None
    except UnidentifiedImageError:
        raise ImageError(f"'{source}' is not an image", _FORMATS_HINT) from None
    except Exception as exc:
        # Pillow's header parsers raise many unrelated types (SyntaxError, struct.error...) on bad data.
        raise _damaged(source) from exc
    original_format = image.format or "unknown"
    if original_format not in SUPPORTED_FORMATS:
        raise ImageError(f"'{source}' is in {original_format} format, which is not supported", _FORMATS_HINT)
    if image.width * image.height > MAX_PIXELS:
        raise _too_many_pixels(source, image.size)
    try:
        image.load()
    except Exception as exc:
        # Decoders likewise raise OSError, ValueError, EOFError or zlib errors for truncated data.
        raise _damaged(source) from exc
    return image, original_format


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "I" or image.mode.startswith("I;16"):
        # A plain conversion clips 16-bit samples to white; scale them to 8 bits instead.
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image if image.mode == "RGB" else image.convert("RGB")


def _fit(image: Image.Image, max_side: int) -> Image.Image:
    width, height = image.size
    longest = max(width, height)
    if longest <= max_side:
        return image
    if width >= height:
        size = (max_side, max(1, round(height * max_side / width)))
    else:
        size = (max(1, round(width * max_side / height)), max_side)
    return image.resize(size, Image.Resampling.LANCZOS)


def _encode(image: Image.Image, lossless: bool) -> tuple[bytes, str]:
    if lossless:
        out = io.BytesIO()
        image.save(out, format="PNG")
        if out.tell() <= MAX_PNG_BYTES:
            return out.getvalue(), "image/png"
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY)
    return out.getvalue(), "image/jpeg"


def _too_many_bytes(source: str, size: int) -> ImageError:
    return ImageError(
        f"Image '{source}' is too large ({size / 1024 / 1024:.1f} MB)",
        f"Use an image under {MAX_FILE_BYTES // 1024 // 1024} MB.",
    )


def _too_many_pixels(source: str, size: tuple[int, int] | None) -> ImageError:
    dims = f" ({size[0]} x {size[1]} pixels)" if size else ""
    return ImageError(
        f"Image '{source}' has too many pixels to decode{dims}",
        f"Use an image under {MAX_PIXELS // 1_000_000} megapixels: crop or downscale it first.",
    )


def _damaged(source: str) -> ImageError:
    return ImageError(f"Image '{source}' is damaged or incomplete", "Save or capture the image again.")
