#!/usr/bin/env python3
"""Draws the two services' favicons (our own drawings, MIT like the rest):
`favicon.ico` (a 32x32 and a 16x16 PNG inside an ICO, for browsers that ask
for /favicon.ico) beside the hand-written `favicon.svg` of each service.

usage: scripts/make_favicons.py   (rewrites crates/*/assets/favicon.ico)
Standard library only: the PNGs are written by hand (zlib + crc32).
"""
import math
import struct
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rounded_square(x, y, n, r):
    """Inside a square of side n with corners rounded by r (pixel centres)."""
    cx = min(max(x, r), n - r)
    cy = min(max(y, r), n - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def ticket(u, v):
    """A ticket: a wide rectangle with a round notch in each short side."""
    if not (0.18 <= u <= 0.82 and 0.30 <= v <= 0.70):
        return False
    for nx in (0.18, 0.82):
        if (u - nx) ** 2 + (v - 0.5) ** 2 <= 0.07 ** 2:
            return False
    # A perforation line between stub and body.
    return not (abs(u - 0.62) < 0.025 and int(v * 20) % 2 == 0)


def bag(u, v):
    """A shopping bag: a trapezoid body and an arched handle."""
    if 0.38 <= v <= 0.80:
        half = 0.26 + (v - 0.38) * 0.12
        if abs(u - 0.5) <= half:
            return True
    d = math.hypot(u - 0.5, v - 0.40)
    return v <= 0.40 and 0.12 <= d <= 0.18


def pixels(n, background, shape):
    rows = []
    for j in range(n):
        row = bytearray([0])  # PNG filter: none
        for i in range(n):
            x, y = i + 0.5, j + 0.5
            if not rounded_square(x, y, n, n * 0.22):
                row += bytes([0, 0, 0, 0])
            elif shape(x / n, y / n):
                row += bytes([255, 255, 255, 255])
            else:
                row += bytes(background) + b"\xff"
        rows.append(bytes(row))
    return b"".join(rows)


def png(n, background, shape):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", n, n, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels(n, background, shape), 9))
        + chunk(b"IEND", b"")
    )


def ico(images):
    """An ICO file holding PNG images (supported by every current browser)."""
    out = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    body = b""
    for n, data in images:
        out += struct.pack("<BBBBHHII", n % 256, n % 256, 0, 0, 1, 32, len(data), offset + len(body))
        body += data
    return out + body


for crate, background, shape in [
    ("tickets", (29, 78, 216), ticket),  # the desk's blue
    ("ahorro", (21, 128, 61), bag),  # the shop's green
]:
    target = ROOT / "crates" / crate / "assets" / "favicon.ico"
    target.write_bytes(ico([(n, png(n, background, shape)) for n in (32, 16)]))
    print(f"wrote {target.relative_to(ROOT)}")
