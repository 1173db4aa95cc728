"""What is left of an IP address past IP_RETENTION_DAYS (issue 15): an IPv4 address's
/24, an IPv6 address's /48; and the address ranges of the Discussion settings still
match what is left."""

import pytest

from moderation.rules.policy import Facts, Rules, already_matched, decide
from moderation.rules.retention import is_reduced, reduce_address
from moderation.rules.statuses import Status

ADDRESSES = [
    pytest.param("203.0.113.77", "203.0.113.0", id="v4"),
    pytest.param(" 203.0.113.77 ", "203.0.113.0", id="v4-with-spaces"),
    pytest.param("203.0.113.0", "203.0.113.0", id="v4-already-short"),
    pytest.param("10.1.0.0", "10.1.0.0", id="v4-network-address"),
    pytest.param("2001:db8:1234:5678::1", "2001:db8:1234::", id="v6"),
    pytest.param("2001:0db8:1234:0000:0000:0000:0000:0000", "2001:db8:1234::", id="v6-long-form"),
    pytest.param("2001:db8:1:2::", "2001:db8:1::", id="v6-ending-in-zeros"),
    pytest.param("2001:db8:1234::", "2001:db8:1234::", id="v6-already-short"),
    pytest.param("fe80::1%eth0", "fe80::", id="v6-scoped"),
    pytest.param("::1", "::", id="v6-loopback"),
    pytest.param("::ffff:198.51.100.9", "198.51.100.0", id="v4-mapped-v6"),
    pytest.param("", "", id="empty"),
    pytest.param("unknown", "", id="not-an-address"),
]


@pytest.mark.parametrize(("stored", "left"), ADDRESSES)
def test_an_address_is_shortened_to_its_network(stored, left):
    assert reduce_address(stored) == left


@pytest.mark.parametrize(("stored", "left"), ADDRESSES)
def test_what_is_left_is_seen_as_short_and_nothing_else_is(stored, left):
    """The maintenance run passes over is_reduced values: each is left as it is, and
    every address that would change is looked at."""
    assert is_reduced(left)
    assert is_reduced(stored) == (stored == left)


@pytest.mark.parametrize(
    ("line", "caller", "matches"),
    [
        pytest.param("203.0.113.0/24", "203.0.113.77", True, id="v4-its-own-/24"),
        pytest.param("203.0.0.0/16", "203.0.113.77", True, id="v4-a-wider-range"),
        pytest.param("203.0.113.77", "203.0.113.77", False, id="v4-the-address-itself"),
        pytest.param("203.0.113.64/26", "203.0.113.77", False, id="v4-a-narrower-range"),
        pytest.param("2001:db8:1234::/48", "2001:db8:1234:5678::1", True, id="v6-its-own-/48"),
        pytest.param("2001:db8::/32", "2001:db8:1234:5678::1", True, id="v6-a-wider-range"),
        pytest.param("2001:db8:1234:5678::/64", "2001:db8:1234:5678::1", False, id="v6-/64"),
        pytest.param("198.51.100.0/24", "::ffff:198.51.100.9", True, id="v4-mapped-caller"),
    ],
)
def test_an_address_range_still_matches_a_shortened_address(line, caller, matches):
    """A range as wide as what is kept, or wider, holds the shortened address; the
    address itself, or a narrower range, no longer does."""
    facts = Facts(
        text="Hello",
        name="Ada",
        email="ada@example.net",
        website="",
        ip_address=reduce_address(caller),
        user_agent="",
    )
    decision = decide(facts, Rules(hold_all=False, disallowed_words=(line,)))
    assert (decision.status == Status.SPAM) == matches
    # Blocking the shortened address adds nothing a matching range covers already.
    assert already_matched([line], reduce_address(caller)) == matches
