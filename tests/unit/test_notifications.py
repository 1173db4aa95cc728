"""Which mails readers who ticked "Notify me" get (issue 14): the pure rules."""

from datetime import UTC, datetime, timedelta

import pytest

from moderation.rules.notifications import (
    Approved,
    Notice,
    address,
    asked_since,
    notices,
    over_cap,
    subscribed,
    within_cap,
)
from moderation.rules.policy import Facts
from moderation.rules.statuses import MailKind
from moderation.services.comments import Submission, comment_fingerprint

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
ADA, BO = "ada@example.net", "bo@example.org"
PUBLISHED, REPLY = MailKind.PUBLISHED, MailKind.REPLY


def test_an_address_is_keyed_trimmed_and_lowercased():
    assert address("  Ada@Example.NET ") == ADA


@pytest.mark.parametrize(
    ("confirmed", "unsubscribed", "expected"),
    [
        (None, None, False),
        (NOW, None, True),
        (NOW, NOW, False),
        (None, NOW, False),
    ],
)
def test_only_a_confirmed_address_that_did_not_unsubscribe_is_subscribed(
    confirmed, unsubscribed, expected
):
    assert subscribed(confirmed, unsubscribed) is expected


@pytest.mark.parametrize(
    ("unsubscribed", "since"),
    [
        (None, NOW - timedelta(days=1)),
        (NOW - timedelta(days=3), NOW - timedelta(days=1)),
        (NOW - timedelta(hours=1), NOW - timedelta(hours=1)),
    ],
)
def test_a_confirmation_spares_another_for_a_day_or_since_the_address_unsubscribed(
    unsubscribed, since
):
    assert asked_since(NOW, unsubscribed) == since


@pytest.mark.parametrize(
    ("sent_today", "cap", "over"),
    [(9, 10, False), (10, 10, True), (11, 10, True), (1_000, 0, False)],
)
def test_the_daily_cap_stops_an_address_at_the_cap_and_zero_means_none(sent_today, cap, over):
    assert over_cap(sent_today, cap) is over


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (Approved(1, "Ada@Example.net", True), [Notice(PUBLISHED, 1, ADA)]),
        (Approved(1, ADA, False), []),
        (Approved(2, BO, False, parent_email=ADA), [Notice(REPLY, 2, ADA)]),
        (
            Approved(2, BO, True, parent_email=ADA),
            [Notice(PUBLISHED, 2, BO), Notice(REPLY, 2, ADA)],
        ),
        # Answering oneself, whatever the case of the address: no reply mail.
        (Approved(3, "ADA@example.net", False, parent_email=ADA), []),
        (Approved(4, BO, True, parent_email="stranger@example.com"), [Notice(PUBLISHED, 4, BO)]),
    ],
)
def test_an_approved_entry_calls_for_published_and_reply_mails_to_subscribers(entry, expected):
    assert notices([entry], {ADA, BO}, set()) == expected


def test_no_mail_is_called_for_twice():
    entries = [Approved(1, ADA, True), Approved(1, ADA, True), Approved(2, BO, True)]
    sent = {(PUBLISHED, 2, BO)}
    assert notices(entries, {ADA, BO}, sent) == [Notice(PUBLISHED, 1, ADA)]


def test_within_the_cap_the_first_notices_go_and_the_rest_are_counted_out():
    wanted = [Notice(PUBLISHED, number, ADA) for number in range(4)] + [Notice(REPLY, 9, BO)]
    kept, left_out = within_cap(wanted, {ADA: 8}, 10)
    assert kept == [Notice(PUBLISHED, 0, ADA), Notice(PUBLISHED, 1, ADA), Notice(REPLY, 9, BO)]
    assert left_out == 2


def test_ticking_the_box_does_not_change_what_makes_a_comment_a_duplicate():
    facts = Facts("Nice bridge.", "Ada", ADA, "", "192.0.2.1", "ua")
    ticked = comment_fingerprint(1, Submission(facts, None, notify=True))
    assert ticked == comment_fingerprint(1, Submission(facts))
