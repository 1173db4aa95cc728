"""Avatars that reveal nothing: a symmetric 5x5 pattern drawn from a keyed hash.

§3: no hash of a commenter's email is ever published. The pattern shows 15 bits
and a hue taken from HMAC(secret, email); without the secret nobody can test an
address against it, unlike a Gravatar's plain MD5.
"""

import colorsys
import hashlib
import hmac
from functools import lru_cache

from markupsafe import Markup


def avatar(key: bytes, seed: str) -> Markup:
    """Return the inline SVG avatar for a seed (an email, or a linkback's host)."""
    digest = hmac.new(key, seed.strip().lower().encode(), hashlib.sha256).digest()
    return _svg(int.from_bytes(digest[:2]) & 0x7FFF, digest[2] * 360 // 256)


@lru_cache(maxsize=4096)
def _svg(cells: int, hue: int) -> Markup:
    red, green, blue = colorsys.hls_to_rgb(hue / 360, 0.5, 0.55)
    colour = f"#{int(red * 255):02x}{int(green * 255):02x}{int(blue * 255):02x}"
    squares = []
    for index in range(15):
        if cells >> index & 1:
            column, row = divmod(index, 5)  # columns 0-2, mirrored onto 4-3
            squares.append(f"M{column} {row}h1v1h-1z")
            if column < 2:
                squares.append(f"M{4 - column} {row}h1v1h-1z")
    return Markup(
        '<svg class="avatar" viewBox="-0.5 -0.5 6 6" width="44" height="44" aria-hidden="true">'
        f'<rect x="-0.5" y="-0.5" width="6" height="6" fill="#f0f0f0"/>'
        f'<path fill="{colour}" d="{"".join(squares)}"/></svg>'
    )
