"""The mockup: the design printed on the chest of a blank shirt of the chosen colour."""
from __future__ import annotations

from PIL import Image, ImageChops

from app.designs.shirt import blank_shirt, is_heather

MOCKUP_SIZE = (1200, 1300)


def render_mockup(design: Image.Image, colour_hex: str, size: tuple[int, int] = MOCKUP_SIZE, *,
                  heather: bool | None = None) -> Image.Image:
    """The design printed on the chest of a flat-laid T-shirt of the given colour (RGB image).

    `heather` draws a heather knit; by default, when the colour is a known heather one."""
    if heather is None:
        heather = is_heather("", colour_hex)
    shirt = blank_shirt(colour_hex, (int(size[0]), int(size[1])), heather)
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
