"""The `moderators` commands (SPEC §2 (Command line): `moderators create USERNAME`, the
password from a prompt or --password-stdin): create, change a password, disable and
enable."""

import pytest
from sqlalchemy import select

from moderation.infra import db
from moderation.infra.models import Moderator
from tests.conftest import MODERATOR_PASSWORD, create_moderator, send_login

NEW_PASSWORD = "a brand new passphrase"


def _moderators(app) -> dict[str, Moderator]:
    with app.app_context():
        return {each.username: each for each in db.get_session().scalars(select(Moderator))}


def test_create_with_password_stdin_makes_an_account_that_cansend_login(runner, app):
    result = runner.invoke(
        args=["moderators", "create", "alice", "--password-stdin"], input=f"{NEW_PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "Moderator alice created." in result.output
    assert send_login(app.test_client(), "alice", NEW_PASSWORD).status_code == 303


def test_create_asks_for_the_password_twice_at_the_prompt(runner, app):
    result = runner.invoke(
        args=["moderators", "create", "alice"], input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("Password") == 1
    assert "Repeat for confirmation" in result.output
    assert NEW_PASSWORD not in result.output
    assert send_login(app.test_client(), "alice", NEW_PASSWORD).status_code == 303


def test_password_stdin_keeps_inner_and_outer_spaces_of_the_password(runner, app):
    spaced = "  spaced out password  "
    runner.invoke(args=["moderators", "create", "alice", "--password-stdin"], input=f"{spaced}\n")
    client = app.test_client()
    assert send_login(client, "alice", spaced.strip()).status_code == 401
    assert send_login(client, "alice", spaced).status_code == 303


@pytest.mark.parametrize(
    ("flags", "is_admin", "says"),
    [
        ([], False, "Moderator alice created.\n"),
        (["--admin"], True, "Moderator alice created (administrator).\n"),
    ],
)
def test_create_marks_an_administrator_only_with_admin(runner, app, flags, is_admin, says):
    result = runner.invoke(
        args=["moderators", "create", "alice", "--password-stdin", *flags],
        input=f"{NEW_PASSWORD}\n",
    )
    assert result.output == says
    assert _moderators(app)["alice"].is_admin is is_admin


def test_passwords_are_stored_as_scrypt_hashes_not_as_typed(runner, app):
    runner.invoke(
        args=["moderators", "create", "alice", "--password-stdin"], input=f"{NEW_PASSWORD}\n"
    )
    stored = _moderators(app)["alice"].password_hash
    assert stored.startswith("scrypt:")
    assert NEW_PASSWORD not in stored


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("alice", "short", "A password has at least 10 characters."),
        ("alice", "123456789", "A password has at least 10 characters."),
        ("alice", "x" * 1025, "A password has at most 1024 characters."),
        ("mod", NEW_PASSWORD, "The username 'mod' is taken."),
        ("MOD", NEW_PASSWORD, "The username 'MOD' is taken."),
        ("bad name", NEW_PASSWORD, "A username is at most 150 letters"),
        ("alice\n", NEW_PASSWORD, "A username is at most 150 letters"),
        ("x" * 151, NEW_PASSWORD, "A username is at most 150 letters"),
    ],
    ids=[
        "too-short",
        "nine-characters",
        "too-long",
        "duplicate",
        "duplicate-in-other-case",
        "space-in-username",
        "trailing-newline-in-username",
        "username-too-long",
    ],
)
def test_create_refuses_and_exits_1_creating_nothing(runner, app, username, password, message):
    create_moderator(app, "mod")
    result = runner.invoke(
        args=["moderators", "create", username, "--password-stdin"], input=f"{password}\n"
    )
    assert result.exit_code == 1
    assert message in result.output
    assert set(_moderators(app)) == {"mod"}


@pytest.mark.parametrize("username", ["m_d", "_od", "mo_", "___"])
def test_an_underscore_in_a_new_username_is_no_wildcard(runner, app, username):
    create_moderator(app, "mod")
    result = runner.invoke(
        args=["moderators", "create", username, "--password-stdin"], input=f"{NEW_PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert set(_moderators(app)) == {"mod", username}


def test_disable_refuses_login_and_enable_allows_it_again(runner, app):
    create_moderator(app, "mod")
    client = app.test_client()

    disabled = runner.invoke(args=["moderators", "disable", "mod"])
    assert disabled.exit_code == 0
    assert disabled.output == "Moderator mod disabled.\n"
    assert send_login(client, "mod", MODERATOR_PASSWORD).status_code == 401

    enabled = runner.invoke(args=["moderators", "enable", "mod"])
    assert enabled.exit_code == 0
    assert enabled.output == "Moderator mod enabled.\n"
    assert send_login(client, "mod", MODERATOR_PASSWORD).status_code == 303


def test_disable_ends_a_session_that_is_already_open(runner, moderator):
    assert moderator.get("/moderation/").status_code == 200
    runner.invoke(args=["moderators", "disable", "mod"])
    response = moderator.get("/moderation/")
    assert response.status_code == 302
    assert response.location.startswith("/moderation/login")


def test_enabling_again_does_not_revive_the_old_session(runner, moderator):
    runner.invoke(args=["moderators", "disable", "mod"])
    runner.invoke(args=["moderators", "enable", "mod"])
    assert moderator.get("/moderation/").status_code == 302


@pytest.mark.parametrize(
    "args",
    [
        ["moderators", "disable", "nobody"],
        ["moderators", "enable", "nobody"],
        ["moderators", "password", "nobody", "--password-stdin"],
    ],
)
def test_commands_on_an_unknown_moderator_exit_1(runner, app, args):
    result = runner.invoke(args=args, input=f"{NEW_PASSWORD}\n")
    assert result.exit_code == 1
    assert "No moderator is called 'nobody'." in result.output


def test_password_change_ends_other_sessions_and_only_the_new_password_works(
    runner, moderator, app
):
    result = runner.invoke(
        args=["moderators", "password", "mod", "--password-stdin"], input=f"{NEW_PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output == "Password of mod changed.\n"
    assert moderator.get("/moderation/").status_code == 302
    client = app.test_client()
    assert send_login(client, "mod", MODERATOR_PASSWORD).status_code == 401
    assert send_login(client, "mod", NEW_PASSWORD).status_code == 303


def test_password_change_to_a_short_password_exits_1_and_keeps_the_old_one(runner, moderator, app):
    result = runner.invoke(
        args=["moderators", "password", "mod", "--password-stdin"], input="short\n"
    )
    assert result.exit_code == 1
    assert "A password has at least 10 characters." in result.output
    assert moderator.get("/moderation/").status_code == 200
    assert send_login(app.test_client(), "mod", MODERATOR_PASSWORD).status_code == 303
