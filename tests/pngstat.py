#!/usr/bin/python3
"""tests/pngstat.py -- what a person would see in a PNG, as numbers (tests/test_cli_plot.sh).

    python3 tests/pngstat.py FILE.png [X0 Y0 X1 Y1] [#RRGGBB ...]

Decodes the PNG with the standard library only (zlib, struct: 8-bit grey, RGB, RGBA and
grey-alpha, not interlaced; what cairo writes) and prints one JSON object:

    width, height        the IHDR's size
    distinct             distinct RGB values in the whole picture
    region_distinct      distinct RGB values inside the box X0 Y0 X1 Y1 (canvas units,
                         shrunk by 2 pixels so that the frame's own pixels are left out;
                         the whole picture when no box is given)
    counts               {"#RRGGBB": pixels of exactly that colour inside the box} for each
                         colour asked
    non_white            pixels inside the box that are not white
"""
import json
import struct
import sys
import zlib


def decode(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("%s: not a PNG" % path)
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or interlace != 0 or ctype not in (0, 2, 4, 6):
        sys.exit("%s: depth %d, colour type %d, interlace %d: not decoded here"
                 % (path, depth, ctype, interlace))
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        ftype, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ftype == 1:
                line[x] = (line[x] + a) & 255
            elif ftype == 2:
                line[x] = (line[x] + b) & 255
            elif ftype == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[x] = (line[x] + pred) & 255
        rows.append(bytes(line))
        prev = line
    pixels = []
    for line in rows:
        if ctype == 2:
            pixels.append([line[x:x + 3] for x in range(0, stride, 3)])
        elif ctype == 6:
            pixels.append([line[x:x + 3] for x in range(0, stride, 4)])
        elif ctype == 0:
            pixels.append([bytes([v, v, v]) for v in line])
        else:
            pixels.append([bytes([line[x]] * 3) for x in range(0, stride, 2)])
    return width, height, pixels


def stats(path, box=None, colours=()):
    """The numbers above for the PNG at path, box (x0, y0, x1, y1) or None, colours "#RRGGBB"."""
    width, height, pixels = decode(path)
    if box is None:
        box = [0, 0, width, height]
    else:
        box = [int(box[0]) + 2, int(box[1]) + 2, int(box[2]) - 2, int(box[3]) - 2]
    want = dict((bytes.fromhex(c[1:]), c.upper()) for c in colours)
    counts = dict((c.upper(), 0) for c in colours)
    everything, inside, non_white = set(), set(), 0
    for y in range(height):
        row = pixels[y]
        everything.update(row)
        if not box[1] <= y < box[3]:
            continue
        for p in row[max(box[0], 0):max(box[2], 0)]:
            inside.add(p)
            if p in want:
                counts[want[p]] += 1
            if p != b"\xff\xff\xff":
                non_white += 1
    return {"width": width, "height": height, "distinct": len(everything),
            "region_distinct": len(inside), "counts": counts, "non_white": non_white}


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    box = None
    rest = args[1:]
    if len(rest) >= 4 and not rest[0].startswith("#"):
        box = [float(v) for v in rest[:4]]
        rest = rest[4:]
    print(json.dumps(stats(args[0], box, rest)))


if __name__ == "__main__":
    main()
