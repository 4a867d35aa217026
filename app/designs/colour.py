"""Colour and metadata: any accepted upload made upright, 8-bit sRGB, and stripped of its metadata.

16-bit grey is scaled, CMYK converted through its profile (or the subtractive model), an embedded
profile applied; large images are converted in strips so memory holds one full-size copy.
"""
from __future__ import annotations

import io

from PIL import Image, ImageChops, ImageCms, ImageOps

_SIXTEEN_BIT_MODES = {"I", "I;16", "I;16B", "I;16L", "I;16N"}


def normalise(image: Image.Image) -> Image.Image:
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
