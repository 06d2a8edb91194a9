"""The access token: required when the editor is reachable beyond this machine.

`serve` refuses to bind anything but 127.0.0.1 without a token; with one, every request needs
a session that proved it on the login page. The session keeps a keyed digest of the token,
never the token itself. Wrong tokens slow the client down (login_limit.py), and after login
the browser only ever goes back to a path on this editor.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import re

from flask import Blueprint, Flask, Response, current_app, flash, redirect, render_template, request, session, url_for

from .i18n import _
from .login_limit import LoginLimiter
from .pages import Page

bp = Blueprint("auth", __name__)
OPEN_ENDPOINTS = {"auth.login", "i18n.choose", "static"}
LIMITER_KEY = "LOGIN_LIMITER"  # a Flask config key: the LoginLimiter (tests pass one with their own clock)
SAFE_PATH = re.compile(r"/(?![/\\])[^\x00-\x20\x7f\\]*")  # /x but not //x, /\x, control chars or spaces


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this editor, else None: never another site (`//x`, `/\\x`,
    `/%09/x` which browsers read as `//x`), never a header-breaking control character."""
    if target and SAFE_PATH.fullmatch(target):
        return target
    return None


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
    if request.method == "GET":
        return render_template("auth/login.html", error="")
    limiter: LoginLimiter = current_app.config[LIMITER_KEY]
    client = request.remote_addr or "unknown"
    wait = limiter.wait_for(client)
    if wait > 0:
        error = _("Too many wrong tokens: wait %(seconds)s s before the next try.", seconds=math.ceil(wait))
        return render_template("auth/login.html", error=error), 429, {"Retry-After": str(math.ceil(wait))}
    if not hmac.compare_digest(request.form.get("token", "").encode(), token.encode()):
        limiter.failed(client)
        return render_template("auth/login.html", error=_("That token is not right.")), 401
    limiter.succeeded(client)
    session.clear()
    session["token_proof"] = _proof(token)
    return redirect(safe_next(request.args.get("next")) or url_for("home.index"))


@bp.post("/logout")
def logout() -> Response:
    session.clear()
    flash(_("Logged out."))
    return redirect(url_for("auth.login"))


def setup(flask_app: Flask) -> None:
    flask_app.config.setdefault(LIMITER_KEY, LoginLimiter())


page = Page(bp, setup=setup)
