"""Upload validation: every malformed, oversized or mislabelled image is one InvalidInputError."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from finadvisor.services.vision.images import ImageLimits, decode_image, sniff_format
from finadvisor.shared.errors import InvalidInputError


def _encode(fmt: str, size: tuple[int, int] = (120, 80)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(buf, format=fmt)
    return buf.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A valid PNG signature + IHDR claiming width x height, with almost no pixel data."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize(("fmt", "mime"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")])
def test_valid_images_decode(fmt: str, mime: str) -> None:
    img = decode_image(_encode(fmt), mime)
    assert img.size == (120, 80) and img.mode == "RGB"
    assert decode_image(_encode(fmt), "").size == (120, 80)  # undeclared type: sniffed


def test_mime_aliases_accepted() -> None:
    assert decode_image(_encode("JPEG"), "image/jpg; charset=binary").size == (120, 80)


@pytest.mark.parametrize(
    ("name", "data", "mime", "message"),
    [
        ("zero bytes", b"", "image/png", "empty"),
        ("truncated png", _encode("PNG", (300, 200))[:150], "image/png", "corrupt"),
        ("truncated jpeg", _encode("JPEG", (300, 200))[:400], "image/jpeg", "corrupt"),
        ("20000x20000 png header", _png_header_only(20000, 20000), "image/png", "pixels"),
        ("text named .png", b"Net pay: 3850 USD\nthis is a text file\n", "image/png", "not PNG, JPEG or WebP"),
        ("png declared jpeg", _encode("PNG"), "image/jpeg", "does not match"),
        ("gif type", _encode("PNG"), "image/gif", "unsupported"),
        ("header without pixels", _png_header_only(200, 200), "image/png", "corrupt"),
        ("tiny image", _encode("PNG", (4, 4)), "image/png", "at least"),
    ],
)
def test_bad_uploads_raise_invalid_input(name: str, data: bytes, mime: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        decode_image(data, mime)


def test_byte_and_pixel_limits_are_configurable() -> None:
    data = _encode("PNG", (200, 200))
    with pytest.raises(InvalidInputError, match="bytes"):
        decode_image(data, "image/png", ImageLimits(max_bytes=len(data) - 1))
    with pytest.raises(InvalidInputError, match="pixels"):
        decode_image(data, "image/png", ImageLimits(max_pixels=200 * 200 - 1))


def test_sniffing() -> None:
    assert sniff_format(_encode("PNG")) == "PNG"
    assert sniff_format(_encode("JPEG")) == "JPEG"
    assert sniff_format(_encode("WEBP")) == "WEBP"
    assert sniff_format(b"GIF89a....") is None


@settings(max_examples=60, deadline=None)
@given(prefix=st.sampled_from([b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"RIFF\x00\x00\x00\x00WEBP"]),
       body=st.binary(max_size=300))
def test_random_bytes_never_crash(prefix: bytes, body: bytes) -> None:
    try:
        img = decode_image(prefix + body, "")
    except InvalidInputError:
        return
    assert img.mode == "RGB"  # a random body that happens to decode is still a valid image


@settings(max_examples=30, deadline=None)
@given(cut=st.integers(min_value=1, max_value=2000))
def test_any_truncation_of_a_real_jpeg_is_invalid(cut: int) -> None:
    data = _encode("JPEG", (400, 300))
    cut = min(cut, len(data) - 2)
    with pytest.raises(InvalidInputError):
        decode_image(data[:cut], "image/jpeg")


def test_exif_rotation_is_applied() -> None:
    """A phone photo stored sideways with EXIF orientation 6 comes out upright (rotated 90° cw)."""
    img = Image.new("RGB", (200, 100), (255, 0, 0))
    img.paste((0, 0, 255), (0, 0, 20, 20))  # a blue mark in the stored top-left corner
    exif = img.getexif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif, quality=95)
    out = decode_image(buf.getvalue(), "image/jpeg")
    assert out.size == (100, 200) and out.mode == "RGB"
    r, g, b = out.getpixel((out.width - 5, 5))  # the mark is now top-right
    assert b > 200 and r < 60
