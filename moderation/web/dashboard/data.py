"""Export (administrators, issue 15): every post and entry as a download, WXR or JSON
Lines, as `flask export` writes it."""

from flask import Response, render_template
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField

from moderation.infra import db
from moderation.infra.models import utcnow
from moderation.rules.errors import NotFound
from moderation.services import exporting, sites
from moderation.web import caching, site
from moderation.web.dashboard.common import actor, admin_required, bp

ADMINISTRATORS_ONLY = "Only administrators export the comments."
EVERY_SITE = ""
FORMATS = {
    exporting.Format.WXR: "WordPress (WXR): WordPress's importer reads it, and so does "
    "flask import wordpress",
    exporting.Format.JSONL: "JSON Lines: one object a line, each post before its entries",
}


class ExportForm(FlaskForm):
    """What to export: the format, and every post or a registered site's threads."""

    export_format = RadioField(
        "Format", choices=[each.value for each in FORMATS], default=exporting.Format.WXR.value
    )
    site = SelectField("Posts", default=EVERY_SITE, validate_choice=False)

    def validate_site(self, field) -> None:
        """A site the form offered (the list may have changed since it was shown)."""
        if field.data not in {value for value, _ in field.choices}:
            raise ValueError("That site is no longer registered. Choose again.")


@bp.get("/export")
@login_required
@admin_required(ADMINISTRATORS_ONLY)
def export_page():
    """Administrators: the form that downloads the export."""
    return _page(_form())


@bp.post("/export")
@login_required
@admin_required(ADMINISTRATORS_ONLY)
def export_download():
    """Administrators: download every post (or a site's threads) with all their entries,
    emails included; the audit log records who took it."""
    form = _form()
    if not form.validate():
        return _page(form), 400
    session = db.get_session()
    wanted = exporting.Format(form.export_format.data)
    try:
        chosen = exporting.selection(session, form.site.data or None)
    except NotFound as missing:  # removed between the check and now
        form.site.errors.append(missing.message)
        return _page(form), 400
    exporting.record_export(session, actor(), chosen, wanted)
    session.commit()
    name = f"comments-{utcnow():%Y-%m-%d}.{exporting.SUFFIX[wanted]}"
    # Streamed as the client reads it, after this request (and its session) has ended.
    body = exporting.streamed(db.engine(), chosen, wanted, exporting.own_links())
    return caching.private(
        Response(
            body,
            mimetype=exporting.MEDIA_TYPE[wanted],
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    )


def _form() -> ExportForm:
    form = ExportForm()
    form.site.choices = [(EVERY_SITE, "Every post")] + [
        (each.origin, f"The threads of {each.name or each.origin}")
        for each in sites.all_sites(db.get_session())
    ]
    return form


def _page(form: ExportForm) -> str:
    return render_template(
        "dashboard/export.html", form=form, formats=FORMATS, own_address=site.known()
    )
