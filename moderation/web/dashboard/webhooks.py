"""Webhooks (administrators): the URLs that hear of entries, and how their deliveries went."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import login_required

from moderation.infra import db
from moderation.rules import errors
from moderation.services import webhooks as hooks
from moderation.web.dashboard.common import ID, actor, admin_required, bp, checked
from moderation.web.dashboard.forms import ActionForm, WebhookForm

ADMINISTRATORS_ONLY = "Only administrators manage webhooks."


@bp.get("/webhooks")
@login_required
@admin_required(ADMINISTRATORS_ONLY)
def webhooks():
    """Administrators: the webhooks with their secrets, and the latest deliveries."""
    return _page(WebhookForm())


@bp.post("/webhooks")
@login_required
@admin_required(ADMINISTRATORS_ONLY)
def add_webhook():
    """Administrators: add a URL that every entry's arrival and change is POSTed to."""
    form = WebhookForm()
    if not form.validate():
        return _page(form), 400
    dbs = db.get_session()
    try:
        webhook = hooks.add_webhook(dbs, actor(), form.url.data)
    except errors.Refused as refused:
        form.url.errors.append(refused.message)
        return _page(form), 400
    dbs.commit()
    flash("Webhook added. Give its receiver the secret shown with it.")
    return redirect(url_for("dashboard.webhooks", _anchor=f"webhook-{webhook.id}"), 303)


@bp.post(f"/webhooks/<{ID}:webhook_id>/delete")
@login_required
@admin_required(ADMINISTRATORS_ONLY)
def remove_webhook(webhook_id: int):
    """Administrators: remove a webhook; its deliveries, queued ones too, go with it."""
    checked(ActionForm())
    dbs = db.get_session()
    try:
        hooks.remove_webhook(dbs, actor(), webhook_id)
    except errors.NotFound:
        abort(404)
    dbs.commit()
    flash("Webhook removed.")
    return redirect(url_for("dashboard.webhooks"), 303)


def _page(form: WebhookForm) -> str:
    dbs = db.get_session()
    return render_template(
        "dashboard/webhooks.html",
        form=form,
        webhooks=hooks.all_webhooks(dbs),
        deliveries=hooks.recent_deliveries(dbs),
        shown=hooks.RECENT_DELIVERIES,
    )
