"""The access token: required when the editor is reachable beyond this machine.

`serve` refuses to bind anything but 127.0.0.1 without a token; with one, every request needs
a session that proved it on the login page. The session keeps a keyed digest of the token,
never the token itself.
"""
from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, session, url_for

from .i18n import _
from .pages import Page

bp = Blueprint("auth", __name__)
OPEN_ENDPOINTS = {"auth.login", "i18n.choose", "static"}


def _proof(token: str) -> str:
    return hmac.new(current_app.secret_key, token.encode(), hashlib.sha256).hexdigest()


@bp.before_app_request
def require_token() -> Response | None:
    """Send anyone without a proven token to the login page (htmx requests via HX-Redirect)."""
    token = current_app.config.get("ACCESS_TOKEN")
    if not token or request.endpoint in OPEN_ENDPOINTS:
        return None
    if hmac.compare_digest(session.get("token_proof", ""), _proof(token)):
        return None
    login = url_for("auth.login", next=request.full_path if request.method == "GET" else None)
    if request.headers.get("HX-Request"):
        return Response(_("Log in again."), status=401, headers={"HX-Redirect": login})
    return redirect(login)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str:
    """Ask for the access token; on success go back to the page that was asked for."""
    token = current_app.config.get("ACCESS_TOKEN")
    if not token:
        return redirect(url_for("home.index"))
    error = ""
    if request.method == "POST":
        given = request.form.get("token", "")
        if hmac.compare_digest(given.encode(), token.encode()):
            session.clear()
            session["token_proof"] = _proof(token)
            target = request.args.get("next") or ""
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("home.index")
            return redirect(target)
        error = _("That token is not right.")
    return render_template("auth/login.html", error=error), (401 if error else 200)


@bp.post("/logout")
def logout() -> Response:
    session.clear()
    flash(_("Logged out."))
    return redirect(url_for("auth.login"))


page = Page(bp)
