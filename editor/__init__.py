"""The editor web app: forms for every Type's config, one-click instances, safe writes.

`create_app(supervisor)` is the app factory (Flask's tutorial shape). Each concern is a
blueprint listed in PAGES; `editor/pages.py` says how to add one. The editor reads and writes
element folders through the App and asks the Supervisor what runs; nothing else.
"""
from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask, get_flashed_messages, request

from element_studio.contract import EDITOR_HOST_KEY
from element_studio.runtime.supervisor import Supervisor

from . import (auth, cluster_view, connection_test_view, diagnostics_view, form_views, home, i18n, instances, live_status, logs_view,
               runtime_control, security)
from .hosts import AllowedHosts, HostCheck
from .pages import Page, register_element_pages, register_pages, registry_of
from .schema_form import marker
from .studio import Studio

PAGES: list[Page] = [auth.page, home.page, instances.page, form_views.page, runtime_control.page, diagnostics_view.page,
                     live_status.page, logs_view.page, connection_test_view.page, cluster_view.page]
HTMX_CONFIG = {
    "allowEval": False,
    "includeIndicatorStyles": False,
    "selfRequestsOnly": True,
    "historyCacheSize": 0,
    "responseHandling": [
        {"code": "204", "swap": False},
        {"code": "[23]..", "swap": True},
        {"code": "(409|422)", "swap": True, "error": False},
        {"code": "[45]..", "swap": False, "error": True},
    ],
}


def create_app(supervisor: Supervisor, access_token: str | None = None, *, pages: Iterable[Page] | None = None,
               simulators: Mapping[str, Any] | None = None, bound_host: str = "127.0.0.1",
               allowed_hosts: Iterable[str] = (), **overrides: Any) -> Flask:
    """The editor over one running supervisor.

    `access_token`: when set, every page asks for it first (needed to bind beyond 127.0.0.1).
    `pages`: the pages to mount (default PAGES). `simulators`: the running offline simulators
    by Type fullName (the playground talks to them). `bound_host` and `allowed_hosts`: the
    names requests may use in their Host header (see editor/hosts.py). `overrides`: Flask config keys, e.g.
    TESTING=True or SECRET_GUARD="raise" (fail on a leaked secret instead of masking it).
    """
    flask_app = Flask(__name__)
    flask_app.config.update(
        SECRET_KEY=secrets.token_bytes(32),
        ACCESS_TOKEN=access_token,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        MAX_FORM_MEMORY_SIZE=1024 * 1024,
        MAX_FORM_PARTS=5000,
        SESSION_COOKIE_NAME="element_studio",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        WTF_CSRF_TIME_LIMIT=None,
        SECRET_GUARD="mask",
    )
    flask_app.config.update(overrides)
    flask_app.wsgi_app = HostCheck(flask_app.wsgi_app, AllowedHosts(bound_host, allowed_hosts))  # type: ignore[method-assign]
    flask_app.extensions[EDITOR_HOST_KEY] = Studio(supervisor, {} if simulators is None else simulators)
    security.init_app(flask_app)
    i18n.init_app(flask_app)
    register_pages(flask_app, list(PAGES if pages is None else pages))
    register_element_pages(flask_app, supervisor.app)

    @flask_app.context_processor
    def globals_for_templates() -> dict[str, Any]:
        return {
            "pages": registry_of(flask_app),
            "htmx_config": HTMX_CONFIG,
            "marker": marker,
            "flashes": lambda: get_flashed_messages(with_categories=True),
            "current_path": request.path,
            "access_token_set": bool(flask_app.config.get("ACCESS_TOKEN")),
        }

    return flask_app
