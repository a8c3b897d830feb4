"""Validation and decoding of uploaded images: the service's first line of defence.

Why so strict: images arrive from the internet through a bank's backend. A decompression bomb
(a tiny PNG that claims 20000x20000 pixels), a truncated upload or a text file renamed .png must
become one clear InvalidInputError, never a crash or an out-of-memory kill. So the order is:
byte size -> file signature sniffed from the bytes -> declared MIME type checked against it ->
header parsed for the pixel count (PIL's ``Image.open`` reads only the header) -> only then the
pixels are decoded.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from finadvisor.ontology import IMAGE_MIME_TYPES, canonical_mime, sniff_mime
from finadvisor.shared.errors import InvalidInputError

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
# Pixels of all images decoded and not yet answered, together (see ``PixelBudget``): one image at
# the per-image limit, or some forty ordinary 1 MP pages. An RGB pixel is 3 bytes, so this holds
# the decoded pictures of concurrent calls to ~120 MB (plus their working copies).
MAX_PIXELS_IN_FLIGHT = 40_000_000
MIN_IMAGE_SIDE = 16
# PIL refuses (DecompressionBombError) anything above twice this and warns above it; our own
# check below is stricter and comes first, this is a backstop for any other PIL use in-process.
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

# The accepted types, their aliases and magic bytes are the ontology's; PIL names the formats.
FORMAT_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
SUPPORTED_MIME = frozenset(IMAGE_MIME_TYPES)
_MIME_FORMAT = {mime: fmt for fmt, mime in FORMAT_MIME.items()}


@dataclass(frozen=True)
class ImageLimits:
    """Bounds on one uploaded image."""

    max_bytes: int = MAX_IMAGE_BYTES
    max_pixels: int = MAX_IMAGE_PIXELS
    # Bound on the pixels of all images decoded at once (concurrent calls wait for their turn).
    max_pixels_in_flight: int = MAX_PIXELS_IN_FLIGHT


def sniff_format(data: bytes) -> str | None:
    """PNG, JPEG or WEBP from the file signature, else None."""
    return _MIME_FORMAT.get(sniff_mime(data) or "")


def normalise_mime(mime_type: str) -> str:
    """Lower-case media type without parameters, aliases folded (image/jpg -> image/jpeg)."""
    return canonical_mime(mime_type)


def _open_header(data: bytes, mime_type: str, limits: ImageLimits) -> tuple[Image.Image, str]:
    """The checks that need no pixels: size, signature, declared type, header and pixel count."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InvalidInputError("image data must be bytes")
    data = bytes(data)
    if len(data) == 0:
        raise InvalidInputError("image is empty (0 bytes)")
    if len(data) > limits.max_bytes:
        raise InvalidInputError(f"image is {len(data)} bytes; the limit is {limits.max_bytes} bytes")
    fmt = sniff_format(data)
    declared = normalise_mime(mime_type or "")
    if declared and declared not in SUPPORTED_MIME:
        raise InvalidInputError(f"unsupported image type {declared!r}; send image/png, image/jpeg or image/webp")
    if fmt is None:
        raise InvalidInputError("image content is not PNG, JPEG or WebP (unrecognised file signature)")
    if declared and declared != FORMAT_MIME[fmt]:
        raise InvalidInputError(f"declared type {declared} does not match the image content ({FORMAT_MIME[fmt]})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img: Image.Image = Image.open(io.BytesIO(data), formats=[fmt])  # header only, no pixels yet
            width, height = img.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInputError(f"image has too many pixels; the limit is {limits.max_pixels}") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InvalidInputError(f"image header is corrupt ({FORMAT_MIME[fmt]}): {exc.__class__.__name__}") from None
    if width * height > limits.max_pixels:
        img.close()
        raise InvalidInputError(f"image is {width}x{height} = {width * height} pixels; the limit is "
                                f"{limits.max_pixels}")
    if width < MIN_IMAGE_SIDE or height < MIN_IMAGE_SIDE:
        img.close()
        raise InvalidInputError(f"image is {width}x{height}; each side must be at least {MIN_IMAGE_SIDE} pixels")
    return img, fmt


def probe_image(data: bytes, mime_type: str, limits: ImageLimits = ImageLimits()) -> tuple[int, int]:
    """(width, height) of a valid upload from its header alone; InvalidInputError as ``decode_image``.

    The engine reserves the decode's pixels (``PixelBudget``) with this before any pixel exists.
    """
    img, _ = _open_header(data, mime_type, limits)
    size = img.size
    img.close()
    return size


def decode_image(data: bytes, mime_type: str, limits: ImageLimits = ImageLimits()) -> Image.Image:
    """Validate and decode an upload into an RGB image. Raises InvalidInputError on any problem.

    An empty ``mime_type`` means "not declared": the sniffed format decides. A declared type must
    be one we accept and must match the bytes.
    """
    img, fmt = _open_header(data, mime_type, limits)
    rgb: Image.Image | None = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img.load()
            # Phone photos carry their rotation in EXIF. In place, and no conversion of what is
            # RGB already: each copy of a 40 M pixel upload is another 120 MB.
            ImageOps.exif_transpose(img, in_place=True)
            rgb = img if img.mode == "RGB" else img.convert("RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInputError(f"image has too many pixels; the limit is {limits.max_pixels}") from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError, IndexError, TypeError) as exc:
        raise InvalidInputError(f"image data is corrupt or truncated ({FORMAT_MIME[fmt]}): "
                                f"{exc.__class__.__name__}") from None
    finally:
        if rgb is not img:
            img.close()
    if rgb.width * rgb.height > limits.max_pixels:  # EXIF transpose swaps sides, never grows
        raise InvalidInputError("image has too many pixels")
    return rgb
