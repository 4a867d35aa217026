"""The blank shirt a mockup is printed on: a flat-laid T-shirt drawn with Pillow, in any colour.

Drawn once per colour and size (cached), with its folds, seams, knit and collar, and the light
layers that let the print follow the fabric.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageChops, ImageColor, ImageDraw, ImageFilter

from app.palette import HEATHER_COLOURS


@dataclass(frozen=True)
class Shirt:
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


def is_heather(name: str, colour_hex: str) -> bool:
    return "heather" in name.lower() or colour_hex.lower() in HEATHER_COLOURS


@lru_cache(maxsize=8)  # ~7 MB per colour
def blank_shirt(colour_hex: str, size: tuple[int, int], heather: bool = False) -> Shirt:
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
    return Shirt(image=image, print_area=area, ink_shadow=ink_shadow,
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
