"""The queue and every action on its entries."""

from urllib.parse import urlencode

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from moderation.infra import db
from moderation.rules import errors
from moderation.rules.statuses import EntryType, Status
from moderation.services import mail, moderating, queue
from moderation.web.dashboard.common import ID, actor, back, bp, checked, done, page_number, refuse
from moderation.web.dashboard.forms import ActionForm, EditForm, ReplyForm
from moderation.web.forms import entry_id


def _queue_filter() -> queue.QueueFilter:
    args = request.args
    tab = args.get("status", "all")
    entry_type = args.get("type", "")
    rule = args.get("rule", "")
    return queue.QueueFilter(
        tab=tab if tab in queue.TABS else "all",
        entry_type=EntryType(entry_type) if entry_type in set(EntryType) else None,
        post_id=entry_id(args.get("post")),
        site_id=entry_id(args.get("site")),
        # PostgreSQL text holds no NUL: such a search could match nothing anyway.
        search=args.get("q", "").replace("\x00", "").strip()[:200],
        rule=rule if rule in queue.RULES else "",
        page=page_number(),
    )


def _queue_params(wanted: queue.QueueFilter, **changes: str) -> dict[str, object]:
    """The query string of a queue view, in one order, without empty values."""
    fields = {
        "status": wanted.tab,
        "type": wanted.entry_type.value if wanted.entry_type else "",
        "post": wanted.post_id or "",
        "site": wanted.site_id or "",
        "rule": wanted.rule,
        "q": wanted.search,
        **changes,
    }
    return {key: value for key, value in fields.items() if value and value != "all"}


@bp.get("/")
@login_required
def queue_view():
    """The queue: status tabs with counts, filters (type, post, site, rule), search, 50 a
    page."""
    wanted = _queue_filter()
    dbs = db.get_session()
    page = queue.queue_page(dbs, wanted)
    params = _queue_params(wanted)
    queue_url = url_for("dashboard.queue_view")
    choices = queue.filter_choices(dbs)
    return render_template(
        "dashboard/queue.html",
        wanted=wanted,
        page=page,
        counts=queue.status_counts(dbs),
        posts=choices.posts,
        sites=choices.sites,
        tabs=queue.TABS,
        types=list(EntryType),
        rules=queue.RULE_CHOICES,
        blockable=queue.BLOCKABLE,
        params=params,
        here=request.full_path.rstrip("?"),
        page_url=lambda number: queue_url + "?" + urlencode({**params, "page": number}),
        rule_url=lambda rule: queue_url + "?" + urlencode(_queue_params(wanted, rule=rule)),
        form=ActionForm(),
        mail_configured=mail.configured(),
    )


@bp.post(f"/entries/<{ID}:entry_id>/<action>")
@login_required
def act(entry_id: int, action: str):
    """Approve, unapprove, spam, not spam, trash, restore or delete one entry."""
    checked(ActionForm())
    chosen = _action(action)
    dbs = db.get_session()
    moved = moderating.moderate(dbs, actor(), [entry_id], chosen)
    dbs.commit()
    return done(_moved_message(chosen, moved), moderating.ACTIONS[chosen][1])


@bp.post(f"/entries/<{ID}:entry_id>/block")
@login_required
def block(entry_id: int):
    """Mark an entry spam and add its email, IP address or website host to the disallowed words.

    One transaction: spam from a moderator's hand teaches the Discussion rules (issue 6).
    """
    checked(ActionForm())
    dbs = db.get_session()
    try:
        moved, added, present = moderating.spam_and_block(
            dbs, actor(), entry_id, request.form.getlist("block")
        )
    except errors.Refused as refused:
        return refuse(refused.message)
    dbs.commit()
    said = [_moved_message(moderating.Action.SPAM, moved) if moved else "Already spam."]
    if added:
        said.append("Added to the disallowed words: " + ", ".join(added) + ".")
    if present:
        said.append("Already disallowed: " + ", ".join(present) + ".")
    return done(" ".join(said), Status.SPAM)


@bp.post("/entries")
@login_required
def bulk():
    """Apply one action to every checked entry, in one statement."""
    checked(ActionForm())
    chosen = _action(request.form.get("action", ""))
    ids = [value for value in map(entry_id, request.form.getlist("ids")) if value is not None]
    if not ids:
        return refuse("Tick at least one entry first.")
    dbs = db.get_session()
    moved = moderating.moderate(dbs, actor(), ids, chosen)
    dbs.commit()
    return done(_moved_message(chosen, moved), moderating.ACTIONS[chosen][1])


def _action(value: str) -> moderating.Action:
    try:
        return moderating.Action(value)
    except ValueError:
        abort(400, "There is no such action.")


def _moved_message(action: moderating.Action, count: int) -> str:
    noun = "entry" if count == 1 else "entries"
    done = {
        moderating.Action.APPROVE: "approved",
        moderating.Action.UNAPPROVE: "unapproved",
        moderating.Action.SPAM: "marked as spam",
        moderating.Action.NOT_SPAM: "restored from spam",
        moderating.Action.TRASH: "moved to the trash",
        moderating.Action.RESTORE: "restored from the trash",
        moderating.Action.DELETE: "deleted permanently",
        moderating.Action.HOLD: "moved back to pending",
    }[action]
    return f"{count} {noun} {done}."


@bp.post("/empty/<status>")
@login_required
def empty(status: str):
    """Delete everything in spam, or in the trash, for good."""
    checked(ActionForm())
    if status not in ("spam", "trash"):
        abort(404)
    dbs = db.get_session()
    count = moderating.empty(dbs, actor(), Status(status))
    dbs.commit()
    return done(f"{count} {'entry' if count == 1 else 'entries'} deleted permanently.")


@bp.route(f"/entries/<{ID}:entry_id>/edit", methods=["GET", "POST"])
@login_required
def edit(entry_id: int):
    """Edit an entry's text, name, email and website."""
    dbs = db.get_session()
    entry = moderating.get_entry(dbs, entry_id)
    form = EditForm()
    if request.method == "GET":
        form.comment.data, form.name.data = entry.body, entry.author
        form.email.data, form.website.data = entry.email, entry.website
    elif form.validate():
        try:
            moderating.edit_entry(
                dbs,
                actor(),
                entry_id,
                form.comment.data,
                form.name.data,
                form.email.data or "",
                form.website.data or "",
            )
        except errors.Refused as refused:
            form.comment.errors = [refused.message]
        else:
            dbs.commit()
            flash("Entry saved.")
            return redirect(back(), 303)
    status = 200 if request.method == "GET" else 400
    return render_template("dashboard/edit.html", form=form, entry=entry), status


@bp.post(f"/entries/<{ID}:entry_id>/reply")
@login_required
def reply(entry_id: int):
    """Reply as a moderator: approved at once, threaded under the entry."""
    form = ReplyForm()
    if not form.validate():
        return refuse(" ".join(form.comment.errors or ["The form had expired. Please try again."]))
    dbs = db.get_session()
    try:
        moderating.reply(dbs, actor(), entry_id, form.comment.data)
    except errors.Refused as refused:
        return refuse(refused.message)
    dbs.commit()
    return done("Reply published.", Status.APPROVED)
