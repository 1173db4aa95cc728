"""Personal data (administrators, issue 15): export or erase what is held on an email
address, as `flask privacy export|erase` do."""

import json

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired

from moderation.infra import db
from moderation.rules.limits import EMAIL_MAX_BYTES
from moderation.services import personal_data
from moderation.web import caching
from moderation.web.dashboard.common import actor, admin_required, bp
from moderation.web.forms import LINE_FORBIDDEN, MaxBytes, NoControlCharacters, strip

ADMINISTRATORS_ONLY = "Only administrators export and erase personal data."
EXPORT, ERASE = "export", "erase"


class PersonalDataForm(FlaskForm):
    """The address to export or erase; any address entries were stored with, so not
    checked as one (an imported entry may hold anything)."""

    email = StringField(
        "Email address",
        filters=[strip],
        validators=[
            DataRequired("Enter the email address."),
            NoControlCharacters(LINE_FORBIDDEN),
            MaxBytes(EMAIL_MAX_BYTES),
        ],
    )
    delete = BooleanField("Delete the entries instead of anonymising them")


@bp.get("/personal-data")
@login_required
@admin_required(ADMINISTRATORS_ONLY)
def personal_data_page():
    """Administrators: the form that exports or erases an address's personal data."""
    return _page(PersonalDataForm())


@bp.post("/personal-data")
@login_required
@admin_required(ADMINISTRATORS_ONLY)
def personal_data_action():
    """Administrators: download the address's data as JSON, or erase it (the button says)."""
    form = PersonalDataForm()
    # Enter in the field sends the form as its first button would: Export.
    action = request.form.get("action", EXPORT)
    if not form.validate() or action not in (EXPORT, ERASE):
        return _page(form), 400
    session = db.get_session()
    if action == EXPORT:
        exported = personal_data.export(session, actor(), form.email.data)
        session.commit()
        return caching.private(
            Response(
                json.dumps(exported, ensure_ascii=False, indent=2) + "\n",
                mimetype="application/json",
                # Not the address: a header is no place for it (SPEC §3).
                headers={"Content-Disposition": 'attachment; filename="personal-data.json"'},
            )
        )
    erased = personal_data.erase(session, actor(), form.email.data, bool(form.delete.data))
    session.commit()
    flash(erased.report())
    if erased.blocked:
        flash(personal_data.STILL_BLOCKED)
    return redirect(url_for("dashboard.personal_data_page"), 303)


def _page(form: PersonalDataForm) -> str:
    return render_template("dashboard/personal_data.html", form=form)
