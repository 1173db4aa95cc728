"""The command line of SPEC §2."""

import json

import pytest
from sqlalchemy import select

from moderation.infra import db
from moderation.infra.models import AuditEvent
from moderation.rules.statuses import Status
from moderation.services import posts
from tests.helpers import add_comment, entries, reader, submit

JSON_KEYS = {
    "id", "type", "status", "post", "parent_id", "author", "email", "website",
    "text", "html", "source_url", "reason", "created",
}  # fmt: skip


def _head() -> str:
    return db.schema_revision(db.engine())


def test_db_upgrade_is_idempotent(runner, app):
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert result.output == f"The schema is already up to date (revision {_head()}).\n"


def test_db_upgrade_on_an_empty_database_says_it_created_the_schema(empty_database_url, make_app):
    app = make_app(DATABASE_URL=empty_database_url)
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert result.output == f"Created the schema (revision {_head()}).\n"
    again = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert "already up to date" in again.output


def test_db_upgrade_of_an_older_schema_says_it_migrated(empty_database_url, make_app):
    app = make_app(DATABASE_URL=empty_database_url)
    with app.app_context():
        db.upgrade(db.engine(), "0005")
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert result.output == f"Migrated the schema from revision 0005 to {_head()}.\n"


def test_demo_loads_a_post_with_three_thoughts_and_a_threaded_reply(runner, app):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "/posts/river-bridge-reopens/" in result.output
    page = app.test_client().get("/posts/river-bridge-reopens/").get_data(as_text=True)
    assert "3 thoughts on “Old river bridge reopens after two years of repairs”" in page
    assert "Pingback: <a" in page
    assert 'class="entry depth-1 comment"' in page
    assert "<h2>What was repaired</h2>" in page


def test_demo_a_second_time_changes_nothing(runner, app):
    runner.invoke(args=["demo"])
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0
    assert "already loaded" in result.output
    assert len(entries(app)) == 3


def test_posts_create_prints_the_permalink(runner, app, tmp_path):
    body = tmp_path / "body.html"
    body.write_text("<h2>Heading</h2><p>Text</p><script>alert(1)</script>", encoding="utf-8")
    result = runner.invoke(
        args=["posts", "create", "--slug", "new-post", "--title", "New", "--body-file", str(body)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "/posts/new-post/"
    page = app.test_client().get("/posts/new-post/").get_data(as_text=True)
    assert "<h2>Heading</h2><p>Text</p>" in page
    assert "<script>alert(1)" not in page


def test_posts_create_uses_site_url_for_the_permalink(make_app):
    runner = make_app(SITE_URL="https://blog.example").test_cli_runner()
    result = runner.invoke(args=["posts", "create", "--slug", "p", "--title", "P"])
    assert result.output.strip() == "https://blog.example/posts/p/"


def test_posts_create_registers_an_external_post(runner, app):
    url = "https://elsewhere.example/2026/a-post/"
    assert runner.invoke(args=["sites", "add", "https://elsewhere.example"]).exit_code == 0
    result = runner.invoke(args=["posts", "create", "--slug", "ext", "--title", "T", "--url", url])
    assert result.exit_code == 0
    assert result.output.strip() == url
    with app.app_context():
        assert posts.get_post(db.get_session(), "ext").url == url


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--slug", "Bad Slug", "--title", "T"], "lowercase letters"),
        (["--slug", "s" * 201, "--title", "T"], "at most 200"),
        (["--slug", "fine", "--title", "t" * 301], "at most 300 characters"),
        (["--slug", "fine", "--title", "T", "--url", "elsewhere.example/p"], "absolute http"),
        (["--slug", "fine", "--title", "T", "--url", "javascript:alert(1)"], "absolute http"),
        (["--slug", "a-post", "--title", "T"], "exists already"),
        (["--slug", "fine", "--title", "  "], "needs a title"),
    ],
)
def test_posts_create_refuses_bad_input_with_exit_status_1(runner, post, arguments, message):
    result = runner.invoke(args=["posts", "create", *arguments])
    assert result.exit_code == 1
    assert message in result.output


def test_comments_list_json_has_the_spec_fields_including_the_email(runner, client, app, post):
    submit(client, comment="Listed <b>bold</b>")
    parent_id = add_comment(app, "A parent.", Status.APPROVED, name="Bea", email="bea@example.net")
    reply_id = add_comment(app, "A reply.", name="Cy", email="cy@example.net", parent_id=parent_id)
    result = runner.invoke(args=["comments", "list", "--json"])
    assert result.exit_code == 0
    reply, parent, item = (json.loads(line) for line in result.output.strip().splitlines())
    assert (reply["id"], reply["parent_id"], parent["parent_id"]) == (reply_id, parent_id, None)
    assert set(item) == JSON_KEYS
    assert (item["post"], item["parent_id"]) == ("a-post", None)
    assert item["email"] == "ada.reader@example.net"
    assert (item["type"], item["status"]) == ("comment", "pending")
    assert (item["text"], item["html"]) == ("Listed <b>bold</b>", "<p>Listed <b>bold</b></p>")


def test_comments_list_filters_by_status_and_type(runner, app, post):
    submit(reader(app, 1), comment="one")
    submit(reader(app, 2), comment="two", email="bea@example.net")  # another reader: no flood
    first = min(entry.id for entry in entries(app))
    runner.invoke(args=["comments", "moderate", "--status", "approved", str(first)])
    approved = runner.invoke(args=["comments", "list", "--status", "approved", "--json"])
    assert [json.loads(line)["text"] for line in approved.output.splitlines()] == ["one"]
    pending = runner.invoke(args=["comments", "list", "--status", "pending"])
    assert "pending" in pending.output and "approved" not in pending.output
    none = runner.invoke(args=["comments", "list", "--type", "pingback"])
    assert none.output == ""


def _audit_log(app) -> list[tuple[str, str, str, str]]:
    with app.app_context():
        events = db.get_session().scalars(select(AuditEvent).order_by(AuditEvent.id))
        return [(each.username, each.action, each.entry_ids, each.detail) for each in events]


def test_comments_moderate_sets_status_and_reason(runner, client, app, post):
    submit(client)
    [entry] = entries(app)
    result = runner.invoke(args=["comments", "moderate", "--status", "spam", str(entry.id)])
    assert result.exit_code == 0
    assert "1 entry set to spam." in result.output
    [moved] = entries(app)
    assert (moved.status, moved.reason, moved.rule) == ("spam", "spam by cli", "moderator")


@pytest.mark.parametrize(
    ("before", "status", "action"),
    [
        (Status.PENDING, "approved", "approve"),
        (Status.APPROVED, "pending", "hold"),
        (Status.SPAM, "pending", "hold"),
        (Status.TRASH, "pending", "hold"),
        (Status.APPROVED, "spam", "spam"),
        (Status.SPAM, "trash", "trash"),
    ],
)
def test_comments_moderate_goes_through_the_audited_path_as_cli(
    runner, app, post, before, status, action
):
    entry_id = add_comment(app, "Moved from the shell.", before)
    already = len(_audit_log(app))
    result = runner.invoke(args=["comments", "moderate", "--status", status, str(entry_id)])
    assert result.exit_code == 0, result.output
    [moved] = entries(app)
    assert (moved.status, moved.reason) == (status, f"{action} by cli")
    assert _audit_log(app)[already:] == [("cli", action, str(entry_id), "1 of 1 changed")]


def test_comments_moderate_writes_one_audit_line_for_several_entries(runner, app, post):
    ids = [add_comment(app, f"Entry {number}.", Status.PENDING) for number in range(3)]
    result = runner.invoke(args=["comments", "moderate", "--status", "trash", *map(str, ids)])
    assert result.exit_code == 0, result.output
    assert "3 entries set to trash." in result.output
    assert _audit_log(app) == [("cli", "trash", ",".join(map(str, sorted(ids))), "3 of 3 changed")]


def test_comments_moderate_with_an_unknown_id_changes_nothing(runner, client, app, post):
    submit(client)
    [entry] = entries(app)
    result = runner.invoke(
        args=["comments", "moderate", "--status", "approved", str(entry.id), "424242"]
    )
    assert result.exit_code == 1
    assert "424242" in result.output
    assert entries(app)[0].status == "pending"
    assert _audit_log(app) == []


@pytest.mark.parametrize("bad_id", ["0", "-3", "99999999999999999999", "abc"])
def test_comments_moderate_refuses_ids_that_cannot_exist(runner, client, post, bad_id):
    result = runner.invoke(args=["comments", "moderate", "--status", "spam", "--", bad_id])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_comments_moderate_refuses_an_unknown_status(runner, client, post):
    result = runner.invoke(args=["comments", "moderate", "--status", "deleted", "1"])
    assert result.exit_code == 2
