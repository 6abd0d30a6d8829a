"""Image preparation: validation, orientation, flattening, downscaling and encoding."""

from __future__ import annotations

import io
import random
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from desktop_assistant.errors import ImageError
from desktop_assistant.llm.base import PreparedImage
from desktop_assistant.llm.images import MAX_FILE_BYTES, prepare_image, prepare_image_bytes

RED = (220, 20, 60)
BLUE = (20, 40, 230)
FORMATS_HINT = "Use a PNG, JPEG, WEBP, GIF, BMP or TIFF image."


def encoded(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def decoded(prepared: PreparedImage) -> Image.Image:
    image = Image.open(io.BytesIO(prepared.data))
    image.load()
    return image


def near(pixel: object, color: tuple[int, int, int], tolerance: int) -> bool:
    """Whether a decoded RGB pixel is within ``tolerance`` of ``color`` on every channel."""
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, color, strict=True))


def two_halves(width: int, height: int) -> Image.Image:
    """Left half red, right half blue."""
    image = Image.new("RGB", (width, height), RED)
    image.paste(BLUE, (width // 2, 0, width, height))
    return image


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims ``width`` x ``height`` but whose data is a few bytes."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


def assert_image_error(exc: pytest.ExceptionInfo[ImageError], message: str, hint: str) -> None:
    assert (exc.value.message, exc.value.hint) == (message, hint)


@pytest.mark.parametrize(
    ("fmt", "params"),
    [("PNG", {}), ("WEBP", {"lossless": True}), ("GIF", {}), ("BMP", {}), ("TIFF", {})],
)
def test_lossless_sources_become_png_with_the_same_pixels(
    tmp_path: Path, fmt: str, params: dict[str, object]
) -> None:
    path = write(tmp_path, f"shot.{fmt.lower()}", encoded(two_halves(64, 32), fmt, **params))
    prepared = prepare_image(path)
    assert (prepared.mime, prepared.width, prepared.height, prepared.source) == (
        "image/png",
        64,
        32,
        str(path),
    )
    image = decoded(prepared)
    assert (image.format, image.mode, image.size) == ("PNG", "RGB", (64, 32))
    assert image.getpixel((5, 16)) == RED
    assert image.getpixel((60, 16)) == BLUE


def test_jpeg_stays_jpeg(tmp_path: Path) -> None:
    path = write(tmp_path, "photo.jpg", encoded(Image.new("RGB", (80, 60), RED), "JPEG", quality=95))
    prepared = prepare_image(path)
    image = decoded(prepared)
    assert (prepared.mime, image.format, image.size) == ("image/jpeg", "JPEG", (80, 60))
    assert near(image.getpixel((40, 30)), RED, 4)


@pytest.mark.parametrize(
    ("size", "max_side", "expected"),
    [((4000, 1000), 1568, (1568, 392)), ((500, 3000), 300, (50, 300)), ((300, 300), 300, (300, 300))],
)
def test_the_longest_side_is_brought_to_max_side(
    size: tuple[int, int], max_side: int, expected: tuple[int, int]
) -> None:
    data = encoded(Image.new("RGB", size, BLUE), "PNG")
    prepared = prepare_image_bytes(data, "pasted", max_side)
    assert (prepared.width, prepared.height) == expected
    assert decoded(prepared).size == expected


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: display rotated 90 degrees clockwise
    data = encoded(two_halves(40, 20), "JPEG", quality=95, exif=exif.tobytes())
    prepared = prepare_image(write(tmp_path, "phone.jpg", data))
    image = decoded(prepared)
    assert (prepared.width, prepared.height) == (20, 40)
    assert near(image.getpixel((10, 5)), RED, 8)
    assert near(image.getpixel((10, 35)), BLUE, 8)


def test_transparency_is_flattened_on_white() -> None:
    image = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    image.paste((*RED, 255), (0, 0, 5, 10))
    prepared = prepare_image_bytes(encoded(image, "PNG"), "pasted")
    result = decoded(prepared)
    assert result.mode == "RGB"
    assert result.getpixel((2, 5)) == RED
    assert result.getpixel((8, 5)) == (255, 255, 255)


def test_grayscale_becomes_rgb() -> None:
    prepared = prepare_image_bytes(encoded(Image.new("L", (8, 8), 100), "PNG"), "pasted")
    result = decoded(prepared)
    assert (result.mode, result.getpixel((4, 4))) == ("RGB", (100, 100, 100))


def test_sixteen_bit_grayscale_is_scaled_not_clipped() -> None:
    prepared = prepare_image_bytes(encoded(Image.new("I;16", (8, 8), 30000), "PNG"), "scan.png")
    assert decoded(prepared).getpixel((4, 4)) == (117, 117, 117)


def test_a_large_lossless_result_falls_back_to_jpeg() -> None:
    noise = random.Random(7).randbytes(1400 * 1400 * 3)
    data = encoded(Image.frombytes("RGB", (1400, 1400), noise), "PNG")
    prepared = prepare_image_bytes(data, "noise.png", max_side=1568)
    assert (prepared.mime, decoded(prepared).format) == ("image/jpeg", "JPEG")
    assert (prepared.width, prepared.height) == (1400, 1400)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "gone.png"
    with pytest.raises(ImageError) as caught:
        prepare_image(path)
    assert_image_error(caught, f"Image not found: '{path}'", "Check the path and try again.")


def test_a_folder_is_not_an_image(tmp_path: Path) -> None:
    with pytest.raises(ImageError) as caught:
        prepare_image(tmp_path)
    assert_image_error(caught, f"'{tmp_path}' is a folder, not an image", "Choose an image file.")


def test_a_text_file_named_png_is_not_an_image(tmp_path: Path) -> None:
    path = write(tmp_path, "notes.png", b"just some text, not pixels\n")
    with pytest.raises(ImageError) as caught:
        prepare_image(path)
    assert_image_error(caught, f"'{path}' is not an image", FORMATS_HINT)


def test_a_truncated_png_is_damaged(tmp_path: Path) -> None:
    noise = random.Random(3).randbytes(200 * 200 * 3)
    data = encoded(Image.frombytes("RGB", (200, 200), noise), "PNG")
    path = write(tmp_path, "cut.png", data[: len(data) * 6 // 10])
    with pytest.raises(ImageError) as caught:
        prepare_image(path)
    assert_image_error(caught, f"Image '{path}' is damaged or incomplete", "Save or capture the image again.")


@pytest.mark.parametrize(
    ("width", "height", "dims"),
    [
        (9000, 9000, " (9000 x 9000 pixels)"),  # over this module's limit, under Pillow's
        (10000, 9000, ""),  # over Pillow's warning threshold
        (100_000, 100_000, ""),  # over Pillow's hard limit
    ],
)
def test_a_bomb_header_is_refused_before_decoding(width: int, height: int, dims: str) -> None:
    with pytest.raises(ImageError) as caught:
        prepare_image_bytes(png_header_only(width, height), "bomb.png")
    assert_image_error(
        caught,
        f"Image 'bomb.png' has too many pixels to decode{dims}",
        "Use an image under 80 megapixels: crop or downscale it first.",
    )


@pytest.mark.parametrize(("fmt", "name"), [("ICO", "icon.ico"), ("PPM", "frame.ppm")])
def test_unsupported_formats(tmp_path: Path, fmt: str, name: str) -> None:
    path = write(tmp_path, name, encoded(Image.new("RGB", (16, 16), RED), fmt))
    with pytest.raises(ImageError) as caught:
        prepare_image(path)
    assert_image_error(caught, f"'{path}' is in {fmt} format, which is not supported", FORMATS_HINT)


def test_a_file_over_the_byte_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    with path.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: the size is reported without writing 50 MB
    with pytest.raises(ImageError) as caught:
        prepare_image(path)
    assert_image_error(caught, f"Image '{path}' is too large (50.0 MB)", "Use an image under 50 MB.")


def test_pasted_data_over_the_byte_limit_is_refused() -> None:
    with pytest.raises(ImageError) as caught:
        prepare_image_bytes(bytes(MAX_FILE_BYTES + 1), "pasted")
    assert_image_error(caught, "Image 'pasted' is too large (50.0 MB)", "Use an image under 50 MB.")
