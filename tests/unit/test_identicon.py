"""Avatars drawn from a keyed hash (§3: no hash of a commenter's email is ever published)."""

import hashlib
import re

import pytest
from markupsafe import Markup

from moderation.identicon import avatar

KEY = b"site secret one"
OTHER_KEY = b"site secret two"
SEEDS = [
    "reader@example.com",
    "someone.else@example.org",
    "blog.example.net",
    "a@b.c",
    "<script>alert(1)</script>@example.com",
]


def test_avatar_is_an_inline_svg():
    svg = avatar(KEY, "reader@example.com")
    assert isinstance(svg, Markup)
    assert svg.startswith("<svg") and svg.endswith("</svg>")


@pytest.mark.parametrize("seed", SEEDS)
def test_same_key_and_seed_give_the_same_avatar(seed):
    assert avatar(KEY, seed) == avatar(KEY, seed)


@pytest.mark.parametrize(
    "variant",
    ["Reader@Example.COM", "READER@EXAMPLE.COM", "  reader@example.com", "reader@example.com\n"],
)
def test_seed_case_and_surrounding_whitespace_do_not_matter(variant):
    assert avatar(KEY, variant) == avatar(KEY, "reader@example.com")


def test_different_seeds_give_different_avatars():
    assert avatar(KEY, "reader@example.com") != avatar(KEY, "writer@example.com")


@pytest.mark.parametrize("seed", SEEDS)
def test_different_key_gives_a_different_avatar(seed):
    assert avatar(KEY, seed) != avatar(OTHER_KEY, seed)


def hex_digest(name: str, text: str) -> str:
    return hashlib.new(name, text.encode()).hexdigest()


REVEALING = [
    pytest.param(lambda seed: seed, id="seed"),
    pytest.param(lambda seed: seed.strip().lower(), id="normalised-seed"),
    pytest.param(lambda seed: hex_digest("md5", seed.strip().lower()), id="md5"),
    pytest.param(lambda seed: hex_digest("md5", seed), id="md5-as-typed"),
    pytest.param(lambda seed: hex_digest("sha1", seed.strip().lower()), id="sha1"),
    pytest.param(lambda seed: hex_digest("sha256", seed.strip().lower()), id="sha256"),
    pytest.param(lambda seed: hex_digest("sha256", seed), id="sha256-as-typed"),
]


@pytest.mark.parametrize("reveal", REVEALING)
@pytest.mark.parametrize("seed", SEEDS + ["Reader@Example.COM "])
def test_avatar_reveals_neither_the_seed_nor_its_plain_hashes(seed, reveal):
    assert reveal(seed).lower() not in str(avatar(KEY, seed)).lower()


@pytest.mark.parametrize("seed", SEEDS)
def test_avatar_carries_no_long_hex_string(seed):
    # A colour (#rrggbb) is six hex digits; anything longer could be a hash prefix.
    assert re.findall(r"[0-9a-f]{7,}", str(avatar(KEY, seed)).lower()) == []
