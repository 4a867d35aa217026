"""The print-file pipeline, called directly (no app, no database): what it refuses and why,
how it normalises what it accepts, the renditions and mockup, and the perceptual hash.

Every file is generated here. Most tests use a low `min_long_side` and small images so the
whole module stays fast; one test runs at the real 3000 px rule.
"""
from __future__ import annotations

import io
import random
import struct
import zlib

import pytest
from PIL import Image, ImageChops, ImageCms, ImageDraw, ImageEnhance, ImageOps, PngImagePlugin

from app.designs.hashing import NEAR_DUPLICATE_DISTANCE, hash_distance, perceptual_hash
from app.designs.mockup import MOCKUP_SIZE, render_mockup
from app.designs.print_file import ArtworkRejected, process_print_file
from app.imaging import ImageRejected
from app.palette import SHIRT_COLOURS

pytestmark = pytest.mark.real_images  # the pipeline's own tests look at every file it makes

SMALL = {"min_long_side": 300}
MB = 1024 * 1024


# ------------------------------------------------------------------ file makers

def encode(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def artwork(seed: int = 1, size=(480, 600), background=None) -> Image.Image:
    """A distinct little design per seed: shapes, a gradient and a ring, on transparency."""
    rnd = random.Random(seed)
    width, height = size
    image = Image.new("RGBA", size, background or (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for _ in range(rnd.randint(5, 8)):
        x0, y0 = rnd.uniform(0, 0.7) * width, rnd.uniform(0, 0.7) * height
        x1, y1 = x0 + rnd.uniform(0.15, 0.45) * width, y0 + rnd.uniform(0.15, 0.45) * height
        fill = (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256), 255)
        shape = rnd.choice(["ellipse", "rectangle", "triangle"])
        if shape == "ellipse":
            draw.ellipse((x0, y0, x1, y1), fill=fill)
        elif shape == "rectangle":
            draw.rectangle((x0, y0, x1, y1), fill=fill)
        else:
            draw.polygon([(x0, y1), ((x0 + x1) / 2, y0), (x1, y1)], fill=fill)
    band = Image.linear_gradient("L").resize((width, height // 6)).rotate(90 * rnd.randrange(4), expand=False)
    tint = Image.merge("RGBA", [band, ImageChops.invert(band), Image.new("L", band.size, 140),
                                Image.new("L", band.size, 255)])
    image.paste(tint, (0, int(rnd.uniform(0.3, 0.8) * height)))
    draw.ellipse((width * 0.3, height * 0.3, width * 0.7, height * 0.6), outline=(20, 20, 30, 255),
                 width=max(2, width // 60))
    return image


def png(image: Image.Image, **params) -> bytes:
    return encode(image, "PNG", **params)


def jpeg(image: Image.Image, **params) -> bytes:
    params.setdefault("quality", 92)
    return encode(image.convert("RGB") if image.mode == "RGBA" else image, "JPEG", **params)


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def raw_png(width: int, height: int, bit_depth: int, colour_type: int, rows: bytes) -> bytes:
    """A PNG written by hand, for what Pillow will not write (16-bit RGB, lying headers)."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", zlib.compress(rows))
            + png_chunk(b"IEND", b""))


def without_segment(jpeg_bytes: bytes, marker: bytes) -> bytes:
    """Drop one marker segment (e.g. Adobe APP14) from a JPEG's header."""
    at = jpeg_bytes.index(marker)
    length = struct.unpack(">H", jpeg_bytes[at + 2:at + 4])[0]
    return jpeg_bytes[:at] + jpeg_bytes[at + 2 + length:]


def with_dimensions(jpeg_bytes: bytes, width: int, height: int) -> bytes:
    """Rewrite the frame header (SOF0) of a baseline JPEG to claim another size."""
    at = jpeg_bytes.index(b"\xff\xc0")
    return jpeg_bytes[:at + 5] + struct.pack(">HH", height, width) + jpeg_bytes[at + 9:]


def opened(rendition) -> Image.Image:
    image = Image.open(io.BytesIO(rendition.data))
    image.load()
    return image


def process(data: bytes, colour: str = "white", **options):
    return process_print_file(data, colour, **{**SMALL, **options})


def rejection(data: bytes, colour: str = "white", **options) -> str:
    with pytest.raises(ArtworkRejected) as caught:
        process(data, colour, **options)
    return str(caught.value)


def close(actual, expected, tolerance: int) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected))


def mean_colour(image: Image.Image, centre, radius: int = 8) -> tuple[int, ...]:
    x, y = centre
    patch = image.convert("RGB").crop((x - radius, y - radius, x + radius, y + radius))
    return tuple(round(v) for v in patch.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0)))


# ------------------------------------------------------------------ refused files

def _apng() -> bytes:
    frames = [Image.new("RGB", (400, 400), colour) for colour in ("red", "blue", "green")]
    return encode(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=100)


def _animated_gif() -> bytes:
    frames = [Image.new("RGB", (400, 400), colour) for colour in ("red", "blue")]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def _truncated_png() -> bytes:
    data = png(artwork(1))
    return data[: len(data) * 2 // 3]


def _png_without_end() -> bytes:
    return png(artwork(1))[:-12]  # IEND gone: Pillow alone would accept it


def _png_with_flipped_bit() -> bytes:
    data = bytearray(png(artwork(1)))
    data[len(data) // 2] ^= 0x10  # inside IDAT: the chunk CRC no longer matches
    return bytes(data)


def _corrupt_jpeg() -> bytes:
    # A Huffman table whose code counts add up to more codes than exist. (Garbage inside the
    # compressed scan itself is not detectable: libjpeg only warns and decodes what it can.)
    data = bytearray(jpeg(artwork(1, background=(255, 255, 255, 255))))
    table = data.index(b"\xff\xc4")
    data[table + 5:table + 21] = b"\xff" * 16
    return bytes(data)


def _bomb_png() -> bytes:
    # The header claims 100000 x 100000 (10 gigapixels, 30 GB decoded) in a file of 100 bytes.
    return raw_png(100_000, 100_000, 8, 2, b"\x00" * 300)


def _jpeg_claiming(width: int, height: int) -> bytes:
    return with_dimensions(jpeg(Image.new("RGB", (400, 400), "red")), width, height)


BAD_FILES = [
    ("text renamed .png", lambda: b"Shopping list: milk, eggs, bread.\n" * 40, {},
     "This file is not a PNG or JPEG image."),
    ("empty file", lambda: b"", {}, "This file is not a PNG or JPEG image."),
    ("HTML page", lambda: b"<!DOCTYPE html>\n<html><body><h1>Hello</h1></body></html>", {},
     "This file is an SVG or web page, not a PNG or JPEG image."),
    ("SVG with script", lambda: (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="3000" '
                                 b'height="3000"><script>alert(document.cookie)</script><rect width="10" '
                                 b'height="10"/></svg>'), {},
     "This file is an SVG or web page, not a PNG or JPEG image."),
    ("SVG without a prolog", lambda: b'  <svg onload="alert(1)" xmlns="http://www.w3.org/2000/svg"/>', {},
     "This file is an SVG or web page"),
    ("PNG with a script appended", lambda: png(artwork(1)) + b"<script>alert(1)</script>", {},
     "This image contains hidden web page or script code."),
    ("PNG with a script in a text chunk",
     lambda: png(artwork(1), pnginfo=_text_chunk("Comment", "<script>alert(1)</script>")), {},
     "This image contains hidden web page or script code."),
    ("truncated PNG", _truncated_png, {}, "This image is damaged or incomplete."),
    ("PNG cut before its end", _png_without_end, {}, "This image is damaged or incomplete."),
    ("PNG with a flipped bit", _png_with_flipped_bit, {}, "This image is damaged or incomplete."),
    ("corrupt JPEG", _corrupt_jpeg, {}, "This image is damaged or incomplete."),
    ("truncated JPEG", lambda: jpeg(artwork(2))[:-400], {}, "This image is damaged or incomplete."),
    ("animated PNG", _apng, {}, "Animated images are not accepted."),
    ("animated GIF", _animated_gif, {}, "Animated images are not accepted."),
    ("PNG bomb", _bomb_png, {},
     "This image is 100000 × 100000 px: too many pixels to be processed safely (at most 60 million)."),
    ("JPEG claiming 60000 x 60000", lambda: _jpeg_claiming(60_000, 60_000), {},
     "too many pixels to be processed safely"),
    # Over Pillow's own warning threshold (89 Mpx) while our limit is set higher: the
    # DecompressionBombWarning itself must refuse the file, before any pixel is decoded.
    ("JPEG over Pillow's bomb warning", lambda: _jpeg_claiming(10_000, 10_000), {"max_pixels": 150_000_000},
     "too many pixels to be processed safely"),
    ("image over a small max_pixels", lambda: png(artwork(3, size=(600, 600))), {"max_pixels": 100_000},
     "This image is 600 × 600 px: too many pixels to be processed safely (at most 0.1 million)."),
    ("GIF", lambda: encode(artwork(4).convert("RGB"), "GIF"), {},
     "GIF images are not accepted. Upload a PNG or JPEG."),
    ("BMP", lambda: encode(artwork(4).convert("RGB"), "BMP"), {},
     "BMP images are not accepted. Upload a PNG or JPEG."),
    ("WebP", lambda: encode(artwork(4), "WEBP"), {}, "WebP images are not accepted. Upload a PNG or JPEG."),
    ("TIFF", lambda: encode(artwork(4), "TIFF"), {}, "TIFF images are not accepted. Upload a PNG or JPEG."),
    ("oversized", lambda: b"\x89PNG\r\n\x1a\n" + bytes(MB), {"max_bytes": MB}, "This file is larger than 1 MB."),
    ("unknown shirt colour", lambda: png(artwork(5)), {"colour": "tartan"},
     "“tartan” is not one of the shirt colours on offer."),
]


def _text_chunk(key: str, value: str) -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    info.add_text(key, value, zip=True)
    return info


@pytest.mark.parametrize(("make", "options", "message"), [case[1:] for case in BAD_FILES],
                         ids=[case[0] for case in BAD_FILES])
def test_bad_files_are_refused_with_a_message_that_says_why(make, options, message):
    options = dict(options)
    colour = options.pop("colour", "white")
    assert message in rejection(make(), colour, **options)


def test_size_is_checked_before_anything_is_decoded():
    # One byte over: refused for its size before anything looks at the (bomb) content.
    data = _bomb_png()
    assert rejection(data, max_bytes=len(data) - 1).startswith("This file is larger than")
    assert rejection(bytes(MB // 2 + 1), max_bytes=MB // 2) == "This file is larger than 0.5 MB."


def test_the_default_limit_is_stated_in_megabytes():
    assert rejection(bytes(30 * MB + 1)) == "This file is larger than 30 MB."


def test_too_small_for_print_says_what_is_needed():
    message = rejection(jpeg(artwork(1, size=(1200, 900))), min_long_side=3000)
    assert message == ("This image is 1200 × 900 px. Print files need at least 3000 px on the long side "
                       "(300 dpi at the print size).")


def test_too_small_is_stated_as_the_designer_sees_it():
    # Stored 1200 x 900 but shown 900 x 1200 (EXIF orientation 6): say 900 × 1200.
    exif = Image.Exif()
    exif[0x0112] = 6
    message = rejection(jpeg(artwork(1, size=(1200, 900)), exif=exif), min_long_side=3000)
    assert message.startswith("This image is 900 × 1200 px.")


def test_refusals_are_image_rejections_for_the_form():
    with pytest.raises(ImageRejected):
        process(b"not an image")


# ------------------------------------------------------------------ accepted files come out right

def test_png_with_transparency_keeps_it():
    design = artwork(1)
    result = process(png(design))
    printed = opened(result.print_file)
    assert (result.print_file.extension, printed.format, printed.mode) == ("png", "PNG", "RGBA")
    assert printed.size == design.size
    assert printed.getpixel((2, 2))[3] == 0  # a corner of the canvas: transparent
    assert ImageChops.difference(printed, design).getbbox() is None  # lossless
    thumbnail = opened(result.thumbnail)
    assert (thumbnail.format, thumbnail.mode) == ("WEBP", "RGBA")
    assert thumbnail.getpixel((1, 1))[3] == 0
    fallback = opened(result.thumbnail_fallback)
    assert (result.thumbnail_fallback.extension, fallback.format, fallback.mode) == ("png", "PNG", "RGBA")
    assert opened(result.preview_fallback).format == "PNG"


def test_rgb_jpeg_gets_jpeg_fallbacks():
    result = process(jpeg(artwork(2, background=(255, 255, 255, 255))))
    printed = opened(result.print_file)
    assert (printed.format, printed.mode, printed.size) == ("PNG", "RGB", (480, 600))
    for rendition in (result.thumbnail_fallback, result.preview_fallback, result.mockup_fallback):
        assert rendition.extension == "jpg" and opened(rendition).format == "JPEG"
    assert opened(result.thumbnail).mode == "RGB"


def test_opaque_alpha_is_treated_as_opaque_for_the_renditions():
    result = process(png(artwork(2, background=(250, 240, 230, 255))))
    assert result.thumbnail_fallback.extension == "jpg"


@pytest.mark.parametrize("adobe", [True, False], ids=["Adobe inverted CMYK", "plain CMYK"])
def test_cmyk_jpeg_comes_out_in_the_right_colours(adobe):
    # Left: pure red (no cyan, full magenta and yellow). Right: 50 % black.
    cmyk = Image.new("CMYK", (480, 400), (0, 255, 255, 0))
    cmyk.paste((0, 0, 0, 128), (240, 0, 480, 400))
    if adobe:
        data = encode(cmyk, "JPEG", quality=95)  # Pillow, like Photoshop, writes inverted CMYK + APP14
    else:
        # Inverted on the way in, the encoder's own inversion cancels out: plain CMYK values.
        data = without_segment(encode(ImageChops.invert(cmyk), "JPEG", quality=95), b"\xff\xee")
        assert b"Adobe" not in data
    printed = opened(process(data).print_file)
    assert printed.mode == "RGB"
    assert close(printed.getpixel((100, 200)), (255, 0, 0), 12)
    assert close(printed.getpixel((360, 200)), (127, 127, 127), 12)


def test_sixteen_bit_grey_png_is_scaled_not_clipped():
    grey = Image.new("I;16", (480, 360), 32896)  # 50 % grey in 16 bits
    grey.paste(65535, (0, 0, 100, 100))
    result = process(png(grey))
    printed = opened(result.print_file)
    assert printed.mode == "RGB"
    assert close(printed.getpixel((300, 300)), (128, 128, 128), 1)
    assert printed.getpixel((50, 50)) == (255, 255, 255)


def test_sixteen_bit_rgb_png_comes_out_as_eight_bit():
    pixel = struct.pack(">HHH", 0x8080, 0x4000, 0xC0C0)
    rows = (b"\x00" + pixel * 420) * 310
    printed = opened(process(raw_png(420, 310, 16, 2, rows)).print_file)
    assert printed.mode == "RGB"
    assert close(printed.getpixel((10, 10)), (128, 64, 192), 1)


@pytest.mark.parametrize(("mode", "expected_mode"), [
    ("P", "RGB"), ("L", "RGB"), ("LA", "RGBA"), ("1", "RGB"),
])
def test_other_png_modes_are_normalised(mode, expected_mode):
    source = artwork(3, background=(255, 255, 255, 255)) if mode != "LA" else artwork(3)
    image = source.convert(mode) if mode != "P" else source.convert("RGB").quantize(64)
    printed = opened(process(png(image)).print_file)
    assert printed.mode == expected_mode


def test_palette_png_with_transparency_keeps_it():
    image = artwork(3).quantize(64)  # RGBA quantized: a palette with a transparent entry
    printed = opened(process(png(image)).print_file)
    assert printed.mode == "RGBA" and printed.getpixel((1, 1))[3] == 0


def test_exif_orientation_is_applied():
    # Stored landscape 600 x 400 with a red marker in the stored top-left corner. Orientation 6
    # means "rotate 90° clockwise to display": it is shown portrait, the marker top-right.
    stored = Image.new("RGB", (600, 400), "white")
    stored.paste((220, 0, 0), (0, 0, 80, 80))
    exif = Image.Exif()
    exif[0x0112] = 6
    result = process(jpeg(stored, exif=exif))
    printed = opened(result.print_file)
    assert printed.size == (400, 600)
    assert close(printed.getpixel((360, 40)), (220, 0, 0), 12)
    assert close(printed.getpixel((40, 40)), (255, 255, 255), 12)
    assert opened(result.preview).size == (400, 600)


def test_declared_dpi_is_reported():
    assert process(jpeg(artwork(1), dpi=(300, 300))).dpi == (300, 300)
    assert process(png(artwork(1), dpi=(150, 150))).dpi == (150, 150)
    assert process(png(artwork(1))).dpi is None


def _loaded_with_metadata() -> list[bytes]:
    """A JPEG and a PNG carrying EXIF (with GPS), XMP, ICC, comments and text chunks."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0131] = "SecretEditor 1.0"  # Software
    gps = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}
    exif[0x8825] = gps
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><dc:creator>Jane Doe</dc:creator></rdf:RDF></x:xmpmeta>'
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    design = artwork(6)
    jpeg_bytes = jpeg(design, exif=exif, comment=b"shot at home", xmp=xmp, icc_profile=icc, dpi=(300, 300))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Doe")
    info.add_text("Comment", "drawn on my tablet", zip=True)
    info.add_itxt("Description", "home address here", lang="en")
    png_bytes = png(design, pnginfo=info, exif=exif, icc_profile=icc, dpi=(300, 300))
    return [jpeg_bytes, png_bytes]


# What Pillow's decoders report about any file: no metadata carried by the file itself.
HARMLESS_INFO = {"jfif", "jfif_version", "jfif_unit", "jfif_density", "progressive", "progression",
                 "loop", "duration", "background", "timestamp"}


def container_parts(data: bytes) -> set[bytes]:
    """The chunk types (PNG, WebP) or header marker segments (JPEG) a file is made of."""
    parts = set()
    if data.startswith(b"\x89PNG"):
        at = 8
        while at < len(data):
            length, kind = struct.unpack(">I4s", data[at:at + 8])
            parts.add(kind)
            at += 12 + length
    elif data.startswith(b"RIFF"):
        at = 12
        while at < len(data):
            kind, length = struct.unpack("<4sI", data[at:at + 8])
            parts.add(kind)
            at += 8 + length + (length & 1)
    else:
        at = 2
        while data[at + 1] != 0xDA:  # up to the start of scan
            parts.add(data[at:at + 2])
            at += 2 + struct.unpack(">H", data[at + 2:at + 4])[0]
    return parts


METADATA_PARTS = {
    b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP", b"pHYs", b"tIME", b"sRGB", b"gAMA", b"cHRM",  # PNG
    b"EXIF", b"XMP ", b"ICCP",  # WebP
    b"\xff\xe1", b"\xff\xe2", b"\xff\xed", b"\xff\xfe",  # JPEG: EXIF/XMP, ICC, Photoshop, comment
}


@pytest.mark.parametrize("data", _loaded_with_metadata(), ids=["JPEG", "PNG"])
def test_metadata_is_gone_from_every_output(data):
    source = Image.open(io.BytesIO(data))
    assert source.getexif() and ("comment" in source.info or "Author" in source.info)  # it was there
    assert container_parts(data) & METADATA_PARTS
    result = process(data)
    assert result.dpi == (300, 300)
    for name in ("print_file", "thumbnail", "thumbnail_fallback", "preview", "preview_fallback",
                 "mockup", "mockup_fallback"):
        rendition = getattr(result, name)
        image = opened(rendition)
        assert not image.getexif(), name
        assert set(image.info) <= HARMLESS_INFO, (name, set(image.info))
        assert not container_parts(rendition.data) & METADATA_PARTS, (name, container_parts(rendition.data))
        assert b"Jane" not in rendition.data and b"PhoneMaker" not in rendition.data, name


def test_an_srgb_profile_is_converted_away_without_changing_colours():
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    design = artwork(7, background=(255, 255, 255, 255)).convert("RGB")
    printed = opened(process(png(design, icc_profile=icc)).print_file)
    assert "icc_profile" not in printed.info
    assert ImageChops.difference(printed, design).getbbox() is None


# ------------------------------------------------------------------ renditions and mockup

def test_rendition_sizes_and_formats():
    result = process(png(artwork(8, size=(1600, 2000))), "navy")
    expected = {
        "print_file": ("png", "PNG", (1600, 2000)),
        "thumbnail": ("webp", "WEBP", (384, 480)),
        "thumbnail_fallback": ("png", "PNG", (384, 480)),
        "preview": ("webp", "WEBP", (1120, 1400)),
        "preview_fallback": ("png", "PNG", (1120, 1400)),
        "mockup": ("webp", "WEBP", MOCKUP_SIZE),
        "mockup_fallback": ("jpg", "JPEG", MOCKUP_SIZE),
    }
    for name, (extension, fmt, size) in expected.items():
        rendition = getattr(result, name)
        image = opened(rendition)
        assert (rendition.extension, image.format, image.size) == (extension, fmt, size), name
        assert (rendition.width, rendition.height) == size, name


def test_landscape_renditions_fit_the_long_side():
    result = process(jpeg(artwork(9, size=(2000, 1000), background=(255, 255, 255, 255))))
    assert opened(result.preview).size == (1400, 700)
    assert opened(result.thumbnail).size == (480, 240)


def test_small_images_are_never_upscaled():
    result = process(png(artwork(9, size=(400, 300))))
    assert opened(result.preview).size == (400, 300)
    assert opened(result.thumbnail).size == (400, 300)


# Points on the shirt body clear of the print, in a 1200 x 1300 mockup: lower front, a sleeve.
BODY_POINTS = [(470, 930), (1000, 450)]


@pytest.mark.parametrize("name", sorted(SHIRT_COLOURS))
def test_mockup_is_the_chosen_shirt_colour(name):
    colour = Image.new("RGB", (1, 1), SHIRT_COLOURS[name]).getpixel((0, 0))
    mockup = render_mockup(Image.new("RGBA", (300, 300), (0, 0, 0, 0)), SHIRT_COLOURS[name])
    assert mockup.size == MOCKUP_SIZE and mockup.mode == "RGB"
    for point in BODY_POINTS:
        assert close(mean_colour(mockup, point), colour, 24), (name, point, mean_colour(mockup, point))
    assert close(mean_colour(mockup, (40, 40)), (228, 226, 221), 24)  # a light neutral backdrop


def test_mockup_shows_the_design_on_the_chest():
    design = Image.new("RGBA", (600, 600), (0, 0, 0, 0))
    ImageDraw.Draw(design).rectangle((100, 100, 500, 500), fill=(20, 160, 60, 255))
    mockup = render_mockup(design, SHIRT_COLOURS["black"])
    assert close(mean_colour(mockup, (600, 500)), (20, 160, 60), 30)  # chest: the print
    assert close(mean_colour(mockup, (600, 330)), (29, 29, 31), 24)  # transparent margin: the shirt


def test_processed_mockup_uses_the_chosen_colour():
    result = process(png(artwork(10)), "red")
    mockup = opened(result.mockup_fallback)
    assert close(mean_colour(mockup, BODY_POINTS[0]), (179, 32, 46), 24)


def test_colours_can_come_from_the_app_config():
    result = process(png(artwork(10)), "forest", colours={"forest": "#2e5e3a"})
    assert close(mean_colour(opened(result.mockup_fallback), BODY_POINTS[0]), (46, 94, 58), 24)


# ------------------------------------------------------------------ determinism and hashing

def test_same_bytes_give_byte_identical_outputs():
    data = png(artwork(11))
    first, second = process(data), process(data)
    assert first.print_file.data == second.print_file.data
    assert first == second


def test_real_print_resolution_rule():
    """The defaults, as production runs them: 3000 px on the long side is just enough."""
    design = artwork(12, size=(2400, 3000), background=(255, 255, 255, 255)).convert("RGB")
    result = process_print_file(jpeg(design), "white")
    assert (result.print_file.width, result.print_file.height) == (2400, 3000)
    assert opened(result.preview).size == (1120, 1400)
    with pytest.raises(ArtworkRejected, match="This image is 2399 × 2999 px. Print files need at least 3000 px"):
        process_print_file(jpeg(design.resize((2399, 2999))), "white")


def _flattened(image: Image.Image) -> Image.Image:
    flat = Image.new("RGB", image.size, "white")
    flat.paste(image, mask=image.getchannel("A"))
    return flat


def near_copies(image: Image.Image) -> dict[str, Image.Image]:
    """What a re-upload of the same artwork typically looks like."""
    flat = _flattened(image)
    smaller = flat.resize((image.width * 3 // 5, image.height * 3 // 5), Image.Resampling.LANCZOS)
    padded = Image.new("RGBA", (image.width + 200, image.height + 120), (0, 0, 0, 0))
    padded.paste(image, (100, 20))
    return {
        "resized and JPEG": Image.open(io.BytesIO(jpeg(smaller, quality=70))),
        "bigger": image.resize((image.width * 2, image.height * 2), Image.Resampling.BICUBIC),
        "brighter": ImageEnhance.Brightness(flat).enhance(1.1),
        "more saturated": ImageEnhance.Color(flat).enhance(1.4),
        "hue nudged": Image.merge("RGB", [flat.getchannel(c).point(lambda v, k=k: min(255, round(v * k)))
                                          for c, k in (("R", 1.08), ("G", 0.95), ("B", 1.05))]),
        "more contrast": ImageEnhance.Contrast(flat).enhance(1.2),
        "on a bigger canvas": padded,
        "greyscale": ImageOps.grayscale(flat),
    }


@pytest.mark.parametrize("seed", [21, 22, 23, 24])
def test_near_copies_hash_within_the_threshold(seed):
    original = perceptual_hash(artwork(seed))
    distances = {name: hash_distance(original, perceptual_hash(copy))
                 for name, copy in near_copies(artwork(seed)).items()}
    assert max(distances.values()) <= NEAR_DUPLICATE_DISTANCE, distances


def test_distinct_artworks_hash_beyond_the_threshold():
    hashes = [perceptual_hash(artwork(seed)) for seed in range(30, 50)]
    distances = [hash_distance(a, b) for i, a in enumerate(hashes) for b in hashes[i + 1:]]
    assert min(distances) > NEAR_DUPLICATE_DISTANCE, sorted(distances)[:5]


def test_pipeline_hash_matches_a_resized_jpeg_reupload():
    design = artwork(25, size=(1200, 1500))
    original = process(png(design)).phash
    reupload = _flattened(design).resize((800, 1000), Image.Resampling.LANCZOS)
    copy = process(jpeg(reupload, quality=75)).phash
    other = process(png(artwork(26, size=(1200, 1500)))).phash
    assert len(original) == 16 and int(original, 16) >= 0
    assert hash_distance(original, copy) <= NEAR_DUPLICATE_DISTANCE
    assert hash_distance(original, other) > NEAR_DUPLICATE_DISTANCE


def test_hash_distance():
    assert hash_distance("0" * 16, "0" * 16) == 0
    assert hash_distance("0" * 16, "f" * 16) == 64
    assert hash_distance("00000000000000ff", "0000000000000f0f") == 8
    with pytest.raises(ValueError):
        hash_distance("abc", "0" * 16)
