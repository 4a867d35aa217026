"""The print-file pipeline: one uploaded artwork in, every file the site stores and serves out.

Pure functions over bytes and Pillow images (no request, no database), so they run the same in
a view, a background job or a test. The upload is refused (ArtworkRejected, a message for the
form) before anything is produced; otherwise the result holds the private print file, the
public renditions, a flat T-shirt mockup and a perceptual hash for spotting re-uploads.
"""
from __future__ import annotations

import io
import math
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from PIL import (
    ExifTags, Image, ImageChops, ImageCms, ImageColor, ImageDraw, ImageFilter, ImageOps,
)

from app.imaging import ImageRejected, identify_image, load_image

SHIRT_COLOURS = {
    "white": "#f7f7f5",
    "black": "#1d1d1f",
    "heather-grey": "#a8a9ad",
    "navy": "#1f2a44",
    "red": "#b3202e",
}
# Heather fabric (a speckled mix of fibres) is drawn with its own knit: any colour whose name
# says so, or whose value is one of these.
HEATHER_COLOURS = {SHIRT_COLOURS["heather-grey"]}

THUMBNAIL_LONG_SIDE = 480
PREVIEW_LONG_SIDE = 1400
MOCKUP_SIZE = (1200, 1300)
MEGABYTE = 1024 * 1024

# zlib level 1: a 4500 x 5400 RGBA design encodes in ~1.6 s (21 MB) against ~6 s at the
# default level 6 (16 MB). The print file is stored once, privately, and read only by the
# printer, so speed wins; a higher level would change no pixel.
PRINT_FILE_COMPRESS_LEVEL = 1
# Box-reduce before the Lanczos resize while the image stays at least this many times the
# target: near-identical quality, a fraction of the time on a 24-megapixel file.
_REDUCING_GAP = 1.5

# Hamming distance (out of 64 bits) at or below which two hashes are taken for the same artwork.
# Measured on 100 generated designs (see tests/designs/test_artwork.py): copies resized, JPEG
# re-encoded (down to quality 50 at half size), brightened by 10 %, resaturated, hue-nudged,
# contrasted, blurred, greyscaled or put on a bigger canvas came out 0-10 bits away (99 % within
# 8); 19,900 pairs of distinct designs were 12 or more apart (99.9 % at 16 or more, median 30).
NEAR_DUPLICATE_DISTANCE = 10


class ArtworkRejected(ImageRejected):
    """The print file cannot be used; the message says why, for the upload form."""


@dataclass(frozen=True)
class Rendition:
    """One generated image file."""

    data: bytes
    extension: str
    width: int
    height: int

    @property
    def media_type(self) -> str:
        return {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}[self.extension]


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
    heather = _is_heather(shirt_colour, colour_hex)
    try:
        # The blank shirt is drawn once per colour, best while memory is still free.
        _shirt(colour_hex, MOCKUP_SIZE, heather)
        load_image(image)
    except ArtworkRejected:
        raise
    except ImageRejected as exc:
        raise ArtworkRejected(*exc.args) from exc

    dpi = _declared_dpi(image)
    as_uploaded = _plain_png(data, image)  # checked before _normalise() clears the metadata
    art = _normalise(image)
    del image
    # The print file keeps an alpha channel as uploaded; renditions drop one that is all opaque.
    has_alpha = art.mode == "RGBA" and art.getextrema()[3][0] < 255

    # Encoding the full-size PNG is the slow part and Pillow releases the GIL while it runs,
    # so it goes on a second thread while the (small) renditions are made from the preview.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="print-file") as pool:
        if as_uploaded is not None:  # the upload's own pixel data is already the print file
            print_job = pool.submit(lambda: Rendition(as_uploaded, "png", *art.size))
        else:
            print_job = pool.submit(_encode_png, art, PRINT_FILE_COMPRESS_LEVEL)
        preview = _fit(art, PREVIEW_LONG_SIDE)
        if not has_alpha:
            preview = preview.convert("RGB")
        thumbnail = _fit(preview, THUMBNAIL_LONG_SIDE)
        mockup = render_mockup(preview, colour_hex, MOCKUP_SIZE, heather=heather)
        processed = dict(
            dpi=dpi,
            thumbnail=_encode_webp(thumbnail, quality=82),
            thumbnail_fallback=_encode_fallback(thumbnail),
            preview=_encode_webp(preview, quality=85),
            preview_fallback=_encode_fallback(preview),
            mockup=_encode_webp(mockup, quality=85),
            mockup_fallback=_encode_jpeg(mockup, quality=85, subsampling="4:2:0"),
            phash=perceptual_hash(thumbnail),
        )
        return ProcessedArtwork(print_file=print_job.result(), **processed)


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


# ------------------------------------------------------------------ colour and metadata

_SIXTEEN_BIT_MODES = {"I", "I;16", "I;16B", "I;16L", "I;16N"}


def _normalise(image: Image.Image) -> Image.Image:
    """Upright, 8-bit sRGB (RGB, or RGBA when the file has transparency), with no metadata."""
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except Exception:  # a broken EXIF block means no rotation, not no upload
        pass
    info = image.info
    icc = info.get("icc_profile")
    transparency = info.get("transparency")

    if image.mode in _SIXTEEN_BIT_MODES:
        image = _by_strips(image, "L", _sixteen_to_eight_bit)
        transparency = None  # a 16-bit tRNS key no longer matches any value
    if image.mode == "CMYK":
        image, icc = _cmyk_to_rgb(image, icc, adobe="adobe" in info), None
    elif image.mode in ("PA", "LA") or transparency is not None:
        image = image.convert("RGBA")
    elif image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGB")
    if icc:
        image = _to_srgb(image, icc)
    image.info = {}  # EXIF, GPS, XMP, ICC, text chunks, comments: none reach any output
    return image


def _by_strips(image: Image.Image, mode: str, convert) -> Image.Image:
    """Convert an image band by band of rows, so a 100 MB image never has more than the
    result and one strip's intermediates alive at once."""
    width, height = image.size
    result = Image.new(mode, image.size)
    for top in range(0, height, 512):
        result.paste(convert(image.crop((0, top, width, min(height, top + 512)))), (0, top))
    return result


def _sixteen_to_eight_bit(strip: Image.Image) -> Image.Image:
    # 16-bit grey is 0-65535; Pillow's own convert to "L" clips it at 255 (all white).
    # Scale instead: +0.5 rounds, as point() truncates.
    return strip.convert("I").point(lambda v: v * (1 / 257) + 0.5).convert("L")


def _cmyk_to_rgb(image: Image.Image, icc: bytes | None, *, adobe: bool) -> Image.Image:
    # Pillow reads every CMYK JPEG as Adobe-inverted (what Photoshop writes). Without the Adobe
    # marker the file holds plain CMYK, so that inversion must be undone.
    if icc:
        converted = _apply_profile(image if adobe else ImageChops.invert(image), icc, "CMYK", "RGB")
        if converted is not None:
            return converted
    return _by_strips(image, "RGB", _cmyk_strip_to_rgb if adobe else _plain_cmyk_strip_to_rgb)


def _cmyk_strip_to_rgb(strip: Image.Image) -> Image.Image:
    # No usable profile: the subtractive model, (1 - C)(1 - K) per channel. Pillow's own convert
    # computes 1 - (C + K), which crushes every shadow to black.
    cyan, magenta, yellow, black = (ImageChops.invert(band) for band in strip.split())
    return Image.merge("RGB", [ImageChops.multiply(band, black) for band in (cyan, magenta, yellow)])


def _plain_cmyk_strip_to_rgb(strip: Image.Image) -> Image.Image:
    return _cmyk_strip_to_rgb(ImageChops.invert(strip))


def _to_srgb(image: Image.Image, icc: bytes) -> Image.Image:
    if _profile_description(icc).startswith("sRGB"):
        return image  # already sRGB: skip a slow no-op transform on a large file
    converted = _apply_profile(image, icc, "RGB ", image.mode)
    return image if converted is None else converted


def _profile_description(icc: bytes) -> str:
    try:
        return ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).strip()
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return ""


def _apply_profile(image: Image.Image, icc: bytes, colour_space: str, mode: str) -> Image.Image | None:
    """Convert from the embedded profile to sRGB; None if the profile is unusable."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if source.profile.xcolor_space != colour_space:
            return None
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


_SRGB = ImageCms.createProfile("sRGB")


# ------------------------------------------------------------------ resizing and encoding

def _fit(image: Image.Image, long_side: int) -> Image.Image:
    """Scale down (never up) so the long side is `long_side`."""
    width, height = image.size
    if max(width, height) <= long_side:
        return image.copy()
    scale = long_side / max(width, height)
    target = (max(1, round(width * scale)), max(1, round(height * scale)))
    factor = int(1 / scale / _REDUCING_GAP)
    if factor < 2:
        return image.resize(target, Image.Resampling.LANCZOS)
    reduced = _reduce(image, factor)
    resized = reduced.resize(target, Image.Resampling.LANCZOS)
    return resized.convert("RGBA") if resized.mode == "RGBa" else resized


def _reduce(image: Image.Image, factor: int) -> Image.Image:
    """Box-reduce by an integer factor.

    A transparent image comes back premultiplied ("RGBa"), so the colour of invisible pixels
    cannot bleed into edges. It is premultiplied strip by strip: a 100 MB image never needs a
    second full-size copy."""
    if image.mode != "RGBA":
        return image.reduce(factor)
    width, height = image.size
    reduced = Image.new("RGBa", (-(-width // factor), -(-height // factor)))
    step = factor * max(1, 512 // factor)  # whole boxes per strip, so strips join seamlessly
    for top in range(0, height, step):
        strip = image.crop((0, top, width, min(height, top + step))).convert("RGBa")
        reduced.paste(strip.reduce(factor), (0, top // factor))
    return reduced


def _encode_png(image: Image.Image, compress_level: int = 6) -> Rendition:
    return _encode(image, "PNG", "png", compress_level=compress_level)


def _encode_webp(image: Image.Image, quality: int) -> Rendition:
    return _encode(image, "WEBP", "webp", quality=quality, method=4)


def _encode_jpeg(image: Image.Image, quality: int, subsampling: str = "4:4:4") -> Rendition:
    # 4:4:4 keeps lettering crisp on design renditions; the photo-like mockup can use 4:2:0.
    return _encode(image.convert("RGB"), "JPEG", "jpg", quality=quality, subsampling=subsampling,
                   optimize=True, progressive=True)


def _encode_fallback(image: Image.Image) -> Rendition:
    """For browsers without WebP: PNG keeps transparency, JPEG is smaller for the rest."""
    return _encode_png(image) if image.mode == "RGBA" else _encode_jpeg(image, quality=88)


def _encode(image: Image.Image, format_: str, extension: str, **params) -> Rendition:
    out = io.BytesIO()
    image.save(out, format_, **params)
    return Rendition(out.getvalue(), extension, *image.size)


# ------------------------------------------------------------------ perceptual hash

# DCT-II basis for the 8 lowest frequencies of a 32-sample signal.
_DCT = [[math.cos(math.pi * (2 * x + 1) * u / 64) for x in range(32)] for u in range(8)]


def perceptual_hash(image: Image.Image) -> str:
    """A 64-bit DCT perceptual hash (pHash), as 16 hex digits.

    The artwork is flattened on white (transparency must not matter) and cropped to its
    content, so extra margins or a bigger canvas do not hide a copy. The 8x8 lowest
    frequencies of a 32x32 greyscale give one bit each: above or below their median.
    """
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")
    small = _fit(image, 256)
    if small.mode == "RGBA":
        flat = Image.new("RGB", small.size, "white")
        flat.paste(small, mask=small.getchannel("A"))
        small = flat
    grey = small.convert("L")
    grey = grey.crop(_content_box(grey)).resize((32, 32), Image.Resampling.BOX)
    pixels = grey.tobytes()
    rows = [[sum(pixels[y * 32 + x] * basis[x] for x in range(32)) for basis in _DCT] for y in range(32)]
    coefficients = [sum(_DCT[v][y] * rows[y][u] for y in range(32)) for v in range(8) for u in range(8)]
    median = sorted(coefficients)[31:33]
    threshold = (median[0] + median[1]) / 2
    bits = 0
    for coefficient in coefficients:
        bits = (bits << 1) | (coefficient > threshold)
    return f"{bits:016x}"


def _content_box(grey: Image.Image) -> tuple[int, int, int, int]:
    """Bounding box of what differs from the background (judged from the corners)."""
    width, height = grey.size
    corners = sorted(grey.getpixel(point) for point in
                     ((0, 0), (width - 1, 0), (0, height - 1), (width - 1, height - 1)))
    background = (corners[1] + corners[2]) // 2
    box = grey.point(lambda v: 255 if abs(v - background) > 8 else 0).getbbox()
    if box is None or box[2] - box[0] < 8 or box[3] - box[1] < 8:
        return (0, 0, width, height)
    return box


def hash_distance(a: str, b: str) -> int:
    """Number of differing bits between two perceptual hashes (0 = same picture)."""
    if len(a) != 16 or len(b) != 16:
        raise ValueError("perceptual hashes are 16 hex digits")
    return (int(a, 16) ^ int(b, 16)).bit_count()


# ------------------------------------------------------------------ mockup

def render_mockup(design: Image.Image, colour_hex: str, size: tuple[int, int] = MOCKUP_SIZE, *,
                  heather: bool | None = None) -> Image.Image:
    """The design printed on the chest of a flat-laid T-shirt of the given colour (RGB image).

    `heather` draws a heather knit; by default, when the colour is a known heather one."""
    if heather is None:
        heather = _is_heather("", colour_hex)
    shirt = _shirt(colour_hex, (int(size[0]), int(size[1])), heather)
    mockup = shirt.image.copy()
    if design.mode != "RGBA":
        design = design.convert("RGBA")
    left, top, right, bottom = shirt.print_area
    scale = min((right - left) / design.width, (bottom - top) / design.height)
    printed = design.resize((max(1, round(design.width * scale)), max(1, round(design.height * scale))),
                            Image.Resampling.LANCZOS, reducing_gap=3.0)
    # Centred and top-aligned, the way a chest print is placed below the collar.
    x, y = (right - left - printed.width) // 2, 0
    box = (x, y, x + printed.width, y + printed.height)
    # Ink follows the fabric: the folds and knit that shade the shirt also shade the print.
    ink = printed.convert("RGB")
    ink = ImageChops.multiply(ink, Image.merge("RGB", [shirt.ink_shadow.crop(box)] * 3))
    ink = ImageChops.screen(ink, Image.merge("RGB", [shirt.ink_sheen.crop(box)] * 3))
    mockup.paste(ink, (left + x, top + y), printed.getchannel("A"))
    return mockup


@dataclass(frozen=True)
class _Shirt:
    image: Image.Image  # the blank shirt on its backdrop
    print_area: tuple[int, int, int, int]
    ink_shadow: Image.Image  # L over the print area: multiplied into the ink (255 = none)
    ink_sheen: Image.Image  # L over the print area: screened onto the ink (0 = none)


# Drawn on a 1200 x 1300 reference canvas, then scaled to the requested size. Every line is
# its right half as cubic Bézier segments running from the centre line outwards; the left
# half is the mirror image.
_REFERENCE = (1200, 1300)
_OUTLINE = [
    ((600, 164), (650, 164), (684, 170), (702, 180)),  # back of the collar
    ((702, 180), (765, 196), (822, 210), (876, 228)),  # shoulder
    ((876, 228), (962, 288), (1042, 368), (1110, 446)),  # top of the sleeve
    ((1110, 446), (1086, 474), (1048, 514), (1018, 544)),  # cuff
    ((1018, 544), (984, 512), (954, 486), (926, 466)),  # underneath the sleeve
    ((926, 466), (920, 676), (918, 906), (932, 1126)),  # side
    ((932, 1126), (816, 1133), (708, 1137), (600, 1137)),  # hem
]
_NECK_SEAM = [((600, 268), (660, 268), (702, 228), (702, 180))]  # collar band sewn to the front
_NECK_EDGE = [((600, 246), (646, 246), (681, 214), (683, 177))]  # the opening, front side
_BACK_NECK_EDGE = [((600, 190), (632, 190), (662, 186), (683, 177))]  # the opening, back side
_COLLAR_STITCH = [((600, 279), (660, 279), (703, 238), (703, 190))]
_SHOULDER_SEAM = [((704, 182), (765, 198), (822, 212), (876, 230))]
_ARMHOLE_SEAM = [((876, 228), (888, 306), (900, 396), (926, 466))]
_CUFF_STITCH = [((1096, 433), (1072, 461), (1034, 501), (1005, 531))]
_HEM_STITCH = [((600, 1115), (708, 1115), (816, 1111), (930, 1104))]
_PRINT_AREA = (400, 310, 800, 800)
_SUPERSAMPLE = 3  # shapes are drawn at 3x and reduced: smooth, antialiased edges


def _curve(segments, scale: tuple[float, float], steps: int = 40) -> list[tuple[float, float]]:
    sx, sy = scale
    points = []
    for p0, p1, p2, p3 in segments:
        for i in range(steps + 1):
            t = i / steps
            a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t ** 2, t ** 3
            points.append(((a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0]) * sx,
                           (a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]) * sy))
    return points


def _mirror(points, width: float) -> list[tuple[float, float]]:
    return [(width - x, y) for x, y in reversed(points)]


def _both_sides(segments, width: float, scale: tuple[float, float]) -> list[tuple[float, float]]:
    """A symmetric line across the centre: the mirrored left half, then the right half."""
    right = _curve(segments, scale)
    return _mirror(right, width)[:-1] + right


class _Canvas:
    """Geometry in reference units, drawn at any size (and supersampled for masks)."""

    def __init__(self, size: tuple[int, int]):
        self.size = size
        self.scale = (size[0] / _REFERENCE[0], size[1] / _REFERENCE[1])

    def px(self, length: float) -> int:
        return max(1, round(length * self.scale[0]))

    def mask(self, *regions) -> Image.Image:
        """Antialiased mask of the regions, each given as (top line, bottom line) halves."""
        k = _SUPERSAMPLE
        big = Image.new("L", (self.size[0] * k, self.size[1] * k), 0)
        draw = ImageDraw.Draw(big)
        scale = (self.scale[0] * k, self.scale[1] * k)
        for upper, lower in regions:
            top = _both_sides(upper, self.size[0] * k, scale)
            bottom = _both_sides(lower, self.size[0] * k, scale)
            draw.polygon(top + list(reversed(bottom)), fill=255)
        return big.reduce(k)

    def outline(self) -> Image.Image:
        k = _SUPERSAMPLE
        big = Image.new("L", (self.size[0] * k, self.size[1] * k), 0)
        right = _curve(_OUTLINE, (self.scale[0] * k, self.scale[1] * k))
        ImageDraw.Draw(big).polygon(right + _mirror(right, self.size[0] * k), fill=255)
        return big.reduce(k)

    def line(self, draw: ImageDraw.ImageDraw, segments, fill: int, width: float,
             side: str = "both") -> None:
        right = _curve(segments, self.scale)
        sides = {"both": [right, _mirror(right, self.size[0])], "right": [right],
                 "left": [_mirror(right, self.size[0])]}[side]
        for points in sides:
            draw.line(points, fill=fill, width=self.px(width), joint="curve")


def _is_heather(name: str, colour_hex: str) -> bool:
    return "heather" in name.lower() or colour_hex.lower() in HEATHER_COLOURS


@lru_cache(maxsize=8)  # ~7 MB per colour
def _shirt(colour_hex: str, size: tuple[int, int], heather: bool = False) -> _Shirt:
    """The blank shirt for one colour and size (cached: every mockup of a colour shares it)."""
    canvas = _Canvas(size)
    width, height = size
    colour = ImageColor.getrgb(colour_hex)[:3]
    luminance = (0.2126 * colour[0] + 0.7152 * colour[1] + 0.0722 * colour[2]) / 255
    rnd = random.Random(1300)  # fixed seed: the same shirt every time

    body = canvas.outline()
    opening = canvas.mask((_BACK_NECK_EDGE, _NECK_EDGE))
    front_band = canvas.mask((_NECK_EDGE, _NECK_SEAM))
    back_band = canvas.mask((_OUTLINE[:1], _BACK_NECK_EDGE))

    # Form: 128 is flat fabric, lower is in shade, higher catches the light.
    form = Image.new("L", size, 128)
    # The garment is slightly padded: it turns away from the light near every edge.
    rim = ImageChops.invert(body.filter(ImageFilter.GaussianBlur(canvas.px(30))))
    form = ImageChops.subtract(form, rim.point(lambda v: v * 0.2))
    # Soft light from the upper left.
    light = Image.linear_gradient("L").rotate(-30, resample=Image.Resampling.BILINEAR).resize(size)
    form = ImageChops.add(form, light.point(lambda v: (255 - v) * 0.07), offset=-9)

    # Drape: a few long soft creases, not quite symmetric, with a lit ridge beside each.
    creases = Image.new("L", size, 128)
    draw = ImageDraw.Draw(creases)
    canvas.line(draw, [((905, 536), (850, 636), (815, 766), (805, 906))], 114, 44)
    canvas.line(draw, [((872, 524), (820, 616), (790, 696), (770, 776))], 140, 26)
    canvas.line(draw, [((660, 1021), (740, 1051), (830, 1061), (910, 1048))], 117, 34, side="right")
    canvas.line(draw, [((640, 981), (720, 1006), (800, 1012), (880, 1000))], 138, 24, side="left")
    canvas.line(draw, [((948, 306), (990, 354), (1030, 396), (1070, 434))], 118, 30)
    canvas.line(draw, [((925, 292), (965, 338), (1000, 376), (1040, 416))], 140, 18)
    canvas.line(draw, [((610, 396), (640, 536), (630, 676), (640, 836))], 134, 70, side="left")
    creases = creases.filter(ImageFilter.GaussianBlur(canvas.px(18)))
    form = ImageChops.add(form, creases, offset=-128)

    # Seams and stitching, each a fine dark line with a lit edge.
    seams = Image.new("L", size, 128)
    draw = ImageDraw.Draw(seams)
    canvas.line(draw, _ARMHOLE_SEAM, 88, 3)
    canvas.line(draw, [tuple((x + 5, y) for x, y in seg) for seg in _ARMHOLE_SEAM], 150, 2)
    canvas.line(draw, _SHOULDER_SEAM, 106, 2)
    canvas.line(draw, _CUFF_STITCH, 104, 2)
    canvas.line(draw, _COLLAR_STITCH, 106, 2)
    draw.line(_both_sides(_HEM_STITCH, width, canvas.scale), fill=104, width=canvas.px(2))
    draw.line(_both_sides(_NECK_SEAM, width, canvas.scale), fill=84, width=canvas.px(3))
    seams = seams.filter(ImageFilter.GaussianBlur(0.7 * canvas.scale[0]))
    form = ImageChops.add(form, seams, offset=-128)
    # The collar band sits on the chest and casts a thin shadow onto it.
    cast = Image.new("L", size, 0)
    ImageDraw.Draw(cast).line(_both_sides(_NECK_SEAM, width, canvas.scale), fill=60, width=canvas.px(8))
    cast = ImageChops.offset(cast, 0, canvas.px(5)).filter(ImageFilter.GaussianBlur(canvas.px(5)))
    form = ImageChops.subtract(form, cast)

    # Knit: a fine horizontal grain; heather is a speckled mix of light and dark fibres.
    if heather:
        knit = _noise(rnd, size, stretch=4, amplitude=28)
        mottle = _noise(rnd, (max(1, width // 40), max(1, height // 40)), stretch=1, amplitude=10)
        knit = ImageChops.add(knit, mottle.resize(size, Image.Resampling.BICUBIC), offset=-128)
    else:
        knit = _noise(rnd, size, stretch=3, amplitude=5 if luminance > 0.5 else 8)
        knit = knit.filter(ImageFilter.GaussianBlur(0.6))

    # Rib knit on the collar: fine ridges running across the band, drawn supersampled.
    k = _SUPERSAMPLE
    ribs = Image.new("L", (width * k, height * k), 0)
    draw = ImageDraw.Draw(ribs)
    centre = (width * k / 2, 126 * canvas.scale[1] * k)
    reach = 260 * canvas.scale[0] * k
    for i in range(-40, 41):
        angle = math.radians(90 + i * 1.6)
        draw.line([centre, (centre[0] + reach * math.cos(angle), centre[1] + reach * math.sin(angle))],
                  fill=30 if luminance > 0.5 else 56, width=k)
    ribs = ImageChops.multiply(ribs.reduce(k), front_band)

    fabric_relief = ImageChops.subtract(ImageChops.add(form, knit, offset=-128), ribs)
    shadow, sheen = _light_layers(fabric_relief, luminance)

    fabric = Image.new("RGB", size, colour)
    depth = 0.8 if luminance > 0.5 else 0.6
    back_inside = Image.new("RGB", size, tuple(round(c * depth) for c in colour))
    fabric.paste(back_inside, (0, 0), opening)
    # The inside of the back is darkest just under the collar.
    under_collar = Image.new("L", size, 0)
    ImageDraw.Draw(under_collar).line(_both_sides(_BACK_NECK_EDGE, width, canvas.scale), fill=255,
                                      width=canvas.px(16))
    under_collar = ImageChops.multiply(under_collar.filter(ImageFilter.GaussianBlur(canvas.px(6))), opening)
    under_collar = under_collar.point(lambda v: v * (0.3 if luminance > 0.5 else 0.15))
    fabric = ImageChops.subtract(fabric, Image.merge("RGB", [under_collar] * 3))
    fabric.paste(Image.new("RGB", size, tuple(round(c * 0.93) for c in colour)), (0, 0), back_band)
    fabric = ImageChops.multiply(fabric, Image.merge("RGB", [shadow] * 3))
    fabric = ImageChops.screen(fabric, Image.merge("RGB", [sheen] * 3))

    backdrop = _backdrop(size)
    # A soft shadow under the garment, and a tight contact shadow along its edges.
    for blur, drop, opacity in ((24, 14, 0.24), (4, 3, 0.2)):
        fall = ImageChops.offset(body, 0, canvas.px(drop)).filter(ImageFilter.GaussianBlur(canvas.px(blur)))
        backdrop = Image.composite(Image.new("RGB", size, (48, 44, 40)), backdrop,
                                   fall.point(lambda v, o=opacity: v * o))
    image = Image.composite(fabric, backdrop, body)

    left, top, right, bottom = _PRINT_AREA
    area = (round(left * canvas.scale[0]), round(top * canvas.scale[1]),
            round(right * canvas.scale[0]), round(bottom * canvas.scale[1]))
    # Ink sits on the knit but hides most of it; the folds show through fully.
    ink_relief = ImageChops.add(form, knit.point(lambda v: 128 + (v - 128) * 0.3), offset=-128).crop(area)
    ink_shadow, ink_sheen = _light_layers(ink_relief, 0.5)
    return _Shirt(image=image, print_area=area, ink_shadow=ink_shadow,
                  ink_sheen=ink_sheen.point(lambda v: v * 0.6))


def _light_layers(relief: Image.Image, luminance: float) -> tuple[Image.Image, Image.Image]:
    """Split a relief (128 = flat) into a multiply layer for shade and a screen layer for light.

    Dark fabric shows its form mostly by its sheen, light fabric by its shadows."""
    shade = 2.0 if luminance > 0.5 else 1.5
    shine = 0.45 + 1.5 * (1 - luminance)
    return (relief.point(lambda v: 255 - max(0, 128 - v) * shade),
            relief.point(lambda v: max(0, v - 128) * shine))


def _noise(rnd: random.Random, size: tuple[int, int], *, stretch: int, amplitude: int) -> Image.Image:
    """Deterministic grain centred on 128; `stretch` draws it out into horizontal fibres."""
    width, height = size
    small = (max(1, width // stretch), height)
    grain = Image.frombytes("L", small, rnd.randbytes(small[0] * small[1]))
    if stretch > 1:
        grain = grain.resize(size, Image.Resampling.BILINEAR)
    return grain.point(lambda v: 128 + (v - 128) * amplitude / 128)


def _backdrop(size: tuple[int, int]) -> Image.Image:
    """A light, warm neutral studio backdrop, a little brighter in the middle."""
    falloff = Image.radial_gradient("L").resize(size, Image.Resampling.BICUBIC)
    centre = Image.new("RGB", size, (243, 241, 237))
    edge = Image.new("RGB", size, (223, 220, 214))
    return Image.composite(edge, centre, falloff.point(lambda v: min(255, v * 1.15)))
