"""The privacy notice (issue 15): `GET /privacy`, the text a site's owner links from
their own policy, saying what we store, why, for how long, who sees it and how to ask
for it, drawn from the live settings (the config and the Discussion settings).

It is the same for every reader, so caches may keep it as they keep a thread's reads
(web/caching.py), tagged by the settings it was drawn from.
"""

from dataclasses import astuple, dataclass

from flask import Blueprint, current_app, make_response, render_template

from moderation.infra import db
from moderation.services import data_requests, discussion
from moderation.web import caching, cookies

bp = Blueprint("privacy_notice", __name__)


@dataclass(frozen=True)
class Notice:
    """The settings the notice speaks of."""

    ip_days: int  # 0: addresses kept whole
    purge_days: int  # 0: spam, trash and mails kept until deleted
    sends_mail: bool  # MAIL_URL names an SMTP server
    hold_all: bool
    trust_known_authors: bool
    flood_seconds: int
    remember_days: int
    own_entry_minutes: int
    data_link_hours: int


@bp.get("/privacy")
def privacy():
    """Show the privacy notice as the current settings make it."""
    config = current_app.config
    rules = discussion.load(db.get_session()).rules
    notice = Notice(
        ip_days=config["IP_RETENTION_DAYS"],
        purge_days=config["PURGE_AFTER_DAYS"],
        sends_mail=config["MAIL_URL"] is not None,
        hold_all=rules.hold_all,
        trust_known_authors=rules.trust_known_authors,
        flood_seconds=config["COMMENT_FLOOD_SECONDS"],
        remember_days=cookies.COMMENTER_MAX_AGE // 86_400,
        own_entry_minutes=cookies.OWN_ENTRY_SECONDS // 60,
        data_link_hours=int(data_requests.LIFETIME.total_seconds() // 3600),
    )
    response = make_response(render_template("public/privacy.html", notice=notice))
    return caching.public(response, astuple(notice))
