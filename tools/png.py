"""A small PNG reader (standard library only), enough to tell a blank screenshot from a painted one."""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from dataclasses import dataclass
from itertools import accumulate

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # colour type -> samples per pixel (palette images are not supported)


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    channels: int
    rows: list[bytes]  # the unfiltered scanlines, `channels` bytes per pixel

    def colours(self) -> Counter[tuple[int, ...]]:
        """How many pixels have each colour (alpha included when the image has it)."""
        counts: Counter[tuple[int, ...]] = Counter()
        n = self.channels
        for row in self.rows:
            counts.update(zip(*(row[c::n] for c in range(n)), strict=True))
        return counts

    def pixel(self, x: int, y: int) -> tuple[int, ...]:
        start = x * self.channels
        return tuple(self.rows[y][start : start + self.channels])


def _add(a: bytes, b: bytes, low: int, high: int) -> bytes:
    """Byte-wise (a + b) mod 256 of two equally long strings, on big integers (no carries between bytes)."""
    x, y = int.from_bytes(a), int.from_bytes(b)
    return (((x & low) + (y & low)) ^ ((x ^ y) & high)).to_bytes(len(a))


def _add_byte(a: int, b: int) -> int:
    return (a + b) & 0xFF


def _unfilter(kind: int, line: bytes, previous: bytes, bpp: int, low: int, high: int) -> bytes:
    if kind == 0:
        return line
    if kind == 2:  # Up: the commonest in Chromium's screenshots, done without a Python loop
        return _add(line, previous, low, high)
    out = bytearray(line)
    if kind == 1:  # Sub: a running sum per channel
        for c in range(bpp):
            summed: list[int] = list(accumulate(out[c::bpp], _add_byte))
            out[c::bpp] = bytes(summed)
        return bytes(out)
    if kind == 3:  # Average
        for i in range(len(out)):
            out[i] = (out[i] + (((out[i - bpp] if i >= bpp else 0) + previous[i]) >> 1)) & 0xFF
        return bytes(out)
    if kind != 4:
        raise ValueError(f"bad PNG filter type {kind}")
    for i in range(bpp):  # Paeth of the first pixel: left and upper-left are 0, so the predictor is `up`
        out[i] = (out[i] + previous[i]) & 0xFF
    for i in range(bpp, len(out)):  # Paeth, inlined: this loop is most of the decoding time
        a, b, c = out[i - bpp], previous[i], previous[i - bpp]
        pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - c - c)
        out[i] = (out[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
    return bytes(out)


def decode(data: bytes) -> Image:
    """Decode an 8-bit, non-interlaced greyscale/RGB(A) PNG, such as Chromium's screenshots."""
    if not data.startswith(SIGNATURE):
        raise ValueError("not a PNG file")
    pos = len(SIGNATURE)
    header: tuple[int, ...] = ()
    compressed = bytearray()
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            compressed += body
        elif kind == b"IEND":
            break
    if not header:
        raise ValueError("PNG without IHDR")
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in CHANNELS or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}, interlace {interlace}")
    bpp = CHANNELS[colour]
    stride = width * bpp
    raw = zlib.decompress(bytes(compressed))
    if len(raw) != height * (stride + 1):
        raise ValueError("PNG image data has the wrong size")
    high = int.from_bytes(b"\x80" * stride)
    low = int.from_bytes(b"\x7f" * stride)
    previous = bytes(stride)
    rows: list[bytes] = []
    for y in range(height):
        start = y * (stride + 1)
        previous = _unfilter(raw[start], raw[start + 1 : start + 1 + stride], previous, bpp, low, high)
        rows.append(previous)
    return Image(width, height, bpp, rows)


@dataclass(frozen=True)
class Painted:
    """How much of a picture is more than its background (the colour of its top-left pixel)."""

    width: int
    height: int
    distinct_colours: int
    non_background: float  # fraction of pixels that differ from the background


def painted(data: bytes) -> Painted:
    image = decode(data)
    counts = image.colours()
    total = image.width * image.height or 1
    return Painted(image.width, image.height, len(counts), 1 - counts[image.pixel(0, 0)] / total)
