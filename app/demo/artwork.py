"""Pleasant, varied T-shirt artwork drawn with Pillow, for the demo (no external images)."""
from __future__ import annotations

import io
import math
import random

from PIL import Image, ImageDraw, ImageFilter, ImageFont

PALETTES = [
    ["#f94144", "#f3722c", "#f8961e", "#f9c74f", "#90be6d", "#43aa8b", "#577590"],
    ["#264653", "#2a9d8f", "#e9c46a", "#f4a261", "#e76f51"],
    ["#22223b", "#4a4e69", "#9a8c98", "#c9ada7", "#f2e9e4"],
    ["#ff595e", "#ffca3a", "#8ac926", "#1982c4", "#6a4c93"],
    ["#003049", "#d62828", "#f77f00", "#fcbf49", "#eae2b7"],
    ["#0b132b", "#1c2541", "#3a506b", "#5bc0be", "#6fffe9"],
    ["#ffbe0b", "#fb5607", "#ff006e", "#8338ec", "#3a86ff"],
]
SIZE = 3000  # the print rule's minimum long side


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def _sunset(draw, rng, palette, size):
    cx, cy, r = size // 2, size // 2, size * 0.42
    for i, colour in enumerate(palette):
        band = r * 2 / len(palette)
        draw.rectangle((cx - r, cy - r + i * band, cx + r, cy - r + (i + 1) * band), fill=colour)
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)
    for k in range(6):
        y = cy + r * 0.15 + k * r * 0.13
        draw.rectangle((cx - r, y, cx + r, y + r * 0.04 * (k + 1) / 2), fill=(0, 0, 0, 0))
    return mask


def _mountains(draw, rng, palette, size):
    draw.ellipse((size * .62, size * .14, size * .82, size * .34), fill=palette[-1])
    for layer, colour in enumerate(palette[:4]):
        base = size * (0.55 + layer * 0.1)
        points = [(0, size)]
        x = 0
        while x <= size:
            points.append((x, base - rng.uniform(0.05, 0.28) * size * (1 - layer * 0.18)))
            x += rng.randint(size // 8, size // 4)
        points += [(size, base), (size, size)]
        draw.polygon(points, fill=colour)
    return _circle_mask(size)


def _waves(draw, rng, palette, size):
    for i in range(12):
        colour = palette[i % len(palette)]
        amp, phase, y0 = size * 0.04, rng.uniform(0, math.tau), size * (0.12 + i * 0.065)
        points = [(x, y0 + amp * math.sin(x / size * math.tau * 2 + phase)) for x in range(0, size + 30, 30)]
        draw.line(points, fill=colour, width=size // 28, joint="curve")
    return _circle_mask(size)


def _dots(draw, rng, palette, size):
    step = size // 9
    for gx in range(9):
        for gy in range(9):
            r = rng.uniform(0.15, 0.48) * step
            cx, cy = gx * step + step / 2, gy * step + step / 2
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=rng.choice(palette))
    return None


def _bloom(draw, rng, palette, size):
    cx = cy = size / 2
    petals = rng.randint(6, 12)
    for ring, colour in enumerate(palette[:4]):
        radius = size * (0.42 - ring * 0.09)
        for p in range(petals):
            angle = p / petals * math.tau + ring * 0.3
            px, py = cx + math.cos(angle) * radius * 0.55, cy + math.sin(angle) * radius * 0.55
            pr = radius * 0.45
            draw.ellipse((px - pr, py - pr, px + pr, py + pr), fill=colour)
    draw.ellipse((cx - size * .08, cy - size * .08, cx + size * .08, cy + size * .08), fill=palette[-1])
    return None


def _stripes(draw, rng, palette, size):
    angle = rng.choice([1, -1])
    width = size // 14
    for i in range(-14, 30):
        x = i * width
        draw.polygon([(x, 0), (x + width, 0), (x + width + angle * size, size), (x + angle * size, size)],
                     fill=palette[i % len(palette)])
    return _circle_mask(size)


def _circle_mask(size):
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).ellipse((size * .08, size * .08, size * .92, size * .92), fill=255)
    return mask


MOTIFS = [_sunset, _mountains, _waves, _dots, _bloom, _stripes]


def make_artwork(seed: int, title: str | None = None) -> bytes:
    """A PNG print file (3000 × 3000, transparent background) that looks like a real design."""
    rng = random.Random(seed)
    palette = rng.choice(PALETTES)[:]
    rng.shuffle(palette)
    # Draw at a quarter of the size, then scale up: quick, and smooth edges.
    small = SIZE // 4
    layer = Image.new("RGBA", (small, small), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    mask = MOTIFS[seed % len(MOTIFS)](draw, rng, palette, small)
    if mask is not None:
        layer.putalpha(Image.composite(layer.getchannel("A"), Image.new("L", layer.size, 0), mask))
    if title:
        font = ImageFont.load_default(size=small // 11)
        text = title.upper()
        box = draw.textbbox((0, 0), text, font=font)
        x, y = (small - (box[2] - box[0])) / 2, small * 0.82
        shadow = Image.new("RGBA", layer.size, (0, 0, 0, 0))
        ImageDraw.Draw(shadow).text((x + 4, y + 4), text, font=font, fill=(0, 0, 0, 140))
        layer = Image.alpha_composite(layer, shadow.filter(ImageFilter.GaussianBlur(3)))
        ImageDraw.Draw(layer).text((x, y), text, font=font, fill=_rgb(palette[0]) + (255,))
    art = layer.resize((SIZE, SIZE), Image.Resampling.BICUBIC)
    out = io.BytesIO()
    art.save(out, "PNG", compress_level=1)
    return out.getvalue()
