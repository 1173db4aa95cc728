"""Avatars that reveal nothing: a symmetric 5x5 pattern drawn from a keyed hash.

SPEC §3 (Comment fields): no hash of a commenter's email is ever published. The pattern
shows 15 bits and a hue taken from HMAC(secret, email); without the secret nobody can
test an address against it, unlike a Gravatar's plain MD5. Pages name an avatar by its
pattern alone ("4a1f-212"), so one image serves every page and is cached.
"""

import colorsys
import hashlib
import hmac
import re
from functools import lru_cache

_NAME = re.compile(r"^([0-7][0-9a-f]{3})-([0-9]{1,3})$")


def avatar_name(key: bytes, seed: str) -> str:
    """Return the avatar's public name for a seed (an email, or a linkback's source)."""
    digest = hmac.new(key, seed.strip().lower().encode(), hashlib.sha256).digest()
    cells = int.from_bytes(digest[:2]) & 0x7FFF
    return f"{cells:04x}-{digest[2] * 360 // 256}"


def svg(name: str) -> str | None:
    """Draw the avatar of that name, or None if the name is not one."""
    match = _NAME.match(name)
    if match is None or int(match.group(2)) >= 360:
        return None
    return _draw(int(match.group(1), 16), int(match.group(2)))


@lru_cache(maxsize=1024)
def _draw(cells: int, hue: int) -> str:
    red, green, blue = colorsys.hls_to_rgb(hue / 360, 0.5, 0.55)
    colour = f"#{int(red * 255):02x}{int(green * 255):02x}{int(blue * 255):02x}"
    squares = []
    for index in range(15):
        if cells >> index & 1:
            column, row = divmod(index, 5)  # columns 0-2, mirrored onto 4-3
            squares.append(f"M{column} {row}h1v1h-1z")
            if column < 2:
                squares.append(f"M{4 - column} {row}h1v1h-1z")
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="-0.5 -0.5 6 6" width="44" height="44">'
        '<rect x="-0.5" y="-0.5" width="6" height="6" fill="#f0f0f0"/>'
        f'<path fill="{colour}" d="{"".join(squares)}"/></svg>'
    )
