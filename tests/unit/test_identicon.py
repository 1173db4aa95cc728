"""Avatars drawn from a keyed hash (SPEC §3, Comment fields: no hash of a commenter's
email is ever published)."""

import hashlib
import re

import pytest

from moderation.rules.identicon import avatar_name, svg

KEY = b"site secret one"
OTHER_KEY = b"site secret two"
SEEDS = [
    "reader@example.com",
    "someone.else@example.org",
    "blog.example.net",
    "a@b.c",
    "<script>alert(1)</script>@example.com",
]


@pytest.mark.parametrize("seed", SEEDS)
def test_avatar_name_is_a_pattern_and_a_hue_that_draws_an_svg(seed):
    name = avatar_name(KEY, seed)
    assert re.fullmatch(r"[0-7][0-9a-f]{3}-[0-9]{1,3}", name)
    drawing = svg(name)
    assert drawing.startswith("<svg") and drawing.endswith("</svg>")


@pytest.mark.parametrize(
    "name", ["", "zzzz-1", "8000-1", "0000-360", "0000-", "../etc/passwd", "0000-1.svg", "00000-1"]
)
def test_svg_refuses_names_that_are_not_avatars(name):
    assert svg(name) is None


@pytest.mark.parametrize("seed", SEEDS)
def test_same_key_and_seed_give_the_same_avatar(seed):
    assert avatar_name(KEY, seed) == avatar_name(KEY, seed)


@pytest.mark.parametrize(
    "variant",
    ["Reader@Example.COM", "READER@EXAMPLE.COM", "  reader@example.com", "reader@example.com\n"],
)
def test_seed_case_and_surrounding_whitespace_do_not_matter(variant):
    assert avatar_name(KEY, variant) == avatar_name(KEY, "reader@example.com")


def test_different_seeds_give_different_avatars():
    assert avatar_name(KEY, "reader@example.com") != avatar_name(KEY, "writer@example.com")


@pytest.mark.parametrize("seed", SEEDS)
def test_different_key_gives_a_different_avatar(seed):
    assert avatar_name(KEY, seed) != avatar_name(OTHER_KEY, seed)


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
    assert reveal(seed).lower() not in avatar_name(KEY, seed) + svg(avatar_name(KEY, seed)).lower()


@pytest.mark.parametrize("seed", SEEDS)
def test_avatar_carries_no_long_hex_string(seed):
    # A colour (#rrggbb) is six hex digits; anything longer could be a hash prefix.
    assert (
        re.findall(r"[0-9a-f]{7,}", avatar_name(KEY, seed) + svg(avatar_name(KEY, seed)).lower())
        == []
    )
