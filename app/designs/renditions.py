"""Renditions: scaling an artwork down and encoding it (PNG, WebP, JPEG) as a stored file."""
from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

# Box-reduce before the Lanczos resize while the image stays at least this many times the
# target: near-identical quality, a fraction of the time on a 24-megapixel file.
_REDUCING_GAP = 1.5


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


def fit(image: Image.Image, long_side: int) -> Image.Image:
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


def encode_png(image: Image.Image, compress_level: int = 6) -> Rendition:
    return _encode(image, "PNG", "png", compress_level=compress_level)


def encode_webp(image: Image.Image, quality: int) -> Rendition:
    return _encode(image, "WEBP", "webp", quality=quality, method=4)


def encode_jpeg(image: Image.Image, quality: int, subsampling: str = "4:4:4") -> Rendition:
    # 4:4:4 keeps lettering crisp on design renditions; the photo-like mockup can use 4:2:0.
    return _encode(image.convert("RGB"), "JPEG", "jpg", quality=quality, subsampling=subsampling,
                   optimize=True, progressive=True)


def encode_fallback(image: Image.Image) -> Rendition:
    """For browsers without WebP: PNG keeps transparency, JPEG is smaller for the rest."""
    return encode_png(image) if image.mode == "RGBA" else encode_jpeg(image, quality=88)


def _encode(image: Image.Image, format_: str, extension: str, **params) -> Rendition:
    out = io.BytesIO()
    image.save(out, format_, **params)
    return Rendition(out.getvalue(), extension, *image.size)

