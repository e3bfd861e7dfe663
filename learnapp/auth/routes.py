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
from flask_login import current_user, login_required, login_user, logout_user

from learnapp.auth import services
from learnapp.auth.forms import (
    ChangePasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from learnapp.errors import LearnAppError
from learnapp.extensions import db, limiter
from learnapp.security import safe_next_url

bp = Blueprint("auth", __name__, template_folder="templates")


def _account_key() -> str:
    """Rate-limit key for the account a login names (so one account cannot be sprayed)."""
    return "account:" + services.normalize_email(request.form.get("email", ""))[:254]


def _login_limits_per_account() -> str:
    return str(current_app.config["LOGIN_LIMITS_PER_ACCOUNT"])


def _login_limits_per_address() -> str:
    return str(current_app.config["LOGIN_LIMITS_PER_ADDRESS"])


def _register_limits() -> str:
    return str(current_app.config["REGISTER_LIMITS_PER_ADDRESS"])


def _start_session(user: object, remember: bool) -> None:
    # A fresh session at login: nothing set before authentication survives (session fixation).
    session.clear()
    login_user(user, remember=remember)  # type: ignore[arg-type]
    session.permanent = True


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limits_per_address, methods=["POST"], scope="login-address")
@limiter.limit(
    _login_limits_per_account, key_func=_account_key, methods=["POST"], scope="login-account"
)
def login() -> ResponseReturnValue:
    next_url = safe_next_url(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data or "", form.password.data or "")
        if user is None:
            # One message for unknown account, wrong password and deactivated account.
            form.password.errors = ["The e-mail address or password is not correct."]
        else:
            db.session.commit()
            _start_session(user, bool(form.remember.data))
            flash(f"Welcome back, {user.display_name}.", "success")
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
                form.email.data or "", form.password.data or "", form.display_name.data or ""
            )
        except services.EmailTaken:
            form.email.errors = [
                "An account with this e-mail address already exists. Log in instead."
            ]
        except services.PasswordRejected as exc:
            form.password.errors = [exc.message]
        else:
            db.session.commit()
            _start_session(user, remember=False)
            flash("Your account is ready. Welcome to LearnApp!", "success")
            return redirect(url_for("main.index"))
    return render_template("auth/register.html", form=form), 400 if form.errors else 200


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    if current_user.is_authenticated:
        services.end_other_sessions(current_user)
        db.session.commit()
    logout_user()
    session.clear()
    flash("You have been logged out.", "info")
    return redirect(url_for("main.index"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> ResponseReturnValue:
    profile_form = ProfileForm(prefix="profile", display_name=current_user.display_name)
    password_form = ChangePasswordForm(prefix="password")
    status = 200
    if profile_form.submit.data and request.method == "POST":
        if profile_form.validate_on_submit():
            services.update_profile(current_user, profile_form.display_name.data or "")
            db.session.commit()
            flash("Your name has been saved.", "success")
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
                _start_session(current_user._get_current_object(), remember=False)
                flash("Your password has been changed. Other sessions were signed out.", "success")
                return redirect(url_for("auth.account"))
        else:
            status = 400
    elif request.method == "POST":
        abort(400)
    return (
        render_template(
            "auth/account.html", profile_form=profile_form, password_form=password_form
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
            flash("Your password has been set. You can log in now.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form), 400 if form.errors else 200
