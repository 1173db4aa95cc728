"""Spam from a moderator's hand teaches the rules: "Spam and block" adds an entry's email,
IP address or website host to the disallowed words, so the next entry from them is spam.

The block form is sent as the queue rendered it, token included (CSRF is on, as deployed).
"""

import re
from dataclasses import replace

import pytest
from sqlalchemy import select

from moderation.infra import db
from moderation.infra.models import AuditEvent, Entry
from moderation.rules import policy
from moderation.rules.statuses import EntryType, Status
from moderation.services import discussion, posts
from moderation.services.accounts import Actor
from moderation.services.linkbacks import recording
from tests.forms import page_form, send, submit_form
from tests.helpers import add_comment, csrf_token

EMAIL = "spammer@shady.example"
IP = "203.0.113.66"
HOST = "cheap-watches.example"
VALUES = {"email": EMAIL, "ip": IP, "host": HOST}
BACK = "/moderation/?status=pending&type=comment&q=watches"  # a view that lists `spam`
ADMIN = Actor(None, "admin", "127.0.0.1")  # settings saved before a test's actions
JSON = {"headers": {"Accept": "application/json"}}  # as the queue's script asks


@pytest.fixture
def spam(app, post) -> int:
    """A pending comment with an email, an IP address and a website."""
    return add_comment(
        app,
        "Cheap watches, visit my shop today.",
        name="Watch Seller",
        email=EMAIL,
        website=f"https://{HOST}/shop?ref=1",
        ip_address=IP,
    )


def _block_form(client, entry_id: int, page: str = BACK):
    """The entry's "Spam and block" form, as the queue view at `page` rendered it."""
    return page_form(client, page, f'#entry-{entry_id} form[action$="/block"]')


def _block(client, entry_id: int, *kinds: str, page: str = BACK, request=None, **changes):
    """Tick `kinds` in the entry's block form on the queue view at `page`, and send it."""
    form = _block_form(client, entry_id, page)
    return send(client, form, request=request, block=list(kinds), **changes)


def _disallowed(app) -> tuple[str, ...]:
    with app.app_context():
        return discussion.load(db.get_session()).rules.disallowed_words


def _entry(app, entry_id: int) -> Entry:
    with app.app_context():
        return db.get_session().get(Entry, entry_id)


def _audit(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        events = db.get_session().scalars(select(AuditEvent).order_by(AuditEvent.id))
        return [(event.action, event.entry_ids, event.detail) for event in events]


def _decide(app, **facts) -> policy.Decision:
    """What the policy gives a new entry under the stored settings."""
    values = {
        "text": "An innocent comment.",
        "name": "Someone Else",
        "email": "someone@else.example",
        "website": "",
        "ip_address": "192.0.2.10",
        "user_agent": "test",
        **facts,
    }
    with app.app_context():
        return policy.decide(policy.Facts(**values), discussion.load(db.get_session()).rules)


@pytest.mark.parametrize(
    "kinds", [("email",), ("ip",), ("host",), ("email", "ip", "host"), ("host", "email")]
)
def test_spam_and_block_marks_the_entry_spam_and_adds_the_chosen_values(
    moderator, app, spam, kinds
):
    response = _block(moderator, spam, *kinds)
    assert response.status_code == 303
    assert response.location == BACK
    entry = _entry(app, spam)
    assert (entry.status, entry.reason, entry.rule) == (Status.SPAM, "spam by mod", "moderator")
    # In the queue's order (email, IP, host), whatever the order of the boxes.
    assert _disallowed(app) == tuple(VALUES[kind] for kind in VALUES if kind in kinds)
    added = ", +".join(VALUES[kind] for kind in VALUES if kind in kinds)
    assert _audit(app)[-2:] == [
        ("block", str(spam), f"disallowed_words: +{added}"),
        ("spam", str(spam), "1 of 1 changed"),
    ]


def test_the_message_says_what_was_marked_and_what_was_added(moderator, app, spam):
    response = _block(moderator, spam, "email", "ip")
    page = moderator.get(response.location).get_data(as_text=True)
    assert f"1 entry marked as spam. Added to the disallowed words: {EMAIL}, {IP}." in page


def test_the_script_gets_json_with_the_new_status_and_counts(moderator, app, spam):
    response = _block(moderator, spam, "host", request=JSON)
    assert response.status_code == 200
    assert response.json["status"] == "spam"
    assert response.json["counts"]["spam"] == 1
    assert response.json["message"] == (
        f"1 entry marked as spam. Added to the disallowed words: {HOST}."
    )


@pytest.mark.parametrize(
    ("kind", "facts"),
    [
        ("email", {"email": EMAIL}),
        ("email", {"email": EMAIL.upper()}),
        ("ip", {"ip_address": IP}),
        ("host", {"website": f"http://{HOST}/"}),
        ("host", {"text": f"Buy at https://www.{HOST}/sale now"}),
    ],
)
def test_the_next_entry_with_a_blocked_value_is_decided_spam(moderator, app, spam, kind, facts):
    assert _decide(app, **facts).status == Status.PENDING
    _block(moderator, spam, kind)
    decision = _decide(app, **facts)
    assert (decision.status, decision.rule) == (Status.SPAM, policy.Rule.DISALLOWED_WORD)
    assert _decide(app).status == Status.PENDING  # everyone else is held as before


def test_the_next_comment_from_a_blocked_email_goes_to_spam_when_submitted(moderator, app, spam):
    _block(moderator, spam, "email")
    entry_id = add_comment(app, "A brand new message.", email=EMAIL, ip_address="192.0.2.99")
    entry = _entry(app, entry_id)
    assert (entry.status, entry.rule) == (Status.SPAM, policy.Rule.DISALLOWED_WORD)
    assert EMAIL in entry.reason


def test_nothing_is_added_twice(moderator, app, post, spam):
    again = add_comment(app, "Same sender, other words.", email=EMAIL, ip_address=IP)
    _block(moderator, spam, "email", "ip")
    response = _block(
        moderator, again, "email", "ip", page="/moderation/?status=pending", request=JSON
    )
    assert _disallowed(app) == (EMAIL, IP)
    assert response.json["message"] == f"1 entry marked as spam. Already disallowed: {EMAIL}, {IP}."
    assert _entry(app, again).status == Status.SPAM
    assert [action for action, _, _ in _audit(app)].count("block") == 1


def test_a_value_on_the_list_in_another_case_is_not_added_again(moderator, app, spam):
    with app.app_context():
        session = db.get_session()
        discussion.save(session, ADMIN, {"disallowed_words": f"casino\n{EMAIL.upper()}\n"})
        session.commit()
    _block(moderator, spam, "email", "host")
    assert _disallowed(app) == ("casino", EMAIL.upper(), HOST)
    with app.app_context():
        stored = discussion.raw(db.get_session())["disallowed_words"]
    assert stored == f"casino\n{EMAIL.upper()}\n{HOST}"  # the lines typed before are kept


def test_a_value_the_list_already_catches_is_not_added(moderator, app, spam):
    with app.app_context():
        session = db.get_session()
        discussion.save(session, ADMIN, {"disallowed_words": "203.0.113.0/24\nshady.example"})
        session.commit()
    response = _block(moderator, spam, "email", "ip", request=JSON)
    assert _disallowed(app) == ("203.0.113.0/24", "shady.example")
    assert response.json["message"] == f"1 entry marked as spam. Already disallowed: {EMAIL}, {IP}."


def test_blocking_an_entry_already_in_spam_adds_the_values_and_moves_nothing(moderator, app, spam):
    submit_form(moderator, BACK, f'#entry-{spam} form[action$="/spam"]')
    audit_before = len(_audit(app))
    _block(moderator, spam, "ip", page="/moderation/?status=spam")
    assert _disallowed(app) == (IP,)
    assert _entry(app, spam).status == Status.SPAM
    assert [action for action, _, _ in _audit(app)[audit_before:]] == ["block"]


def test_a_linkback_offers_its_ip_and_its_source_host_and_blocks_them(moderator, app, post):
    with app.app_context():
        session = db.get_session()
        linkback = recording.record_linkback(
            session,
            posts.get_post(session, "a-post"),
            EntryType.PINGBACK,
            "https://link-farm.example/post/1",
            "A Link Farm",
            "They linked here",
            "198.51.100.7",
        )
        session.commit()
        linkback_id = linkback.id
    page = moderator.get("/moderation/").get_data(as_text=True)
    row = page[page.index(f'id="entry-{linkback_id}"') :]
    row = row[: row.index("</li>")]
    assert re.findall(r'name="block" value="(\w+)"> [^<]*<code>([^<]*)</code>', row) == [
        ("ip", "198.51.100.7"),
        ("host", "link-farm.example"),
    ]
    # It has no email: a request that ticks one anyway (a forged one) is refused.
    assert _block(moderator, linkback_id, "email", page="/moderation/").status_code == 303
    assert _disallowed(app) == ()
    _block(moderator, linkback_id, "ip", "host", page="/moderation/")
    assert _disallowed(app) == ("198.51.100.7", "link-farm.example")
    assert _entry(app, linkback_id).status == Status.SPAM


def test_a_comment_row_offers_its_email_ip_and_website_host(moderator, app, spam):
    page = moderator.get("/moderation/").get_data(as_text=True)
    row = page[page.index(f'id="entry-{spam}"') :]
    row = row[: row.index("</li>")]
    assert f'action="/moderation/entries/{spam}/block"' in row
    assert "Spam and block…" in row
    assert re.findall(r'name="block" value="(\w+)"> [^<]*<code>([^<]*)</code>', row) == [
        ("email", EMAIL),
        ("ip", IP),
        ("host", HOST),
    ]


@pytest.mark.parametrize(
    ("shortened", "offered", "neighbour"),
    [
        ("203.0.113.0", "203.0.113.0/24", "203.0.113.77"),
        ("2001:db8:1::", "2001:db8:1::/48", "2001:db8:1:2::5"),
    ],
)
def test_an_address_the_maintenance_shortened_is_blocked_as_its_range(
    moderator, app, post, shortened, offered, neighbour
):
    entry_id = add_comment(app, "An old comment.", ip_address=shortened)
    page = moderator.get("/moderation/").get_data(as_text=True)
    assert f'name="block" value="ip"> IP address <code>{offered}</code>' in page
    _block(moderator, entry_id, "ip", page="/moderation/")
    assert offered in _disallowed(app)
    assert _decide(app, ip_address=neighbour).status == Status.SPAM


def test_a_comment_without_a_website_offers_no_host(moderator, app, post):
    entry_id = add_comment(app, "No website here.", website="")
    page = moderator.get("/moderation/").get_data(as_text=True)
    row = page[page.index(f'id="entry-{entry_id}"') :]
    row = row[: row.index("</li>")]
    assert re.findall(r'name="block" value="(\w+)"', row) == ["email", "ip"]


# Nothing ticked, or kinds that only a forged request sends.
MESSAGES = {
    (): "Tick what to block: the email, the IP address or the website host.",
    ("phone",): "There is nothing of that kind to block.",
    ("email", "bogus"): "There is nothing of that kind to block.",
}


@pytest.mark.parametrize("kinds", list(MESSAGES))
def test_nothing_ticked_or_an_unknown_kind_is_refused_and_changes_nothing(
    moderator, app, spam, kinds
):
    response = _block(moderator, spam, *kinds, request=JSON)
    assert response.status_code == 400
    assert _entry(app, spam).status == Status.PENDING
    assert _disallowed(app) == ()
    # Without the script: back to the queue with the message.
    response = _block(moderator, spam, *kinds)
    assert (response.status_code, response.location) == (303, BACK)
    page = moderator.get(response.location).get_data(as_text=True)
    assert MESSAGES[kinds] in page
    assert _entry(app, spam).status == Status.PENDING


def test_a_full_list_refuses_the_block_and_leaves_the_entry_as_it_was(moderator, app, spam):
    full = "\n".join(f"word{number}" for number in range(discussion.WORDS_MAX_LINES))
    with app.app_context():
        session = db.get_session()
        discussion.save(session, ADMIN, {"disallowed_words": full})
        session.commit()
    response = _block(moderator, spam, "email", request=JSON)
    assert response.status_code == 400
    assert "The disallowed words are full." in response.json["message"]
    assert _entry(app, spam).status == Status.PENDING
    assert EMAIL not in _disallowed(app)


def test_an_unknown_entry_is_404(moderator, app, spam):
    form = _block_form(moderator, spam)
    # A real entry's block form, sent to the address of one that does not exist.
    unknown = replace(form, action="/moderation/entries/999999/block")
    assert send(moderator, unknown, block=["email"]).status_code == 404
    assert _disallowed(app) == ()


def test_someone_not_logged_in_cannot_block(app, moderator, client, spam):
    form = _block_form(moderator, spam)
    # Sent by a visitor who is not logged in, with a token of their own session.
    token = csrf_token(client, "/moderation/login")
    response = send(client, form, block=["email", "ip", "host"], csrf_token=token)
    assert response.status_code == 302
    assert response.location.startswith("/moderation/login")
    assert _entry(app, spam).status == Status.PENDING
    assert _disallowed(app) == ()


def test_blocking_needs_the_form_token(moderator, app, spam):
    assert _block(moderator, spam, "email", csrf_token=None).status_code == 400
    assert _entry(app, spam).status == Status.PENDING
    assert _disallowed(app) == ()
    assert _block(moderator, spam, "email").status_code == 303
    assert _disallowed(app) == (EMAIL,)
