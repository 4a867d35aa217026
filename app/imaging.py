"""Image decoding rules shared by every upload (avatars here; print files in designs).

An upload is judged by its bytes, never by its name or declared type, and every header check
(format, dimensions, animation, structure) runs before a single pixel is decoded.
"""
from __future__ import annotations

import io
import re
import warnings
import zlib

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"PNG", "JPEG", "MPO"}  # MPO: a phone JPEG carrying a depth map; we keep the main picture

# Formats Pillow may identify, so a refusal can name what was sent (MPO comes with JPEG). Only
# PNG and JPEG are ever decoded; the others are only read up to their header. Pillow's riskier
# parsers (EPS runs Ghostscript) are never even tried.
IDENTIFIED_FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF", "PSD", "ICO", "JPEG2000", "AVIF")
FORMAT_NAMES = {"WEBP": "WebP", "PSD": "Photoshop (PSD)", "JPEG2000": "JPEG 2000"}

# Script or web-page code hidden in an image (a "polyglot" file). Outputs are re-encoded so it
# could never be served, but such a file is not an honest upload. Only markers long enough not
# to turn up by chance in compressed pixel data are looked for.
_ACTIVE_CONTENT = re.compile(
    rb"<script|<\?php\s|<!doctype\s+html|<html[\s>]|<iframe[\s>]|<object[\s>]|<embed[\s>]", re.IGNORECASE
)
# Text metadata (PNG text chunks, possibly compressed, and JPEG comments) is read decoded, and
# is not random data, so shorter markers are safe to look for there.
_MARKUP_IN_TEXT = re.compile(
    r"<script|<\?php|<!doctype|<html|<iframe|<object|<embed|<svg|javascript:", re.IGNORECASE
)
_MARKUP_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, IndexError, KeyError, TypeError, ZeroDivisionError)


class ImageRejected(ValueError):
    """The upload is not an image we accept; the message says why, for the form."""


def _damaged() -> ImageRejected:
    return ImageRejected(_l("This image is damaged or incomplete."))


def _not_an_image(data: bytes) -> ImageRejected:
    head = data[:2048]
    if _MARKUP_START.match(head) or re.search(rb"<svg|<html|<\?xml", head, re.IGNORECASE):
        return ImageRejected(_l("This file is an SVG or web page, not a PNG or JPEG image. "
                                "Export your artwork as a PNG."))
    return ImageRejected(_l("This file is not a PNG or JPEG image."))


def _check_png_structure(data: bytes) -> None:
    """Walk the chunks: every CRC must match and IEND must be there.

    Pillow tolerates a missing end (the last rows may then be silently lost), so a truncated
    or bit-flipped PNG is caught here, without decompressing anything."""
    view = memoryview(data)
    position, size = len(_PNG_SIGNATURE), len(data)
    while True:
        if position + 12 > size:
            raise _damaged()
        length = int.from_bytes(view[position:position + 4], "big")
        kind = bytes(view[position + 4:position + 8])
        end = position + 12 + length
        if length > 0x7FFFFFFF or end > size or not kind.isalpha():
            raise _damaged()
        if zlib.crc32(view[position + 4:end - 4]) != int.from_bytes(view[end - 4:end], "big"):
            raise _damaged()
        position = end
        if kind == b"IEND":
            return


def _check_pixel_count(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise ImageRejected(_l(
            "This image is %(width)s × %(height)s px: too many pixels to be processed safely "
            "(at most %(megapixels)s million).",
            width=width, height=height, megapixels=f"{max_pixels / 1e6:g}"))


def _check_text_metadata(image: Image.Image) -> None:
    for key, value in image.info.items():
        if key in ("icc_profile", "exif") or not isinstance(value, (str, bytes)):
            continue  # binary blocks: covered by the scan of the raw file
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        if _MARKUP_IN_TEXT.search(text):
            raise ImageRejected(_l("This image contains hidden web page or script code. "
                                   "Export it again as a plain PNG or JPEG."))


def _is_animated(image: Image.Image) -> bool:
    if image.format == "MPO":
        return False  # extra frames are a depth map or a stereo pair, not an animation
    try:
        return bool(getattr(image, "is_animated", False))
    except _DECODE_ERRORS:
        return False


def identify_image(data: bytes, max_pixels: int) -> Image.Image:
    """Check everything that can be known without decoding pixels; return the unloaded image.

    Refuses (ImageRejected): non-images and markup (SVG, HTML), files with script hidden in
    them, images over `max_pixels` judged from the header (decompression bombs), animations,
    formats other than PNG and JPEG, and PNGs whose chunk structure is damaged.
    """
    if _ACTIVE_CONTENT.search(data):
        if _MARKUP_START.match(data[:2048]):
            raise _not_an_image(data)
        raise ImageRejected(_l("This image contains hidden web page or script code. "
                               "Export it again as a plain PNG or JPEG."))
    if data.startswith(_PNG_SIGNATURE) and data[12:16] == b"IHDR":
        _check_pixel_count(int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big"), max_pixels)
    try:
        # The global Image.MAX_IMAGE_PIXELS check warns (or errors, above twice the limit) from
        # the header; both become a refusal. Our own max_pixels check below is the real guard.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=IDENTIFIED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(_l("This image has too many pixels to be processed safely.")) from exc
    except UnidentifiedImageError as exc:
        raise _not_an_image(data) from exc
    except _DECODE_ERRORS as exc:
        raise _damaged() from exc

    _check_pixel_count(*image.size, max_pixels)
    if _is_animated(image):
        raise ImageRejected(_l("Animated images are not accepted."))
    if image.format not in ACCEPTED_FORMATS:
        raise ImageRejected(_l("%(format)s images are not accepted. Upload a PNG or JPEG.",
                               format=FORMAT_NAMES.get(image.format, image.format)))
    if image.format == "PNG":
        _check_png_structure(data)
    _check_text_metadata(image)
    return image


def load_image(image: Image.Image) -> Image.Image:
    """Decode the pixels of an image from identify_image; a damaged stream is refused."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(_l("This image has too many pixels to be processed safely.")) from exc
    except _DECODE_ERRORS as exc:
        raise _damaged() from exc
    _check_text_metadata(image)  # PNG text chunks after the pixels are only read now
    return image


def open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Decode an upload by its content, never by its name, refusing bombs before decoding pixels."""
    return load_image(identify_image(data, max_pixels))


def square_avatar(data: bytes, size: int = 256) -> bytes:
    image = open_image(data, max_pixels=40_000_000)
    image = ImageOps.exif_transpose(image)
    image = ImageOps.fit(image.convert("RGB"), (size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "WEBP", quality=85)  # a fresh encode carries no EXIF, GPS or comments
    return out.getvalue()
