"""Request bodies: browser sessions of a given size, and a PNG screenshot.

Values are pseudo-random hex from a seeded generator: every run sends the same bytes, and the
data compresses about as well as real cookie and token values do (the server gzips sessions
before storing them, so all-zero padding would make pushes unrealistically cheap).
"""

import json
import random
import struct
import zlib


def session(size, variant=0):
    """A push body `{cookies, localStorage}` of exactly `size` bytes of compact JSON.

    Different `variant`s give different data (so a push of one after the other changes the
    session); the same variant always gives the same bytes.
    """
    rng = random.Random(f"session-{size}-{variant}")
    cookies = [
        {
            "name": f"cookie_{i}",
            "value": rng.randbytes(24).hex(),
            "domain": f".site{i % 6}.example.com",
            "path": "/",
            "expirationDate": 1_900_000_000 + i,
            "httpOnly": i % 2 == 0,
            "secure": True,
            "sameSite": "lax",
        }
        for i in range(min(40, size // 400))
    ]
    storage = {}
    body = {"cookies": cookies, "localStorage": storage}
    # Whole entries while they surely fit (`"key":"value",` counted, not re-encoded each time),
    # then one entry whose value takes exactly the bytes left.
    length = len(encode(body))
    while True:
        key, value = f"app:state:{len(storage)}", rng.randbytes(512).hex()
        entry = len(key) + len(value) + 6
        if length + entry + len(key) + 6 > size:
            break
        storage[key] = value
        length += entry
    storage[key] = ""
    missing = size - len(encode(body))
    storage[key] = rng.randbytes(missing // 2 + 1).hex()[:missing]
    return encode(body)


def encode(value):
    return json.dumps(value, separators=(",", ":")).encode()


def png(width=1280, height=720, noisy_rows=80, seed=0):
    """A valid RGB PNG: `noisy_rows` rows of noise over a flat page, about 3 KiB per noisy
    row at 1280 wide — a stand-in for a screenshot (mostly flat, some detail)."""
    rng = random.Random(f"png-{seed}")
    flat = b"\x00" + b"\xf0\xf0\xf0" * width
    rows = [
        b"\x00" + rng.randbytes(3 * width) if y < noisy_rows else flat for y in range(height)
    ]
    raw = b"".join(rows)

    def chunk(kind, data):
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )
