"""Image files for the logo tests, made with Pillow on the spot."""

import io
import struct
import zlib

from PIL import Image, PngImagePlugin


def png(width=200, height=60, colour=(200, 30, 60), *, text: dict | None = None):
    image = Image.new("RGB", (width, height), colour)
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def webp(width=120, height=40, colour=(20, 90, 160)):
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "WEBP")
    return out.getvalue()


def ico(side=48, colour=(10, 120, 40)):
    out = io.BytesIO()
    Image.new("RGBA", (side, side), colour).save(out, "ICO", sizes=[(side, side)])
    return out.getvalue()


def gif(width=40, height=40):
    out = io.BytesIO()
    Image.new("RGB", (width, height), (0, 0, 0)).save(out, "GIF")
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header says it is width × height: a decompression bomb's
    opening, which must be refused before anything is decoded."""
    data = png(16, 16)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    ihdr = struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return data[:8] + ihdr + data[8 + 25 :]


def decoded(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image
