"""Response hardening: CSRF, strict headers, error pages, and a last guard against leaked secrets.

Views never render stored secrets; the guard is the belt to those braces: every text response
is checked for any secret value the editor has read, and masks it (or, in tests with
SECRET_GUARD="raise", fails loudly so the leak is fixed where it happens).
"""
from __future__ import annotations

import logging

from flask import Flask, Response, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from element_studio.runtime.redaction import MASK, redactor

from .i18n import N_, _
from .studio import studio

log = logging.getLogger("element_studio.editor")
csrf = CSRFProtect()
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
TEXT_TYPES = ("text/html", "text/plain", "application/json", "text/csv")
ERROR_TEXTS = {  # werkzeug's texts are English only: the pages say these instead
    400: (N_("Bad request"), N_("The editor could not read this request.")),
    404: (N_("Not found"), N_("There is nothing at this address. It may have been renamed or deleted.")),
    405: (N_("Not allowed"), N_("This address does not take that kind of request.")),
    413: (N_("Too much data"), N_("The request is larger than the editor accepts.")),
    500: (N_("Something went wrong"), N_("The editor hit an unexpected problem; its log has the detail.")),
}


class SecretLeak(AssertionError):
    """A response was about to carry a secret value (raised only with SECRET_GUARD="raise")."""


def init_app(flask_app: Flask) -> None:
    """Install CSRF protection, security headers, the secret guard and friendly error pages."""
    csrf.init_app(flask_app)
    flask_app.after_request(_harden)
    flask_app.register_error_handler(CSRFError, _csrf_error)
    flask_app.register_error_handler(HTTPException, _http_error)


def _harden(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    if response.mimetype in TEXT_TYPES and not response.direct_passthrough:
        _guard(response)
    return response


def _guard(response: Response) -> None:
    secrets = studio().known_secrets
    if not secrets:
        return
    body = response.get_data(as_text=True)
    leaked = [s for s in secrets if s in body]
    if not leaked:
        return
    from flask import current_app

    if current_app.config.get("SECRET_GUARD") == "raise":
        raise SecretLeak(f"{request.method} {request.path} would send {len(leaked)} secret value(s)")
    log.error("masked %d secret value(s) in the response to %s %s", len(leaked), request.method, request.path)
    for secret in sorted(leaked, key=len, reverse=True):
        body = body.replace(secret, MASK)
    response.set_data(body)


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    return _error_page(400, _("This page is out of date"), _("The form's security token is missing or expired. Reload the page and try again.")), 400


def _http_error(error: HTTPException) -> tuple[str, int] | HTTPException:
    if error.code is None or error.code < 400:
        return error
    title, default = ERROR_TEXTS.get(error.code, (error.name, ""))
    own = error.description if error.description != type(error).description else ""  # a view's own words
    description = redactor.redact(own or (_(default) if default else error.description or ""))
    return _error_page(error.code, _(title), description), error.code


def _error_page(code: int, title: str, message: str) -> str:
    """A short text for htmx requests (shown as a toast), a full page otherwise."""
    if request.headers.get("HX-Request"):
        return f"{title}: {message}"
    return render_template("errors/error.html", code=code, title=title, message=message)
