#!/usr/bin/env python3
"""Draws the portal's icon, a small window ("okienko") in the theme's
colours, and writes it as a Windows icon (16x16 and 32x32, 32-bit BMP
images) to the path given:

    python3 scripts/favicon.py themes/default/static/favicon.ico

The output is the same bytes every time; the committed icon is this
script's output (tests/integration/content.sh checks it)."""
import struct
import sys

BLUE = (0x0B, 0x4F, 0x8A)  # --accent in style.css
WHITE = (0xFF, 0xFF, 0xFF)
YELLOW = (0xFF, 0xBF, 0x47)  # --focus


def pixel(x, y, n):
    """The colour at (x, y) of an n x n icon (y from the top)."""
    frame = max(1, n // 8)  # the window's frame and its cross
    mid = n // 2
    if x < frame or y < frame or x >= n - frame or y >= n - frame:
        return BLUE
    if abs(x - mid + 0.5) < frame / 2 + 0.5 or abs(y - mid + 0.5) < frame / 2 + 0.5:
        return BLUE
    # the upper left pane lit, the others white
    if x < mid and y < mid:
        return YELLOW
    return WHITE


def bmp(n):
    """A BITMAPINFOHEADER image as an icon holds it: height doubled,
    rows bottom up, BGRA, then an all-zero AND mask (alpha says it all)."""
    header = struct.pack("<IiiHHIIiiII", 40, n, 2 * n, 1, 32, 0, 0, 0, 0, 0, 0)
    rows = []
    for y in reversed(range(n)):
        for x in range(n):
            r, g, b = pixel(x, y, n)
            rows.append(struct.pack("<BBBB", b, g, r, 0xFF))
    mask_row = ((n + 31) // 32) * 4
    return header + b"".join(rows) + b"\0" * (mask_row * n)


def ico(sizes):
    images = [bmp(n) for n in sizes]
    out = struct.pack("<HHH", 0, 1, len(sizes))
    offset = 6 + 16 * len(sizes)
    for n, data in zip(sizes, images):
        out += struct.pack("<BBBBHHII", n, n, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    return out + b"".join(images)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: favicon.py OUT.ico")
    with open(sys.argv[1], "wb") as f:
        f.write(ico([16, 32]))
