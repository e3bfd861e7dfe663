"""Register, log in and out, account settings and password reset."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from learnapp.auth import services, throttle
from learnapp.auth.access import start_session
from learnapp.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResendVerificationForm,
    ResetPasswordForm,
)
from learnapp.errors import LearnAppError
from learnapp.extensions import db, limiter
from learnapp.i18n import language_name, refresh, supported_locales
from learnapp.security import safe_next_url
from learnapp.two_factor import pending
from learnapp.two_factor import services as two_factor

bp = Blueprint("auth", __name__, template_folder="templates")


def _account_key() -> str:
    """Rate-limit key for the account a login names (so one account cannot be sprayed)."""
    return throttle.account_key(request.form.get("email", ""))


def _register_limits() -> str:
    return str(current_app.config["REGISTER_LIMITS_PER_ADDRESS"])


def _forgot_limits_per_address() -> str:
    return str(current_app.config["FORGOT_PASSWORD_LIMITS_PER_ADDRESS"])


def _forgot_limits_per_account() -> str:
    return str(current_app.config["FORGOT_PASSWORD_LIMITS_PER_ACCOUNT"])


def _resend_limits() -> str:
    return str(current_app.config["VERIFICATION_RESEND_LIMITS"])


def _user_key() -> str:
    return f"user:{current_user.get_id()}"


#: What an account whose address is not yet verified may open while verification is required:
#: the page asking to verify, the link itself, logging out, and what needs no account.
_OPEN_UNVERIFIED = {
    "auth.verify_notice",
    "auth.verify_email",
    "auth.resend_verification",
    "auth.logout",
    "auth.reset_password",
    "mail.unsubscribe",
    "mail.one_click_unsubscribe",
    "privacy.page",
    "main.healthz",
    "main.favicon",
    "static",
}


@bp.before_app_request
def _require_verified_address() -> ResponseReturnValue | None:
    """While verification is required, an unverified account reaches only the page that says
    to verify (with its "send again" button). It may log in, unlike a refused login, so the
    holder learns what to do, can ask for another link and sees the address it went to."""
    if current_app.config["MAIL_VERIFICATION"] != "required":
        return None
    if request.endpoint in _OPEN_UNVERIFIED or request.endpoint is None:
        return None
    if current_user.is_authenticated and services.needs_verification(current_user):
        return redirect(url_for("auth.verify_notice"))
    return None


@bp.route("/login", methods=["GET", "POST"])
@throttle.login_limits(_account_key)
def login() -> ResponseReturnValue:
    next_url = safe_next_url(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data or "", form.password.data or "")
        if user is None:
            # One message for unknown account, wrong password and deactivated account.
            form.password.errors = [_("The e-mail address or password is not correct.")]
        else:
            db.session.commit()
            if two_factor.is_enrolled(user):
                # The password alone signs nobody in: the code step finishes the login.
                pending.begin(user, next_url)
                return redirect(url_for("two_factor.login_code"))
            start_session(user, bool(form.remember.data))
            flash(_("Welcome back, %(name)s.", name=user.display_name), "success")
            return redirect(next_url or url_for("main.index"))
    return render_template("auth/login.html", form=form, next_url=next_url)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limits, methods=["POST"], scope="register")
def register() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                form.email.data or "",
                form.password.data or "",
                form.display_name.data or "",
                email_verified=False,
            )
        except services.EmailTaken:
            form.email.errors = [
                _("An account with this e-mail address already exists. Log in instead.")
            ]
        except services.PasswordRejected as exc:
            form.password.errors = [exc.message]
        else:
            sent = services.send_verification(user)
            db.session.commit()
            start_session(user, remember=False)
            if services.needs_verification(user):
                return redirect(url_for("auth.verify_notice"))
            flash(_("Your account is ready. Welcome to LearnApp!"), "success")
            if sent:
                flash(
                    _("We sent a link to %(email)s to confirm the address.", email=user.email),
                    "info",
                )
            return redirect(url_for("main.index"))
    return render_template("auth/register.html", form=form), 400 if form.errors else 200


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    if current_user.is_authenticated:
        services.end_other_sessions(current_user)
        db.session.commit()
    message = _("You have been logged out.")  # in the language of the account leaving
    logout_user()
    session.clear()
    flash(message, "info")
    return redirect(url_for("main.index"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> ResponseReturnValue:
    profile_form = ProfileForm(prefix="profile", display_name=current_user.display_name)
    password_form = ChangePasswordForm(prefix="password")
    language_form = LanguageForm(prefix="language", locale=current_user.locale or "")
    language_form.locale.choices = [("", _("The browser's language"))] + [
        (code, language_name(code)) for code in supported_locales()
    ]
    status = 200
    if language_form.submit.data and request.method == "POST":
        if language_form.validate_on_submit():
            services.set_locale(current_user, language_form.locale.data)
            db.session.commit()
            # Flask-Babel chose this request's locale already: choose again, so the message
            # is in the language just saved.
            refresh()
            flash(_("Your language has been saved."), "success")
            return redirect(url_for("auth.account"))
        status = 400
    elif profile_form.submit.data and request.method == "POST":
        if profile_form.validate_on_submit():
            services.update_profile(current_user, profile_form.display_name.data or "")
            db.session.commit()
            flash(_("Your name has been saved."), "success")
            return redirect(url_for("auth.account"))
        status = 400
    elif password_form.submit.data and request.method == "POST":
        if password_form.validate_on_submit():
            try:
                services.change_password(
                    current_user,
                    password_form.current_password.data or "",
                    password_form.new_password.data or "",
                )
            except services.PasswordRejected as exc:
                password_form.current_password.errors = [exc.message]
                status = 400
            else:
                db.session.commit()
                # The generation changed: keep this session, end all the others.
                start_session(current_user._get_current_object(), remember=False)
                flash(
                    _("Your password has been changed. Other sessions were signed out."), "success"
                )
                return redirect(url_for("auth.account"))
        else:
            status = 400
    elif request.method == "POST":
        abort(400)
    return (
        render_template(
            "auth/account.html",
            profile_form=profile_form,
            password_form=password_form,
            language_form=language_form,
            resend_form=ResendVerificationForm(),
            verification=services.verification_mode(),
        ),
        status,
    )


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> ResponseReturnValue:
    if services.find_reset_token(token) is None:
        return render_template("auth/reset_invalid.html"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.new_password.data or "")
        except services.PasswordRejected as exc:
            form.new_password.errors = [exc.message]
        except LearnAppError:
            db.session.rollback()
            return render_template("auth/reset_invalid.html"), 404
        else:
            db.session.commit()
            logout_user()
            session.clear()
            flash(_("Your password has been set. You can log in now."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form), 400 if form.errors else 200


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_forgot_limits_per_address, methods=["POST"], scope="forgot-address")
@limiter.limit(
    _forgot_limits_per_account, key_func=_account_key, methods=["POST"], scope="forgot-account"
)
def forgot_password() -> ResponseReturnValue:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        services.request_password_reset(email)
        db.session.commit()
        # The same page whether or not the address has an account.
        hours = int(current_app.config["PASSWORD_RESET_HOURS"])
        return render_template("auth/forgot_sent.html", email=email, hours=hours)
    return render_template("auth/forgot.html", form=form), 400 if form.errors else 200


@bp.get("/verify-email")
@login_required
def verify_notice() -> ResponseReturnValue:
    if current_user.email_verified_at is not None or services.verification_mode() == "off":
        return redirect(url_for("main.index"))
    return render_template("auth/verify_notice.html", form=ResendVerificationForm())


@bp.post("/verify-email/resend")
@login_required
@limiter.limit(_resend_limits, key_func=_user_key, scope="verify-resend")
def resend_verification() -> ResponseReturnValue:
    form = ResendVerificationForm()
    if not form.validate_on_submit():
        abort(400)
    if services.send_verification(current_user):
        db.session.commit()
        flash(_("We sent a new link to %(email)s.", email=current_user.email), "success")
    if services.needs_verification(current_user):
        return redirect(url_for("auth.verify_notice"))
    return redirect(url_for("auth.account"))


@bp.get("/verify-email/<token>")
def verify_email(token: str) -> ResponseReturnValue:
    """Opening the link verifies the address, logged in or not (often on another device)."""
    user = services.verify_email(token)
    if user is None:
        return render_template("auth/verify_invalid.html"), 404
    db.session.commit()
    flash(_("Thank you: your e-mail address is confirmed."), "success")
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    return redirect(url_for("auth.login"))
