"""Issue 15: the readers' "Your data" page, through a real SMTP server. A reader gives
an address, gets a link by mail, and through it downloads and erases their data; the
page answers the same whether or not the address is known, is rate-limited per IP and
per address, and no page, header or limiter key names the address."""

import re
import secrets
from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import select

from moderation.infra import db, jobs
from moderation.infra.models import DataRequest, Entry, Mail
from moderation.services import personal_data
from moderation.web import your_data
from tests.forms import submit_form
from tests.helpers import reader, submit

SITE = "https://comments.example"
ADDRESS = "Zoe.Private@Example.org"
STRANGER = "nobody.here@example.org"
LINK = re.compile(re.escape(SITE) + r"(/your-data/[\w-]+)")


@pytest.fixture
def rate_limit() -> str:
    return "5 per hour"


@pytest.fixture
def app(make_app, mail_server, rate_limit):
    return make_app(MAIL_URL=mail_server.url, SITE_URL=SITE, DATA_REQUEST_RATE_LIMIT=rate_limit)


def ask(app, email: str, number: int = 2):
    """A reader (client `number`) sends the "Your data" form as the page rendered it."""
    return submit_form(reader(app, number), "/your-data", "form.your-data-form", email=email)


def mailed_link(app, mail_server, email: str) -> str:
    """Send the queued mail; the path of the link the last mail to `email` carries."""
    jobs.run_due_jobs(app)
    return LINK.search(mail_server.to(email)[-1].text).group(1)


def no_address_in(response) -> None:
    """Neither the address nor its lowercase appears in the page or its headers."""
    seen = (response.get_data(as_text=True) + str(response.headers)).lower()
    assert ADDRESS.lower() not in seen


def test_a_reader_gets_a_link_downloads_and_erases_their_data(app, post, mail_server):
    assert submit(reader(app), email=ADDRESS).status_code == 303  # a comment, held
    asked = ask(app, ADDRESS.upper())
    assert asked.status_code == 200 and your_data.ASKED in asked.get_data(as_text=True)
    no_address_in(asked)
    link = mailed_link(app, mail_server, ADDRESS.lower())

    browser = reader(app, 3)  # wherever the mail is read
    page = browser.get(link)
    assert page.status_code == 200 and "1 comment," in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert "no-store" in page.headers["Cache-Control"]
    no_address_in(page)
    for _ in range(2):  # the link works until it expires, not once
        download = submit_form(browser, link, "form.your-data-download")
        assert download.headers["Content-Disposition"] == 'attachment; filename="your-data.json"'
        assert ADDRESS.lower() not in str(download.headers).lower()  # the file holds it
        [entry] = download.get_json()["entries"]
        assert entry["email"] == ADDRESS and entry["post"]["slug"] == "a-post"

    erased = submit_form(browser, link, "form.your-data-erase")
    assert erased.status_code == 200 and "Your data was erased" in erased.get_data(as_text=True)
    assert browser.get(link).status_code == 404
    with app.app_context():
        session = db.get_session()
        [entry] = session.scalars(select(Entry))
        assert (entry.author, entry.email, entry.ip_address) == (personal_data.ANONYMOUS, "", "")
        assert session.scalar(select(DataRequest.id)) is None
        assert session.scalar(select(Mail.id)) is None  # the one mail, the link's, went too


def test_the_answer_is_the_same_whether_or_not_the_address_is_known(app, post, mail_server):
    assert submit(reader(app), email=ADDRESS).status_code == 303
    known, unknown = ask(app, ADDRESS, 2), ask(app, STRANGER, 3)
    assert (known.status_code, known.get_data()) == (unknown.status_code, unknown.get_data())
    jobs.run_due_jobs(app)
    assert mail_server.to(ADDRESS.lower()) and not mail_server.to(STRANGER)
    with app.app_context():  # nothing is written for an address we know nothing of
        asked_for = db.get_session().scalars(select(DataRequest.email))
        assert list(asked_for) == [ADDRESS.lower()]


@pytest.mark.parametrize("rate_limit", ["2 per hour"])
@pytest.mark.parametrize(
    ("emails", "readers"),
    [
        ([ADDRESS, ADDRESS, ADDRESS], [2, 3, 4]),  # one address from three places
        ([ADDRESS, STRANGER, "third@example.org"], [2, 2, 2]),  # three addresses from one
    ],
)
def test_requests_are_limited_per_address_and_per_ip(app, post, emails, readers):
    answers = [ask(app, email, number) for email, number in zip(emails, readers, strict=True)]
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert your_data.TOO_MANY in answers[-1].get_data(as_text=True)
    # The limiter's keys may be stored or logged: they hold a keyed digest, not the address.
    keys = str(list(app.extensions["moderation.limiter"].shared.storage.storage))
    assert "data-request-address" in keys and ADDRESS.lower() not in keys.lower()


@pytest.mark.parametrize("link", ["unknown", "cut short", "expired"])
def test_a_link_that_is_unknown_cut_short_or_expired_is_not_found(app, post, mail_server, link):
    assert submit(reader(app), email=ADDRESS).status_code == 303
    ask(app, ADDRESS)
    path = mailed_link(app, mail_server, ADDRESS.lower())
    if link == "unknown":
        path = f"/your-data/{secrets.token_urlsafe(32)}"
    elif link == "cut short":
        path = path[:-3]
    else:
        with app.app_context():
            session = db.get_session()
            for request in session.scalars(select(DataRequest)):
                request.created -= timedelta(hours=24, seconds=1)
            session.commit()
    client = reader(app, 4)
    answer = client.get(path)
    assert answer.status_code == 404
    assert "expired" in answer.get_data(as_text=True)


def test_without_its_own_address_the_page_says_it_cannot_mail_links(make_app):
    page = make_app().test_client().get("/your-data")
    assert page.status_code == 200
    assert escape(your_data.NO_ADDRESS) in page.get_data(as_text=True)
    assert "your-data-form" not in page.get_data(as_text=True)
