"""The print-file pipeline: one uploaded artwork in, every file the site stores and serves out.

Pure functions over bytes and Pillow images (no request, no database), so they run the same in
a view, a background job or a test. The upload is refused (ArtworkRejected, a message for the
form) before anything is produced; otherwise the result holds the private print file, the
public renditions, a flat T-shirt mockup and a perceptual hash for spotting re-uploads.
Below it: `colour` (normalising), `renditions` (scaling, encoding), `hashing`, `mockup` < `shirt`.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from PIL import ExifTags, Image

from app.designs.colour import normalise
from app.designs.hashing import perceptual_hash
from app.designs.mockup import MOCKUP_SIZE, render_mockup
from app.designs.renditions import (WEBP_METHOD, Rendition, encode_fallback, encode_jpeg, encode_png, encode_webp,
                                    fit)
from app.designs.shirt import blank_shirt, is_heather
from app.imaging import ImageRejected, identify_image, load_image
from app.palette import SHIRT_COLOURS

THUMBNAIL_LONG_SIDE = 480
PREVIEW_LONG_SIDE = 1400
# Thumbnails are served 48 to a gallery page: a transparent one is worth libwebp's default effort
# on its alpha plane (5-10 % smaller, for 15-25 ms once); every other WebP is made at WEBP_METHOD.
THUMBNAIL_ALPHA_WEBP_METHOD = 4
MEGABYTE = 1024 * 1024

# zlib level 1: a 4500 x 5400 RGBA design encodes in ~1.6 s (21 MB) against ~6 s at the
# default level 6 (16 MB). The print file is stored once, privately, and read only by the
# printer, so speed wins; a higher level would change no pixel.
PRINT_FILE_COMPRESS_LEVEL = 1


class ArtworkRejected(ImageRejected):
    """The print file cannot be used; the message says why, for the upload form."""


@dataclass(frozen=True)
class ProcessedArtwork:
    print_file: Rendition  # normalised original (PNG, lossless), kept private for printing
    dpi: tuple[int, int] | None  # as declared by the upload, for the moderator
    thumbnail: Rendition  # WebP, long side 480: gallery grid
    thumbnail_fallback: Rendition  # PNG with transparency, else JPEG
    preview: Rendition  # WebP, long side 1400: design page
    preview_fallback: Rendition
    mockup: Rendition  # WebP: the design on a T-shirt of the chosen colour
    mockup_fallback: Rendition  # JPEG
    phash: str  # 64-bit perceptual hash, 16 hex digits


# ------------------------------------------------------------------ the pipeline

@dataclass(frozen=True)
class UploadCheck:
    """What an upload's header says, checked in the request (no pixel is decoded)."""

    width: int
    height: int
    extension: str


def check_upload(
    data: bytes,
    shirt_colour: str = "white",
    *,
    max_bytes: int = 30 * MEGABYTE,
    max_pixels: int = 60_000_000,
    min_long_side: int = 3000,
    colours: dict[str, str] = SHIRT_COLOURS,
) -> UploadCheck:
    """The cheap checks, for the upload request: size, type, header dimensions and the bomb
    guard. The file is decoded and rendered later, by a worker (`process_print_file`)."""
    image = _identify_print_file(data, shirt_colour, max_bytes, max_pixels, min_long_side, colours)
    return UploadCheck(image.width, image.height, {"PNG": "png", "JPEG": "jpg"}.get(image.format, "img"))


def _identify_print_file(data: bytes, shirt_colour: str, max_bytes: int, max_pixels: int, min_long_side: int,
                         colours: dict[str, str]) -> Image.Image:
    """Everything known without decoding a pixel: the unloaded image, or ArtworkRejected."""
    if len(data) > max_bytes:
        raise ArtworkRejected(_l("This file is larger than %(megabytes)s MB.",
                                 megabytes=f"{max_bytes / MEGABYTE:g}"))
    if shirt_colour not in colours:
        raise ArtworkRejected(_l("“%(colour)s” is not one of the shirt colours on offer.",
                                 colour=shirt_colour))
    try:
        image = identify_image(data, max_pixels)
        _require_print_resolution(image, min_long_side)  # from the header, before decoding
    except ArtworkRejected:
        raise
    except ImageRejected as exc:
        raise ArtworkRejected(*exc.args) from exc
    return image


def process_print_file(
    data: bytes,
    shirt_colour: str = "white",
    *,
    max_bytes: int = 30 * MEGABYTE,
    max_pixels: int = 60_000_000,
    min_long_side: int = 3000,
    colours: dict[str, str] = SHIRT_COLOURS,
) -> ProcessedArtwork:
    """Check an uploaded print file and produce everything stored and served for it.

    Raises ArtworkRejected, having produced nothing, when the file cannot be printed.
    The same bytes always give a byte-identical print file (storage dedups by content hash).
    """
    image = _identify_print_file(data, shirt_colour, max_bytes, max_pixels, min_long_side, colours)
    colour_hex = colours[shirt_colour]
    heather = is_heather(shirt_colour, colour_hex)
    try:
        # The blank shirt is drawn once per colour, best while memory is still free.
        blank_shirt(colour_hex, MOCKUP_SIZE, heather)
        load_image(image)
    except ArtworkRejected:
        raise
    except ImageRejected as exc:
        raise ArtworkRejected(*exc.args) from exc

    dpi = _declared_dpi(image)
    as_uploaded = _plain_png(data, image)  # checked before normalise() clears the metadata
    art = normalise(image)
    del image
    # The print file keeps an alpha channel as uploaded; renditions drop one that is all opaque.
    # (The alpha band alone: the extrema of all four bands take ten times as long.)
    has_alpha = art.mode == "RGBA" and art.getchannel("A").getextrema()[0] < 255

    # Pillow releases the GIL while it resizes and encodes, so a second thread takes the longest
    # job: the full-size PNG when the print file must be encoded (the slow part, seconds), else the
    # preview's two encodes (about half of what follows the decode) beside the other renditions.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="print-file") as pool:
        if as_uploaded is not None:  # the upload's own pixel data is already the print file
            print_job = None
            printed = Rendition(as_uploaded, "png", *art.size)
        else:
            print_job = pool.submit(encode_png, art, PRINT_FILE_COMPRESS_LEVEL)
        preview = fit(art, PREVIEW_LONG_SIDE)
        del art  # the full-size pixels are freed here unless the print file is still encoding
        if not has_alpha:
            preview = preview.convert("RGB")
        # The preview is only read from here on (scaled for the thumbnail and the mockup), so the
        # side thread may encode it meanwhile.
        preview_job = pool.submit(_encode_preview, preview) if print_job is None else None
        thumbnail = fit(preview, THUMBNAIL_LONG_SIDE)
        mockup = render_mockup(preview, colour_hex, MOCKUP_SIZE, heather=heather)
        processed = dict(
            dpi=dpi,
            thumbnail=encode_webp(thumbnail, quality=82, method=(
                THUMBNAIL_ALPHA_WEBP_METHOD if thumbnail.mode == "RGBA" else WEBP_METHOD)),
            thumbnail_fallback=encode_fallback(thumbnail),
            mockup=encode_webp(mockup, quality=85),
            mockup_fallback=encode_jpeg(mockup, quality=85, subsampling="4:2:0"),
            phash=perceptual_hash(thumbnail),
        )
        processed["preview"], processed["preview_fallback"] = (
            _encode_preview(preview) if preview_job is None else preview_job.result())
        if print_job is not None:
            printed = print_job.result()
        return ProcessedArtwork(print_file=printed, **processed)


def _encode_preview(preview: Image.Image) -> tuple[Rendition, Rendition]:
    return encode_webp(preview, quality=85), encode_fallback(preview)


def _plain_png(data: bytes, image: Image.Image) -> bytes | None:
    """The uploaded PNG with only its pixel chunks (IHDR, IDAT, IEND), when normalising would not
    change a pixel: 8-bit RGB or RGBA, not interlaced, no colour profile, no transparency key, no
    rotation. Re-encoding such a file (a second or more for a 4500 x 5400 design) would give the same
    pixels; copying its compressed data gives them at once, and drops every metadata chunk all the same.
    """
    if (image.format != "PNG" or image.mode not in ("RGB", "RGBA") or data[24] != 8
            or data[25] not in (2, 6) or data[28] != 0 or "icc_profile" in image.info
            or "transparency" in image.info or _orientation(image) != 1):
        return None
    kept = [data[:8]]
    position = 8  # identify_image() has already walked the chunks and checked every CRC
    while position + 12 <= len(data):
        length = int.from_bytes(data[position:position + 4], "big")
        kind = data[position + 4:position + 8]
        end = position + 12 + length
        if kind in (b"IHDR", b"IDAT", b"IEND"):
            kept.append(data[position:end])
        if kind == b"IEND":
            return b"".join(kept)
        position = end
    return None


def _require_print_resolution(image: Image.Image, min_long_side: int) -> None:
    width, height = image.size
    if max(width, height) >= min_long_side:
        return
    if _orientation(image) in (5, 6, 7, 8):  # say it the way the designer sees it
        width, height = height, width
    raise ArtworkRejected(_l(
        "This image is %(width)s × %(height)s px. Print files need at least %(minimum)s px "
        "on the long side (300 dpi at the print size).",
        width=width, height=height, minimum=min_long_side))


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(ExifTags.Base.Orientation, 1))
    except Exception:  # unreadable EXIF is simply no rotation
        return 1


def _declared_dpi(image: Image.Image) -> tuple[int, int] | None:
    try:
        x, y = (round(float(value)) for value in image.info["dpi"])
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    if x <= 0 or y <= 0:
        return None
    return (y, x) if _orientation(image) in (5, 6, 7, 8) else (x, y)

