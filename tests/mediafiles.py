"""Image files made at test time (too big to commit) and the bad-media fixture folder."""

from __future__ import annotations

import math
import random
from pathlib import Path

BAD_MEDIA = Path(__file__).parent / "data" / "bad-media"
EXAMPLE = Path(__file__).parent.parent / "media" / "escarapela.png"


def big_jpeg(path: Path, megabytes: float = 6.0) -> Path:
    """A real JPEG of noise of at least `megabytes` MB (noise does not compress), deterministic."""
    from PIL import Image

    target = megabytes * 1024 * 1024
    side = math.isqrt(int(target / 2.9))  # noise at quality 100 takes a little under 3 bytes per pixel
    while True:
        pixels = random.Random(14).randbytes(side * side * 3)
        Image.frombytes("RGB", (side, side), pixels).save(path, format="JPEG", quality=100)
        if path.stat().st_size >= megabytes * 1024 * 1024:
            return path
        side += 40
