"""Draws the committed example image media/escarapela.png: a Peruvian cockade (red-white-red) on white.

Deterministic: the same Pillow gives the same bytes. Run it again only to change the design:
    .venv/bin/python tools/make_example_media.py
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from PIL import Image, ImageDraw

RED = (217, 16, 35)
WHITE = (255, 255, 255)
WIDTH, HEIGHT = 1200, 675  # 16:9, how X and Facebook show a single image in the feed
SCALE = 2  # drawn at twice the size, then reduced: smooth edges


def draw() -> Image.Image:
    w, h = WIDTH * SCALE, HEIGHT * SCALE
    image = Image.new("RGB", (w, h), WHITE)
    pen = ImageDraw.Draw(image)
    cx, cy = w // 2, int(h * 0.42)
    # Two ribbon tails under the rosette.
    for side in (-1, 1):
        x0 = cx + side * 40 * SCALE
        tail = [(x0 - 45 * SCALE, cy), (x0 + 45 * SCALE, cy), (x0 + side * 70 * SCALE, cy + 270 * SCALE)]
        tail.append((x0 + side * 70 * SCALE - 90 * SCALE * side, cy + 240 * SCALE))
        pen.polygon(tail, fill=RED)
        stripe = [(x0 - 15 * SCALE, cy), (x0 + 15 * SCALE, cy), (x0 + side * 30 * SCALE, cy + 250 * SCALE)]
        pen.polygon(stripe, fill=WHITE)
    # The pleated outer ring: a red disc with a scalloped edge, then white and red rings.
    outer = 230 * SCALE
    for n in range(36):
        angle = 2 * math.pi * n / 36
        x, y = cx + outer * 0.93 * math.cos(angle), cy + outer * 0.93 * math.sin(angle)
        r = outer * 0.12
        pen.ellipse((x - r, y - r, x + r, y + r), fill=RED)
    for radius, colour in ((outer * 0.95, RED), (outer * 0.66, WHITE), (outer * 0.40, RED)):
        pen.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=colour)
    for n in range(24):  # pleat lines on the red ring
        angle = 2 * math.pi * n / 24
        inner, outer_r = outer * 0.68, outer * 0.93
        start = (cx + inner * math.cos(angle), cy + inner * math.sin(angle))
        end = (cx + outer_r * math.cos(angle), cy + outer_r * math.sin(angle))
        pen.line((start, end), fill=(170, 10, 25), width=3 * SCALE)
    small = image.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    return small.quantize(colors=16, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)


def main(argv: list[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent / "media" / "escarapela.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    draw().save(target, format="PNG", optimize=True)
    print(f"{target}: {target.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
