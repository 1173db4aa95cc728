"""The queue page: status tabs and counts, filters, search, order, pages, what a row shows."""

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import delete, func, select, text

from moderation.infra import db
from moderation.infra.models import Entry, Post
from moderation.rules.statuses import EntryType, Status
from moderation.services import moderating, posts, queue
from moderation.services.linkbacks import recording
from moderation.services.moderating import Action
from moderation.services.queue import status_counts
from tests.helpers import TEST_ACTOR, add_comment, seed_many

ROW = re.compile(r'<li class="row status-\w+" id="entry-(\d+)"')


def _linkback(app, entry_type: EntryType, source_url: str, excerpt: str) -> int:
    with app.app_context():
        session = db.get_session()
        post = posts.get_post(session, "a-post")
        entry = recording.record_linkback(
            session, post, entry_type, source_url, "A Linking Blog", excerpt, "203.0.113.5"
        )
        session.commit()
        return entry.id


def _listed(response) -> list[int]:
    assert response.status_code == 200
    return [int(found) for found in ROW.findall(response.get_data(as_text=True))]


@pytest.fixture
def by_status(app, post) -> dict[str, list[int]]:
    """Two pending, three approved, one spam and four trashed comments."""
    plan = {Status.PENDING: 2, Status.APPROVED: 3, Status.SPAM: 1, Status.TRASH: 4}
    return {
        status.value: [add_comment(app, f"{status} comment {n}", status) for n in range(count)]
        for status, count in plan.items()
    }


@pytest.mark.parametrize(
    ("tab", "count"),
    [("all", 5), ("pending", 2), ("approved", 3), ("spam", 1), ("trash", 4)],
)
def test_each_tab_shows_its_count(moderator, by_status, tab, count):
    page = moderator.get("/moderation/").get_data(as_text=True)
    assert f'<span class="count" data-count="{tab}">({count})</span>' in page


@pytest.mark.parametrize(
    ("tab", "statuses"),
    [
        ("all", ["pending", "approved"]),
        ("pending", ["pending"]),
        ("approved", ["approved"]),
        ("spam", ["spam"]),
        ("trash", ["trash"]),
        ("no-such-tab", ["pending", "approved"]),
        ("", ["pending", "approved"]),
    ],
)
def test_each_tab_lists_exactly_its_entries(moderator, by_status, tab, statuses):
    listed = _listed(moderator.get("/moderation/", query_string={"status": tab}))
    assert sorted(listed) == sorted(sum((by_status[status] for status in statuses), []))


def test_the_current_tab_is_marked(moderator, by_status):
    page = moderator.get("/moderation/?status=spam").get_data(as_text=True)
    assert re.findall(r'status=(\w+)" aria-current="page"', page) == ["spam"]


def test_the_counts_are_read_from_the_kept_counts_not_counted(moderator, by_status, count_queries):
    with count_queries() as statements:
        moderator.get("/moderation/")
    assert not [statement for statement in statements if "GROUP BY" in statement]
    assert len([statement for statement in statements if "entry_counts" in statement]) == 2


def _bulk_approve(app, post, ids):
    with app.app_context():
        session = db.get_session()
        moderating.moderate(session, TEST_ACTOR, [*ids["pending"], *ids["spam"]], Action.APPROVE)
        session.commit()


def _empty_trash(app, post, ids):
    with app.app_context():
        session = db.get_session()
        moderating.empty(session, TEST_ACTOR, Status.TRASH)
        session.commit()


def _delete_the_post(app, post, ids):
    with app.app_context():
        session = db.get_session()
        session.execute(delete(Post).where(Post.id == post.id))  # its entries go with it
        session.commit()


@pytest.mark.parametrize(
    "change",
    [
        lambda app, post, ids: add_comment(app, "One more comment"),
        lambda app, post, ids: _linkback(app, EntryType.PINGBACK, "https://a.example/", "A ping"),
        lambda app, post, ids: seed_many(app, post.id, 30, Status.SPAM),  # as imports insert
        _bulk_approve,
        _empty_trash,
        _delete_the_post,
    ],
    ids=["comment", "linkback", "bulk-insert", "bulk-action", "empty-trash", "post-deleted"],
)
def test_the_kept_counts_stay_right_after_every_kind_of_change(app, post, by_status, change):
    change(app, post, by_status)
    with app.app_context():
        session = db.get_session()
        grouped = select(Entry.status, func.count()).group_by(Entry.status)
        counted = {status: count for status, count in session.execute(grouped)}
        kept = status_counts(session)
    assert {status.value: counted.get(status, 0) for status in Status} == {
        status.value: kept[status.value] for status in Status
    }


def test_the_search_uses_the_trigram_index_on_postgresql_alone(app, post):
    with app.app_context():
        session = db.get_session()
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":  # a few rows: reading them in order is cheaper otherwise
            session.execute(text("SET LOCAL enable_seqscan = off"))
            session.execute(text("SET LOCAL enable_indexscan = off"))
        query = queue._listing(queue.QueueFilter(search="compiler"), dialect)
        compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        plan = " ".join(map(str, session.execute(text(f"EXPLAIN {compiled}")).all()))
        session.rollback()
    assert ("ix_entries_search" in plan) is (dialect == "postgresql")


def test_the_queue_is_newest_first(moderator, app, post):
    ids = [add_comment(app, f"Comment number {n}") for n in range(5)]
    assert _listed(moderator.get("/moderation/")) == ids[::-1]


@pytest.mark.parametrize(
    ("entry_type", "expected"),
    [
        ("comment", {"comment"}),
        ("pingback", {"pingback"}),
        ("webmention", {"webmention"}),
        ("trackback", set()),
        ("", {"comment", "pingback", "webmention"}),
        ("bogus", {"comment", "pingback", "webmention"}),
    ],
)
def test_the_type_filter_lists_entries_of_that_type(moderator, app, post, entry_type, expected):
    ids = {
        "comment": add_comment(app, "A plain comment"),
        "pingback": _linkback(app, EntryType.PINGBACK, "https://blog.example/a", "Pinged"),
        "webmention": _linkback(app, EntryType.WEBMENTION, "https://blog.example/b", "Mention"),
    }
    listed = _listed(moderator.get("/moderation/", query_string={"type": entry_type}))
    assert sorted(listed) == sorted(ids[name] for name in expected)


@pytest.mark.parametrize("which", ["first", "second", "neither"])
def test_the_post_filter_lists_entries_of_that_post(moderator, app, post, other_post, which):
    first = add_comment(app, "On the first post")
    second = add_comment(app, "On the second post", slug="another-post")
    post_id = {"first": post.id, "second": other_post.id, "neither": ""}[which]
    expected = {"first": [first], "second": [second], "neither": [second, first]}[which]
    assert _listed(moderator.get("/moderation/", query_string={"post": post_id})) == expected


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("Grace Hopper", "by-author"),
        ("grace hopper", "by-author"),
        ("hopper@navy.example", "by-email"),
        ("NAVY.EXAMPLE", "by-email"),
        ("cobol.example", "by-website"),
        ("198.51.100.77", "by-ip"),
        ("linking.example/post", "by-source"),
        ("compiler bug", "by-text"),
        ("COMPILER", "by-text"),
    ],
)
def test_search_looks_at_author_email_website_ip_source_and_text(moderator, app, post, term, found):
    ids = {
        "by-author": add_comment(app, "First words", name="Grace Hopper"),
        "by-email": add_comment(app, "Second words", email="hopper@navy.example"),
        "by-website": add_comment(app, "Third words", website="https://cobol.example/"),
        "by-ip": add_comment(app, "Fourth words", ip_address="198.51.100.77"),
        "by-source": _linkback(
            app, EntryType.PINGBACK, "https://linking.example/post", "Fifth words"
        ),
        "by-text": add_comment(app, "I found a compiler bug today"),
        "none": add_comment(app, "Nothing to see"),
    }
    assert _listed(moderator.get("/moderation/", query_string={"q": term})) == [ids[found]]


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("%", ["percent"]),
        ("100%", ["percent"]),
        ("_", ["underscore"]),
        ("snake_case", ["underscore"]),
        ("me_ca", []),
        ("\\", ["backslash"]),
        ("C:\\temp", ["backslash"]),
        ("%%", []),
    ],
)
def test_search_takes_percent_underscore_and_backslash_literally(moderator, app, post, term, found):
    ids = {
        "percent": add_comment(app, "I am 100% sure"),
        "underscore": add_comment(app, "Write it in snake_case"),
        "backslash": add_comment(app, "Saved in C:\\temp today"),
        "plain": add_comment(app, "Some case of plain words"),
    }
    listed = _listed(moderator.get("/moderation/", query_string={"q": term}))
    assert sorted(listed) == sorted(ids[name] for name in found)


@pytest.mark.parametrize(
    "query", ["q=a%00b", "q=%00", "q=" + "x" * 1000, "q=%ED%A0%80", "q=%FF%FE", "q=%0D%0A"]
)
def test_an_odd_search_term_is_no_error(moderator, app, post, query):
    add_comment(app, "Some words")
    assert moderator.get(f"/moderation/?{query}").status_code == 200


def test_search_type_post_and_tab_combine(moderator, app, post, other_post):
    wanted = add_comment(app, "Needle in the first post", Status.SPAM)
    add_comment(app, "Needle but pending")
    add_comment(app, "Needle on the other post", Status.SPAM, slug="another-post")
    add_comment(app, "Hay in spam", Status.SPAM)
    query = {"status": "spam", "type": "comment", "post": post.id, "q": "needle"}
    assert _listed(moderator.get("/moderation/", query_string=query)) == [wanted]


def test_the_search_box_and_filters_show_what_was_asked(moderator, app, post):
    page = moderator.get(
        "/moderation/", query_string={"q": '"quoted" <b>', "type": "pingback", "post": post.id}
    ).get_data(as_text=True)
    assert 'value="&#34;quoted&#34; &lt;b&gt;"' in page
    assert '<option value="pingback" selected>' in page
    assert f'<option value="{post.id}" selected>A Post</option>' in page


def test_fifty_entries_a_page_and_links_that_keep_the_filters(moderator, app, post):
    seed_many(app, post.id, 120)
    query = {"status": "pending", "q": "seeded"}
    first = moderator.get("/moderation/", query_string=query)
    page = first.get_data(as_text=True)
    assert len(_listed(first)) == 50
    assert "Seeded comment 0</p>" in page
    assert "120 entries, page 1 of 3." in page
    assert 'rel="next" href="/moderation/?status=pending&amp;q=seeded&amp;page=2"' in page
    assert 'rel="prev"' not in page

    third = moderator.get("/moderation/", query_string={**query, "page": 3})
    page = third.get_data(as_text=True)
    assert len(_listed(third)) == 20
    assert "Seeded comment 119</p>" in page
    assert 'rel="prev" href="/moderation/?status=pending&amp;q=seeded&amp;page=2"' in page
    assert 'rel="next"' not in page


def test_pages_do_not_overlap_or_skip(moderator, app, post):
    seed_many(app, post.id, 120)
    pages = [_listed(moderator.get(f"/moderation/?page={number}")) for number in (1, 2, 3)]
    every = sum(pages, [])
    assert len(every) == len(set(every)) == 120


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5", "99999", "9" * 30, "１", "", "2%00"])
def test_a_page_number_that_is_odd_or_out_of_range_is_no_error(moderator, app, post, page):
    add_comment(app, "The only comment")
    response = moderator.get(f"/moderation/?page={page}")
    assert response.status_code == 200


def test_a_page_past_the_end_says_so_and_links_back_to_the_first(moderator, app, post):
    add_comment(app, "The only comment")
    page = moderator.get("/moderation/?status=pending&page=99999").get_data(as_text=True)
    assert "0 entries" not in page
    assert "Nothing here." in page
    assert 'href="/moderation/?status=pending&amp;page=1"' in page


def test_a_row_shows_who_where_what_when_status_and_reason(moderator, app, post):
    entry_id = add_comment(
        app,
        "Lovely *words* here",
        name="Grace Hopper",
        email="grace@navy.example",
        website="https://grace.example/",
        ip_address="198.51.100.23",
    )
    page = moderator.get("/moderation/").get_data(as_text=True)
    row = page[page.index(f'id="entry-{entry_id}"') :]
    row = row[: row.index("</li>")]
    assert "<strong>Grace Hopper</strong>" in row
    assert '<a href="mailto:grace@navy.example">grace@navy.example</a>' in row
    assert '<span class="ip">198.51.100.23</span>' in row
    assert '<a href="https://grace.example/"' in row
    assert '<a href="/posts/a-post/">A Post</a>' in row  # pending: the public permalink 404s
    assert '<span class="badge type">comment</span>' in row
    assert '<span class="badge status" data-status>pending</span>' in row
    assert "<p>Lovely *words* here</p>" in row
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[^"]+">\w+ \d+, \d{4} at ', row)
    assert '<p class="reason">Why: held for a moderator</p>' in row


def test_a_linkback_row_shows_its_source(moderator, app, post):
    _linkback(app, EntryType.PINGBACK, "https://linking.example/post", "They linked here")
    page = moderator.get("/moderation/").get_data(as_text=True)
    assert '<span class="badge type">pingback</span>' in page
    assert 'Source: <a href="https://linking.example/post"' in page


def test_what_readers_typed_is_escaped_in_the_queue(moderator, app, post):
    add_comment(app, "<script>alert(1)</script> <img src=x onerror=alert(2)>", name="<b>Bold</b>")
    page = moderator.get("/moderation/").get_data(as_text=True)
    assert "<strong>&lt;b&gt;Bold&lt;/b&gt;</strong>" in page
    assert "<script>alert(1)" not in page
    assert "<img src=x" not in page
    assert "onerror" not in page.replace("onerror=alert(2)&gt;", "")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, set[str]]] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "a" and (found.get("href") or "").startswith(("http:", "https:")):
            self.links.append((found["href"], set((found.get("rel") or "").split())))


def test_every_outside_link_in_the_queue_is_noopener_noreferrer_nofollow(moderator, app, post):
    add_comment(
        app,
        'See <a href="https://text.example/">this</a> and http://bare.example.org/page',
        website="https://author.example/",
    )
    _linkback(app, EntryType.PINGBACK, "https://source.example/post", "Via https://ex.example.org/")
    parser = _Links()
    parser.feed(moderator.get("/moderation/").get_data(as_text=True))
    hrefs = {href for href, _ in parser.links}
    assert {
        "https://text.example/",
        "http://bare.example.org/page",
        "https://author.example/",
        "https://source.example/post",
        "https://ex.example.org/",
    } <= hrefs
    assert all({"noopener", "noreferrer", "nofollow"} <= rel for _, rel in parser.links)


def test_an_empty_queue_says_nothing_is_there(moderator, post):
    page = moderator.get("/moderation/").get_data(as_text=True)
    assert "Nothing here." in page
    assert "0 entries." in page


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?status=pending&page=3",
        "?status=approved",
        "?type=comment&q=seeded+comment+99",
        "?page=99999",
    ],
)
def test_the_queue_of_a_thousand_entries_takes_at_most_four_queries(
    moderator, app, post, other_post, count_queries, query
):
    # Several pages of each tab: the count must not depend on how many there are (speed
    # at a larger scale is for bench/, not for a test).
    seed_many(app, post.id, 500)
    seed_many(app, other_post.id, 500, Status.APPROVED)
    with count_queries() as statements:
        response = moderator.get(f"/moderation/{query}")
    assert response.status_code == 200
    assert len(statements) <= 4, statements


def test_the_query_count_does_not_grow_with_the_queue(moderator, app, post, count_queries):
    add_comment(app, "Just one")
    with count_queries() as few:
        moderator.get("/moderation/")
    seed_many(app, post.id, 1_000)
    with count_queries() as many:
        page = moderator.get("/moderation/").get_data(as_text=True)
    assert "1001 entries, page 1 of 21." in page
    assert len(many) == len(few) <= 4


@pytest.mark.parametrize(
    ("which", "status", "count"),
    [("first", "pending", 1), ("first", "approved", 2), ("second", "pending", 1),
     ("second", "approved", 0)],
)  # fmt: skip
def test_the_posts_page_counts_pending_and_approved_per_post(
    moderator, app, post, other_post, which, status, count
):
    add_comment(app, "pending on first")
    add_comment(app, "approved on first", Status.APPROVED)
    add_comment(app, "approved on first again", Status.APPROVED)
    add_comment(app, "spam on first", Status.SPAM)
    add_comment(app, "pending on second", slug="another-post")
    post_id = {"first": post.id, "second": other_post.id}[which]
    page = moderator.get("/moderation/posts").get_data(as_text=True)
    assert f'href="/moderation/?status={status}&amp;post={post_id}">{count}</a>' in page
