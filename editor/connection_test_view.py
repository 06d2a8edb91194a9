""""Test connection": ask the Type's `check_connection` whether the service would accept these
settings, before anything is saved or started.

On the form it tests what is typed (a secret left on "keep" uses the stored one, which never
reaches the browser; `{{VAR}}` placeholders are filled from the app's environment); on the
other instance tabs it tests the saved config. The check runs on the supervisor's loop. The
answer names the step that failed in the person's words and never quotes a secret.
"""
from __future__ import annotations

from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, render_template, request

from element_studio.runtime.connection_check import ConnectionCheck, check_connection, supports_connection_check
from element_studio.runtime.errors import ElementError
from element_studio.runtime.redaction import redactor
from element_studio.runtime.schema import apply_defaults, secret_values
from element_studio.runtime.templating import render_config

from .editing import read_posted
from .i18n import _
from .instances import open_or_explain
from .pages import Page
from .studio import studio

bp = Blueprint("connection_test", __name__, url_prefix="/instances/<name>/connection-test")
CHECK_TIMEOUT = 30.0  # seconds; a Type's own HTTP timeouts end its check sooner


@dataclass(frozen=True)
class Outcome:
    """What the page shows next to the button."""

    ok: bool
    headline: str
    detail: str = ""


def outcome_of(check: ConnectionCheck) -> Outcome:
    """A ConnectionCheck in the person's words: "credentials refused", "cannot reach <the
    service the Type names>", "ok: connected as <the identity the Type names>"."""
    service = check.service or _("the service")
    detail = redactor.redact(check.message)
    if check.ok:
        return Outcome(True, _("ok: connected as %(identity)s", identity=check.identity) if check.identity else _("ok: connected"), detail)
    english = {"credentials": "credentials refused", "network": f"cannot reach {service}", "settings": "not tested",
               "in use": "already in use", "not found": "not found", "server": f"{service} answered with an error"}
    if detail.lower().startswith(english.get(check.step, "\0")):  # "credentials refused (HTTP 401 ...)": say it once
        detail = detail[len(english[check.step]):].strip(" :()")
    headline = {"credentials": _("credentials refused"), "network": _("cannot reach %(service)s", service=service),
                "settings": _("not tested"), "in use": _("already in use"), "not found": _("not found"),
                "server": _("%(service)s answered with an error", service=service)}.get(check.step, _("%(step)s failed", step=check.step))
    return Outcome(False, headline, detail)


def type_of(name: str) -> str:
    return studio().app.chain(name)[1].full_name


def connection_test_supported(name: str) -> bool:
    """Whether the instance's Type offers a connection test (a broken Type does not)."""
    try:
        return supports_connection_check(studio().app, type_of(name))
    except (ElementError, ImportError, IndexError, SyntaxError):
        return False


def run_check(name: str, raw_config: dict[str, Any], schema: dict[str, Any]) -> Outcome:
    """Render, complete and check one config on the supervisor's loop."""
    st = studio()
    type_name = type_of(name)
    try:
        config = apply_defaults(schema, render_config(raw_config, st.app.envVars, name))
    except ElementError as exc:
        return Outcome(False, _("not tested"), redactor.redact(exc.message))
    st.learn_secrets(secret_values(schema, config))
    future = st.supervisor.submit(check_connection(st.app, type_name, config, st.supervisor.offline_endpoints.get(type_name), name))
    try:
        check = future.result(CHECK_TIMEOUT)
    except FutureTimeout:
        future.cancel()
        return Outcome(False, _("cannot reach %(service)s", service=_("the service")), _("no answer within %(seconds)s s", seconds=f"{CHECK_TIMEOUT:.0f}"))
    except Exception as exc:  # a Type's check that raises is a failed test, not a broken page
        return Outcome(False, _("test failed"), redactor.redact(f"{type(exc).__name__}: {exc}"))
    return outcome_of(check)


def _result(outcome: Outcome) -> str:
    return render_template("runtime/_connection_result.html", outcome=outcome)


@bp.post("/typed")
def typed(name: str) -> str:
    """Test what the form holds now (the whole form is posted)."""
    opened = open_or_explain(name)
    if not connection_test_supported(name):
        return _result(Outcome(False, _("not tested"), _("this Type offers no connection test")))
    posted = read_posted(opened, request.form)
    return _result(run_check(name, posted.config, opened.schema))


@bp.post("/saved")
def saved(name: str) -> str:
    """Test the saved config.json."""
    st = studio()
    st.instance(name)
    if not connection_test_supported(name):
        return _result(Outcome(False, _("not tested"), _("this Type offers no connection test")))
    try:
        raw = st.app.raw_config(name)
        schema = st.app.schema_for_instance(name)
        missing = st.app.missing_setup(name)
    except ElementError as exc:
        return _result(Outcome(False, _("not tested"), redactor.redact(exc.message)))
    if missing:
        return _result(Outcome(False, _("not tested"), _("fill in %(fields)s in Settings first", fields=_(", ").join(missing))))
    return _result(run_check(name, raw, schema))


def setup(flask_app: Flask) -> None:
    flask_app.context_processor(lambda: {"connection_test_supported": connection_test_supported})


page = Page(bp, setup=setup)
