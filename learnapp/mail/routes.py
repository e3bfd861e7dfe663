"""E-mail preferences (account settings) and unsubscribe links (no login needed)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from learnapp.extensions import csrf, db
from learnapp.mail import notices
from learnapp.mail.forms import PreferencesForm, UnsubscribeForm

bp = Blueprint("mail", __name__, template_folder="templates")


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def preferences() -> ResponseReturnValue:
    current = notices.preferences(current_user)
    form = PreferencesForm(obj=current)
    if form.validate_on_submit():
        notices.set_preferences(
            current_user, {notice: bool(form[notice.value].data) for notice in notices.Notice}
        )
        db.session.commit()
        flash(_("Your e-mail preferences have been saved."), "success")
        return redirect(url_for("mail.preferences"))
    if request.method == "POST":
        abort(400)
    return render_template("mail/preferences.html", form=form)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> ResponseReturnValue:
    """The link in a notice's body: a page with one button, since mail scanners open every
    link of a mail (a GET that unsubscribed would unsubscribe people who never clicked)."""
    found = notices.read_unsubscribe_token(token)
    if found is None:
        return render_template("mail/unsubscribe_invalid.html"), 404
    user, notice = found
    form = UnsubscribeForm()
    if form.validate_on_submit():
        notices.unsubscribe(user, notice)
        db.session.commit()
        return render_template("mail/unsubscribed.html", label=str(notices.LABELS[notice]))
    if request.method == "POST":
        abort(400)
    return render_template(
        "mail/unsubscribe.html", form=form, label=str(notices.LABELS[notice]), email=user.email
    )


@bp.route("/unsubscribe/<token>/one-click", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the mail program POSTs with no session; the signed token authorises
def one_click_unsubscribe(token: str) -> ResponseReturnValue:
    """The ``List-Unsubscribe`` URL. Mail programs POST ``List-Unsubscribe=One-Click`` to it;
    older ones open it in a browser, which gets the page with the button."""
    if request.method == "GET":
        return redirect(url_for("mail.unsubscribe", token=token))
    found = notices.read_unsubscribe_token(token)
    if found is None:
        return _("This unsubscribe link is not valid.") + "\n", 404, {"Content-Type": "text/plain"}
    notices.unsubscribe(*found)
    db.session.commit()
    return _("Unsubscribed.") + "\n", 200, {"Content-Type": "text/plain"}
