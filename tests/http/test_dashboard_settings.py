"""The Discussion settings page (administrators), and the queue's filter by the rule that
decided each entry. Forms are sent as the pages rendered them, with CSRF on, as deployed."""

import html
import re

import pytest
from sqlalchemy import select

from moderation.infra import db
from moderation.infra.models import AuditEvent, DiscussionSettings, Entry
from moderation.rules import policy
from moderation.rules.statuses import Status
from moderation.services import discussion
from tests.conftest import create_moderator, log_in
from tests.forms import page_form, send, submit_form
from tests.helpers import add_comment, csrf_token, seed_many

URL = "/moderation/settings"
ROW = re.compile(r'<li class="row status-\w+" id="entry-(\d+)"')
FORM = 'form[action="/moderation/settings"]'
# Every field as the first visit shows it (None: a box left unticked, which is not sent).
DEFAULT_FORM = {
    "hold_all": "y",
    "trust_known_authors": None,
    "max_links": "2",
    "moderation_words": "",
    "disallowed_words": "",
    "close_after_days": "0",
    "thread_depth": "5",
    "comments_per_page": "50",
}
CHANGED_FORM = {
    "hold_all": None,
    "trust_known_authors": "y",
    "max_links": "3",
    "moderation_words": "viagra\r\n198.51.100.0/24\r\n",
    "disallowed_words": "casino\r\nspam@example.com",
    "close_after_days": "30",
    "thread_depth": "1",
    "comments_per_page": "20",
}


@pytest.fixture
def admin(app):
    """A test client logged in as the administrator "boss"."""
    create_moderator(app, "boss", admin=True)
    return log_in(app, "boss")


def _save(client, **typed):
    """Type `typed` into the settings form as the page shows it, and save."""
    return submit_form(client, URL, FORM, **typed)


def _stored(app) -> DiscussionSettings | None:
    with app.app_context():
        return db.get_session().get(DiscussionSettings, discussion.SETTINGS_ID)


def _loaded(app) -> discussion.Settings:
    with app.app_context():
        return discussion.load(db.get_session())


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return list(db.get_session().scalars(query))


def _field(page: str, name: str) -> str:
    """The <input> or <textarea> of a setting, as rendered."""
    found = re.search(rf'<(?:input|textarea)[^>]*name="{name}"[^>]*>(?:\n[^<]*</textarea>)?', page)
    assert found, name
    return found.group(0)


# The page ----------------------------------------------------------------------------


def test_the_first_visit_shows_the_defaults(admin, app):
    response = admin.get(URL)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert " checked" in _field(page, "hold_all")
    assert " checked" not in _field(page, "trust_known_authors")
    assert 'value="2"' in _field(page, "max_links")
    assert 'value="0"' in _field(page, "close_after_days")
    assert 'value="5"' in _field(page, "thread_depth")
    assert 'value="50"' in _field(page, "comments_per_page")
    assert _field(page, "moderation_words").endswith(">\n</textarea>")
    assert _field(page, "disallowed_words").endswith(">\n</textarea>")
    assert _stored(app) is None  # looking changes nothing


def test_the_page_says_what_each_setting_does_and_that_the_email_is_not_verified(admin):
    page = admin.get(URL).get_data(as_text=True)
    assert "When off, entries pass unless a rule holds them." in page
    assert "the email address is not verified" in page
    assert "0 turns this rule off." in page
    assert "A line may be an IP address or a CIDR range" in page
    assert "0: never close." in page
    assert "1: no replies" in page


def test_saving_changes_the_row_and_load_returns_the_new_values(admin, app):
    response = _save(admin, **CHANGED_FORM)
    assert response.status_code == 303
    assert response.location == URL
    assert "Settings saved." in admin.get(URL).get_data(as_text=True)

    settings = _loaded(app)
    assert settings.rules == policy.Rules(
        hold_all=False,
        trust_known_authors=True,
        max_links=3,
        moderation_words=("viagra", "198.51.100.0/24"),
        disallowed_words=("casino", "spam@example.com"),
    )
    assert (settings.close_after_days, settings.thread_depth, settings.comments_per_page) == (
        30,
        1,
        20,
    )
    stored = _stored(app)
    assert stored.id == discussion.SETTINGS_ID
    assert stored.moderation_words == "viagra\n198.51.100.0/24\n"  # as typed, one line break


def test_the_saved_values_are_shown_next_time(admin):
    _save(admin, **CHANGED_FORM)
    page = admin.get(URL).get_data(as_text=True)
    assert " checked" not in _field(page, "hold_all")
    assert " checked" in _field(page, "trust_known_authors")
    assert 'value="3"' in _field(page, "max_links")
    assert 'value="20"' in _field(page, "comments_per_page")
    assert _field(page, "disallowed_words").endswith(">\ncasino\nspam@example.com</textarea>")


def test_raw_gives_the_form_the_stored_text_or_the_defaults(admin, app):
    with app.app_context():
        assert discussion.raw(db.get_session()) == {
            "hold_all": True,
            "trust_known_authors": False,
            "max_links": 2,
            "moderation_words": "",
            "disallowed_words": "",
            "close_after_days": 0,
            "thread_depth": 5,
            "comments_per_page": 50,
        }
    _save(admin, **CHANGED_FORM)
    with app.app_context():
        raw = discussion.raw(db.get_session())
    assert raw["disallowed_words"] == "casino\nspam@example.com"
    assert raw["hold_all"] is False and raw["max_links"] == 3


def test_saving_writes_an_audit_event_naming_each_change(admin, app):
    _save(admin, **{**DEFAULT_FORM, "hold_all": None, "max_links": "3"})
    _save(admin, **{**DEFAULT_FORM, "disallowed_words": "casino\nspam@example.com"})
    _save(admin, **{**DEFAULT_FORM, "disallowed_words": "casino\npoker"})
    events = _events(app, "settings")
    assert [event.detail for event in events] == [
        "hold_all: on → off; max_links: 2 → 3",
        "hold_all: off → on; max_links: 3 → 2; disallowed_words: +casino, +spam@example.com",
        "disallowed_words: +poker, −spam@example.com",
    ]
    assert {event.username for event in events} == {"boss"}
    assert all(event.ip_address == "127.0.0.1" for event in events)


def test_saving_what_is_stored_already_changes_nothing_and_logs_nothing(admin, app):
    response = _save(admin)  # as the page shows it
    assert response.status_code == 303
    assert "Nothing changed." in admin.get(URL).get_data(as_text=True)
    assert _events(app, "settings") == []
    assert _loaded(app) == discussion.Settings()


def test_the_audit_detail_of_a_long_word_list_is_cut_to_1000_characters(admin, app):
    words = "\n".join(f"word-number-{number:04d}" for number in range(900))
    assert _save(admin, moderation_words=words).status_code == 303
    (event,) = _events(app, "settings")
    assert len(event.detail) == 1000
    assert event.detail.startswith("moderation_words: +word-number-0000, +word-number-0001")
    assert event.detail.endswith("…")
    assert len(_loaded(app).rules.moderation_words) == 900  # the list itself is whole


def test_the_nav_links_to_the_settings_for_administrators_only(app, admin):
    assert f'href="{URL}">Settings</a>' in admin.get("/moderation/").get_data(as_text=True)
    create_moderator(app, "helper")
    helper = log_in(app, "helper")
    assert f'href="{URL}"' not in helper.get("/moderation/").get_data(as_text=True)


# Invalid values ----------------------------------------------------------------------

NUMBER_MESSAGES = {
    "max_links": "Enter a number of links from 0 (no limit) to 1,000.",
    "close_after_days": "Enter a number of days from 0 (never close) to 36,500.",
    "thread_depth": "Enter a depth from 1 (no replies) to 10.",
    "comments_per_page": "Enter a number of comments from 1 to 500.",
}
INVALID = [
    ("max_links", "-1", NUMBER_MESSAGES["max_links"]),
    ("max_links", "1001", NUMBER_MESSAGES["max_links"]),
    ("max_links", "two", NUMBER_MESSAGES["max_links"]),
    ("max_links", "", NUMBER_MESSAGES["max_links"]),
    ("max_links", "2.5", NUMBER_MESSAGES["max_links"]),
    ("max_links", "+2", NUMBER_MESSAGES["max_links"]),
    ("max_links", "1_0", NUMBER_MESSAGES["max_links"]),
    ("max_links", "٢", NUMBER_MESSAGES["max_links"]),
    ("max_links", "9" * 5000, NUMBER_MESSAGES["max_links"]),
    ("close_after_days", "36501", NUMBER_MESSAGES["close_after_days"]),
    ("close_after_days", "-7", NUMBER_MESSAGES["close_after_days"]),
    ("thread_depth", "0", NUMBER_MESSAGES["thread_depth"]),
    ("thread_depth", "11", NUMBER_MESSAGES["thread_depth"]),
    ("comments_per_page", "0", NUMBER_MESSAGES["comments_per_page"]),
    ("comments_per_page", "501", NUMBER_MESSAGES["comments_per_page"]),
    ("moderation_words", "w\n" * 1001, "At most 1,000 lines: this list has 1,001."),
    ("disallowed_words", "x" * 50_001, "At most 50,000 characters: this list has 50,001."),
    ("disallowed_words", "fine\n" + "y" * 201, "Line 2 is longer than 200 characters."),
    ("moderation_words", "bad\x00word", "contains an invisible control character"),
    ("disallowed_words", "bidi\u202eword", "contains an invisible control character"),
]


def _error_beside(page: str, name: str) -> str:
    """The message in the field's own paragraph."""
    paragraph = re.search(
        rf'<p>(?:(?!</p>).)*name="{name}"(?:(?!</p>).)*</p>', page, re.DOTALL
    ).group(0)
    found = re.search(rf'<span class="error" id="{name}-error">([^<]*)</span>', paragraph)
    assert found, paragraph[-300:]
    return html.unescape(found.group(1))


@pytest.mark.parametrize(("name", "value", "message"), INVALID)
def test_an_invalid_value_is_400_with_its_message_beside_the_field_and_nothing_saved(
    admin, app, name, value, message
):
    response = _save(admin, **{**CHANGED_FORM, name: value})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in _error_beside(page, name)
    assert 'aria-invalid="true"' in _field(page, name)
    assert "Nothing was saved" in page
    assert _stored(app) is None
    assert _events(app, "settings") == []


def test_an_invalid_form_keeps_every_value_typed(admin):
    form = {**CHANGED_FORM, "thread_depth": "99", "disallowed_words": "casino\n<b>&amp;"}
    page = _save(admin, **form).get_data(as_text=True)
    assert 'value="99"' in _field(page, "thread_depth")
    assert 'value="3"' in _field(page, "max_links")
    assert " checked" in _field(page, "trust_known_authors")
    assert " checked" not in _field(page, "hold_all")
    assert _field(page, "disallowed_words").endswith(">\ncasino\n&lt;b&gt;&amp;amp;</textarea>")


# Who may -----------------------------------------------------------------------------


def test_a_moderator_who_is_not_an_administrator_gets_403_and_changes_nothing(app, admin):
    create_moderator(app, "helper")
    helper = log_in(app, "helper")
    assert helper.get(URL).status_code == 403
    # The form as an administrator's page renders it, sent by the helper with a token of
    # the helper's own session.
    form = page_form(admin, URL, FORM)
    token = csrf_token(helper, "/moderation/")
    assert send(helper, form, csrf_token=token, **CHANGED_FORM).status_code == 403
    assert _stored(app) is None


def test_anonymous_visitors_are_sent_to_the_login_page(app, client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.location.startswith("/moderation/login")
    assert _stored(app) is None


def test_an_anonymous_save_is_sent_to_the_login_page(app, admin, client):
    form = page_form(admin, URL, FORM)
    # Sent by a visitor who is not logged in, with a token of their own session.
    token = csrf_token(client, "/moderation/login")
    response = send(client, form, csrf_token=token, **CHANGED_FORM)
    assert response.status_code == 302
    assert response.location.startswith("/moderation/login")
    assert _stored(app) is None


def test_saving_needs_the_form_token(admin, app):
    form = page_form(admin, URL, FORM)
    assert send(admin, form, **{**CHANGED_FORM, "csrf_token": None}).status_code == 400
    assert send(admin, form, **{**CHANGED_FORM, "csrf_token": "forged"}).status_code == 400
    assert _stored(app) is None
    response = send(admin, form, **CHANGED_FORM)
    assert response.status_code == 303
    assert _loaded(app).rules.max_links == 3


# The rule that decided, shown and filterable ---------------------------------------


def _listed(response) -> list[int]:
    assert response.status_code == 200
    return [int(found) for found in ROW.findall(response.get_data(as_text=True))]


def _act(client, entry_id: int, action: str, **typed):
    """Click a pending entry's button for `action` on the queue, with `typed` typed in."""
    selector = f'#entry-{entry_id} form[action$="/{action}"]'
    return submit_form(client, "/moderation/?status=pending", selector, **typed)


def _rule(app, entry_id: int) -> str:
    with app.app_context():
        return db.get_session().get(Entry, entry_id).rule


@pytest.fixture
def decided(app, admin, post) -> dict[str, int]:
    """Entries each decided by another rule, through the submission service."""
    _save(admin, disallowed_words="casino")
    ids = {
        "hold-all": add_comment(app, "A plain comment."),
        "links": add_comment(app, "See https://a.example/ and https://b.example/"),
        "disallowed-word": add_comment(app, "Play at the casino."),
        "moderator": add_comment(app, "Approved by hand."),
    }
    response = _act(admin, ids["moderator"], "approve")
    assert response.status_code == 303
    return ids


def test_every_entry_records_the_rule_that_chose_its_status(app, decided):
    assert {rule: _rule(app, entry_id) for rule, entry_id in decided.items()} == {
        rule: rule for rule in decided
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"rule": "links"}, ["links"]),
        ({"rule": "hold-all"}, ["hold-all"]),
        ({"rule": "moderator"}, ["moderator"]),
        ({"rule": "disallowed-word"}, []),  # spam is not in "All"
        ({"rule": "disallowed-word", "status": "spam"}, ["disallowed-word"]),
        ({"rule": "links", "status": "approved"}, []),
        ({"rule": "moderator", "status": "approved"}, ["moderator"]),
        ({"rule": "hold-all", "status": "pending", "q": "plain"}, ["hold-all"]),
        ({"rule": "hold-all", "status": "pending", "q": "casino"}, []),
        ({"rule": "no-rule"}, []),
        ({"rule": "no-such-rule"}, ["moderator", "links", "hold-all"]),
        ({}, ["moderator", "links", "hold-all"]),
    ],
)
def test_the_rule_filter_lists_only_the_entries_of_that_rule(admin, decided, query, expected):
    listed = _listed(admin.get("/moderation/", query_string=query))
    assert listed == [decided[rule] for rule in expected]


def test_the_rule_filter_offers_every_rule_and_the_moderator(admin, decided):
    page = admin.get("/moderation/?rule=links").get_data(as_text=True)
    offered = re.findall(r'<option value="([\w-]*)"(?: selected)?>', page)
    rules = [rule.value for rule in policy.Rule]
    assert "moderator" in rules
    assert [value for value in offered if value in rules] == rules
    assert '<option value="links" selected>' in page


def test_a_row_shows_its_rule_as_a_badge_that_filters_by_it(admin, decided):
    page = admin.get("/moderation/?status=pending&q=example").get_data(as_text=True)
    assert (
        '<a class="badge rule" href="/moderation/?status=pending&amp;rule=links&amp;q=example"'
        in page
    )


def test_the_rule_filter_is_kept_by_the_page_links_and_the_actions(admin, app, post):
    seed_many(app, post.id, 120)
    with app.app_context():
        session = db.get_session()
        session.execute(Entry.__table__.update().values(rule="links"))
        session.commit()
    page = admin.get("/moderation/?status=pending&rule=links").get_data(as_text=True)
    assert "120 entries, page 1 of 3." in page
    assert 'rel="next" href="/moderation/?status=pending&amp;rule=links&amp;page=2"' in page
    assert 'name="next" value="/moderation/?status=pending&amp;rule=links"' in page


@pytest.mark.parametrize(
    "query", ["?rule=links", "?status=pending&rule=hold-all&page=2", "?rule=moderator&q=seeded"]
)
def test_filtering_by_rule_takes_at_most_four_queries(
    admin, app, post, other_post, count_queries, query
):
    seed_many(app, post.id, 3_000)
    seed_many(app, other_post.id, 3_000, Status.APPROVED)
    with count_queries() as statements:
        response = admin.get(f"/moderation/{query}")
    assert response.status_code == 200
    assert len(statements) <= 4, statements


@pytest.mark.parametrize("action", ["approve", "spam", "trash"])
def test_a_moderators_action_records_the_moderator_as_the_rule(app, admin, post, action):
    entry_id = add_comment(app, "A plain comment.")
    assert _rule(app, entry_id) == policy.Rule.HOLD_ALL
    _act(admin, entry_id, action)
    assert _rule(app, entry_id) == "moderator"


def test_a_moderators_reply_and_the_parent_it_approves_have_the_moderator_as_the_rule(
    app, admin, post
):
    entry_id = add_comment(app, "A question?")
    _act(admin, entry_id, "reply", comment="An answer.")
    with app.app_context():
        rules = dict(db.get_session().execute(select(Entry.id, Entry.rule)).all())
    assert rules == {entry_id: "moderator", entry_id + 1: "moderator"}
